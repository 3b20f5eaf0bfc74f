"""Report periods: the calendar month, as HR and the C01-HD timesheet count it."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from monitor.errors import Refused


@dataclass(frozen=True)
class Month:
    """A calendar month, parsed from ``YYYY-MM``."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        try:
            year, month = (int(part) for part in text.split("-"))
            date(year, month, 1)
        except ValueError:
            raise Refused(f"{text!r} is not a month (write YYYY-MM, e.g. 2026-11)") from None
        return cls(year, month)

    @classmethod
    def of(cls, day: date) -> Month:
        """The month ``day`` falls in."""
        return cls(day.year, day.month)

    @classmethod
    def parse_or_current(cls, text: str | None, today: date) -> Month:
        """``text`` as a month, or the month of ``today`` when none is given."""
        return cls.parse(text) if text else cls.of(today)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, monthrange(self.year, self.month)[1])

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
