"""Office hours: schedules, their sessions and seasonal periods (values).

A schedule says which weekdays are worked, the sessions of a day (buổi sáng, buổi
chiều), and how punches are judged against them (grace, windows, punch mode). Seasonal
``periods`` (summer/winter hours) each carry their own sessions and cover the year
without overlap (``monitor.config.schedules`` checks that). Times are kept as seconds
since local midnight so that judging a day is integer arithmetic.

``[schedules.default]``, when present, replaces :data:`SITE_DEFAULT` for employees whose
unit chain names no schedule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

PUNCH_MODES = ("first-last", "per-session")
NOON = 12 * 3600
DEFAULT_ID = "default"


@dataclass(frozen=True, slots=True)
class Session:
    """One block of office hours, ``start`` < ``end``, in seconds since local midnight."""

    start: int
    end: int

    @property
    def is_morning(self) -> bool:
        """Morning sessions (buổi sáng) start before noon; half-day leave uses this."""
        return self.start < NOON

    def __str__(self) -> str:
        return f"{clock_text(self.start, with_seconds=False)}–{clock_text(self.end, with_seconds=False)}"


@dataclass(frozen=True, slots=True)
class Period:
    """A recurring part of the year (``start``..``end`` as (month, day), may wrap)."""

    name: str
    start: tuple[int, int]
    end: tuple[int, int]
    sessions: tuple[Session, ...]
    days: Mapping[int, tuple[Session, ...]] = field(default_factory=dict)

    def contains(self, month_day: tuple[int, int]) -> bool:
        if self.start <= self.end:
            return self.start <= month_day <= self.end
        return month_day >= self.start or month_day <= self.end


ALL_YEAR = ((1, 1), (12, 31))


@dataclass(frozen=True, slots=True)
class Schedule:
    """A unit's office hours and how punches are judged against them."""

    id: str
    name: str
    weekdays: frozenset[int]  # 0 = Monday, as date.weekday()
    periods: tuple[Period, ...]
    grace_in_minutes: int = 0
    grace_out_minutes: int = 0
    punch_mode: str = "first-last"
    window_before_minutes: int = 120
    window_after_minutes: int = 240
    late_as_absent_minutes: int | None = None
    away_threshold_minutes: int = 30

    def period_on(self, day: date) -> Period:
        month_day = (day.month, day.day)
        for period in self.periods:
            if period.contains(month_day):
                return period
        return self.periods[0]  # unreachable for a validated schedule

    def sessions_on(self, day: date, *, makeup: bool = False) -> tuple[Session, ...]:
        """The sessions of ``day``; a make-up working day uses the period's regular ones."""
        period = self.period_on(day)
        if makeup:
            return period.sessions
        return period.days.get(day.weekday(), period.sessions)


# The site default when neither the employee nor any unit above them names a schedule:
# the common provincial pattern (Decision 188/1999: 40 h over Mon–Fri, 8 h a day in two
# sessions). No national grace exists, so none is assumed.
SITE_DEFAULT = Schedule(
    id=DEFAULT_ID,
    name="Giờ hành chính (mặc định)",
    weekdays=frozenset(range(5)),
    periods=(Period("all year", *ALL_YEAR, (Session(7 * 3600 + 1800, 11 * 3600 + 1800), Session(13 * 3600 + 1800, 17 * 3600))),),
)


def clock_text(value: int, *, with_seconds: bool = True) -> str:
    """``HH:MM:SS`` (or ``HH:MM``) for seconds since local midnight."""
    hours, rest = divmod(value, 3600)
    if with_seconds:
        return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{hours:02d}:{rest // 60:02d}"
