"""Which days must be worked: weekdays, Vietnamese public holidays, swaps and overrides.

Pure: plain data in, plain data out; the only outside knowledge is the ``holidays``
package (country VN, Vietnamese names), which carries the lunar holidays, the
compensatory days off (nghỉ bù), the government's substituted days off and its make-up
Saturdays (``weekend_workdays``). Config overrides come on top, the nearest unit first:
a unit's own ``days_off``/``workdays``, then its parents', then ``[calendar]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

REQUIRED = "required"
HOLIDAY = "holiday"
WEEKEND = "weekend"
NOT_REQUIRED = "not_required"
MAKEUP_NAME = "Ngày làm bù"


@dataclass(frozen=True, slots=True)
class DayOverride:
    """A config decision for one date: a day off (``off``) or a working day."""

    day: date
    off: bool
    name: str
    ref: str | None = None  # the legal document, e.g. "2450/VPCP-KGVX"


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """What the calendar says about one employee-day."""

    day: date
    kind: str  # REQUIRED, HOLIDAY, WEEKEND or NOT_REQUIRED
    name: str | None = None  # holiday name, or the make-up day's note
    ref: str | None = None
    makeup: bool = False  # a normally free day worked by decision


class PublicHolidays:
    """Vietnamese public holidays from the ``holidays`` package, loaded a year at a time."""

    def __init__(self, language: str = "vi"):
        self.language = language
        self._table: Any = None

    def _ensure(self, year: int) -> Any:
        if self._table is None:
            import holidays  # imported late: only judging needs it

            self._table = holidays.country_holidays("VN", language=self.language)
        if year not in self._table.years:
            # a lookup expands the table by that year (its weekend_workdays too)
            self._table.get(date(year, 1, 1))
        return self._table

    def name(self, day: date) -> str | None:
        """The holiday's name (several joined by '; '), or ``None`` on an ordinary day."""
        return self._ensure(day.year).get(day)

    def is_makeup_workday(self, day: date) -> bool:
        """A Saturday or Sunday the government made a working day (làm bù)."""
        return day in self._ensure(day.year).weekend_workdays

    def makeup_note(self, day: date) -> str:
        """'Ngày làm bù (cho ngày nghỉ 02/05/2025)' when the swapped day off is known."""
        table = self._ensure(day.year)
        stamp = day.strftime("%d/%m/%Y")
        for other, name in table.items():
            if stamp in name and other != day:
                return f"{MAKEUP_NAME} (cho ngày nghỉ {other:%d/%m/%Y})"
        return MAKEUP_NAME

    @property
    def version(self) -> str:
        import holidays

        return holidays.__version__


class WorkCalendar:
    """Required days for units, from the public calendar and config overrides."""

    def __init__(
        self,
        global_overrides: Mapping[date, DayOverride] | None = None,
        unit_overrides: Mapping[str, Mapping[date, DayOverride]] | None = None,
        parents: Mapping[str, str | None] | None = None,
        public: PublicHolidays | None = None,
    ):
        self.global_overrides = global_overrides or {}
        self.unit_overrides = unit_overrides or {}
        self.parents = parents or {}
        self.public = public or PublicHolidays()

    def override(self, day: date, unit_code: str | None) -> DayOverride | None:
        """The nearest config decision for ``day``: the unit's, a parent's, or the global one."""
        seen: set[str] = set()
        code = unit_code
        while code and code not in seen:
            seen.add(code)
            found = self.unit_overrides.get(code, {}).get(day)
            if found is not None:
                return found
            code = self.parents.get(code)
        return self.global_overrides.get(day)

    def chain_key(self, unit_code: str | None) -> tuple[str, ...]:
        """The units on the way up whose overrides apply (for caching plans per unit)."""
        chain: list[str] = []
        code = unit_code
        while code and code not in chain:
            if code in self.unit_overrides:
                chain.append(code)
            code = self.parents.get(code)
        return tuple(chain)

    def day(
        self,
        day: date,
        unit_code: str | None,
        weekdays: frozenset[int],
        hired_on: date | None = None,
        left_on: date | None = None,
    ) -> CalendarDay:
        """Judge ``day`` for someone in ``unit_code`` whose schedule works ``weekdays``.

        Order: outside employment → not required; a config override (nearest unit
        first); a public holiday or substituted day off; a make-up Saturday; the weekday.
        A holiday on a day the schedule does not work stays a weekend, with its name.
        """
        if (hired_on and day < hired_on) or (left_on and day > left_on):
            return CalendarDay(day, NOT_REQUIRED)
        works_weekday = day.weekday() in weekdays
        decision = self.override(day, unit_code)
        if decision is not None:
            if decision.off:
                return CalendarDay(day, HOLIDAY if works_weekday else WEEKEND, decision.name, decision.ref)
            return CalendarDay(day, REQUIRED, decision.name, decision.ref, makeup=not works_weekday)
        holiday = self.public.name(day)
        if holiday:
            return CalendarDay(day, HOLIDAY if works_weekday else WEEKEND, holiday)
        if not works_weekday and self.public.is_makeup_workday(day):
            return CalendarDay(day, REQUIRED, self.public.makeup_note(day), makeup=True)
        return CalendarDay(day, REQUIRED if works_weekday else WEEKEND)
