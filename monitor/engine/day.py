"""The values of judging a day: what a day asks of someone (:class:`DayPlan`), the
leave that applies to it, and the judgement (:class:`DayResult`). Pure data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from monitor.engine.calendar import (
    HOLIDAY,
    NOT_REQUIRED,
    REQUIRED,
    WEEKEND,
    CalendarDay,
)
from monitor.engine.leave import LeaveKind
from monitor.engine.schedules import Schedule, Session

PRESENT = "present"
ABSENT = "absent"
PARTIAL_ABSENT = "partial_absent"
LEAVE = "leave"
PENDING = "pending"  # required, window still open, nobody seen yet
# the statuses of a day someone had to work, and of a day nobody had to
REQUIRED_STATUSES = (PRESENT, ABSENT, PARTIAL_ABSENT, LEAVE, PENDING)
FREE_STATUSES = (HOLIDAY, WEEKEND, NOT_REQUIRED)
ABSENCE_STATUSES = (ABSENT, PARTIAL_ABSENT)
STATUSES = REQUIRED_STATUSES + FREE_STATUSES
DAY_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class DayPlan:
    """What a day asks of someone: the calendar's verdict and, if required, the sessions."""

    day: date
    kind: str  # calendar.REQUIRED, HOLIDAY, WEEKEND or NOT_REQUIRED
    name: str | None
    schedule: Schedule
    sessions: tuple[Session, ...] = ()
    window_start: int = 0
    window_end: int = DAY_SECONDS - 1
    makeup: bool = False
    iso: str = ""  # the day as ISO text
    closes_at: datetime | None = None  # local wall time when the window closes (required days)

    # The day's limits in seconds since midnight, for reading and for tests; the rules
    # themselves live in engine.rules and are not repeated here.
    @property
    def late_after(self) -> int:
        """Arriving after this is late (first session start + grace in)."""
        return self.sessions[0].start + self.schedule.grace_in_minutes * 60

    @property
    def early_before(self) -> int:
        """Leaving before this is early (last session end − grace out)."""
        return self.sessions[-1].end - self.schedule.grace_out_minutes * 60

    @property
    def absent_after(self) -> int:
        """Arriving after this misses the first session (``late_as_absent_minutes``)."""
        limit = self.schedule.late_as_absent_minutes
        return DAY_SECONDS if limit is None else self.sessions[0].start + limit * 60

    @property
    def away_over(self) -> int:
        """A gap longer than this inside office hours counts as away."""
        return self.schedule.away_threshold_minutes * 60


def plan_day(schedule: Schedule, calendar_day: CalendarDay) -> DayPlan:
    """Combine a schedule with the calendar's verdict on one day."""
    day = calendar_day.day
    if calendar_day.kind != REQUIRED:
        return DayPlan(day, calendar_day.kind, calendar_day.name, schedule, iso=day.isoformat())
    sessions = schedule.sessions_on(day, makeup=calendar_day.makeup)
    window_end = min(DAY_SECONDS - 1, sessions[-1].end + schedule.window_after_minutes * 60)
    return DayPlan(
        day,
        REQUIRED,
        calendar_day.name,
        schedule,
        sessions,
        max(0, sessions[0].start - schedule.window_before_minutes * 60),
        window_end,
        calendar_day.makeup,
        day.isoformat(),
        datetime(day.year, day.month, day.day) + timedelta(seconds=window_end),
    )


@dataclass(frozen=True, slots=True)
class LeaveDay:
    """A leave record as it applies to one day."""

    kind: LeaveKind
    part: str  # full, morning, afternoon


@dataclass(slots=True)
class DayResult:
    """The judgement of one employee-day (the ``day_results`` row, before storage)."""

    status: str
    arrival: int | None = None
    departure: int | None = None
    late_minutes: int = 0
    early_minutes: int = 0
    worked_minutes: int = 0
    away_minutes: int = 0
    missing_in: int = 0  # sessions (first-last: the day) without an in punch
    missing_out: int = 0
    late_count: int = 0
    early_count: int = 0
    absent_fraction: float = 0.0
    leave_fraction: float = 0.0
    present_fraction: float = 0.0
    symbol: str = ""
    leave_kinds: str | None = None  # "P", or "P,Ô" for two half-days
    holiday: str | None = None
    provisional: bool = False
    punch_ids: tuple[int, ...] = ()
    detail: dict | None = None
