"""Judging one employee-day: schedule + calendar day + punches + leave → :class:`DayResult`.

Pure and deterministic: no I/O and no clock of its own (``now`` is passed in and only
decides whether the day's window has closed). Times are seconds since local midnight.

The rules (docs/reports.md has the user-facing version):

* The day's *window* runs from the first session's start − ``window_before_minutes``
  to the last session's end + ``window_after_minutes``, edges included, clipped to the
  local date; punches outside it are kept but not judged.
* ``first-last``: the first punch is the arrival, the last the departure. A single
  punch at or before the midpoint of the expected sessions is an arrival (missing out),
  after it a departure (missing in). A session that ends at or before the arrival, or
  starts at or after the departure, was missed.
* ``per-session``: each punch belongs to the session whose span, extended halfway into
  the gaps around it, holds it (a punch exactly halfway goes to the earlier session);
  each session then has its own in and out, judged the same way.
* Late iff in > start + grace (to the second); ``late_minutes`` = whole minutes since
  the start, rounded down. Early iff out < end − grace; ``early_minutes`` = whole
  minutes to the end, rounded down. In later than start + ``late_as_absent_minutes``
  makes the session missed instead of late.
* Punches between the first and the last are taken in (out, back) pairs; the part of a
  pair's gap inside office hours counts as ``away_minutes`` when it is longer than
  ``away_threshold_minutes``. Punches less than a minute apart count once (double taps).
* Leave covers whole sessions (morning = sessions starting before noon). A session on
  leave is not judged, so a half-day leave moves the expected arrival or departure.
* Until the window closes the result is provisional: nothing is absent, missing or
  early yet (Frappe's "absent a day later" and TimeTrex's 16-hour hold, made exact).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from monitor.engine.calendar import HOLIDAY, NOT_REQUIRED, REQUIRED
from monitor.engine.clock import wall_time
from monitor.engine.day import PRESENT, DayPlan, DayResult, LeaveDay, plan_day  # noqa: F401 - plan_day re-exported
from monitor.engine.leave import LeaveConfig
from monitor.engine.rules import (
    away_by_session,
    early_minutes,
    late_minutes,
    overlap,
    too_late_to_count,
)
from monitor.engine.sessions import judge_required_day


def evaluate_day(
    plan: DayPlan,
    punches: Sequence[tuple[int, int]],
    leave: Sequence[LeaveDay],
    now: datetime,
    symbols: LeaveConfig,
    *,
    direct: bool = True,
) -> DayResult:
    """Judge one employee-day.

    ``punches``: ``(seconds since local midnight, punch id)`` of that local date, sorted.
    ``now``: the current local wall time (naive, or aware in the site's zone).
    ``direct=False`` always takes the session by session path (the tests run the table
    of cases both ways, to hold the two paths together).
    """
    if plan.kind != REQUIRED:
        # nothing on a free day depends on the time of day: a later punch marks it dirty
        return _free_day(plan, punches, symbols)
    closed = wall_time(now) >= plan.closes_at  # type: ignore[operator]
    if (
        direct
        and closed
        and not leave
        and len(punches) >= 2
        and plan.schedule.punch_mode == "first-last"
        and plan.window_start <= punches[0][0] < plan.sessions[0].end
        and plan.sessions[-1].start < punches[-1][0] <= plan.window_end
        and not too_late_to_count(plan.schedule, plan.sessions[0], punches[0][0])
    ):
        return _everyone_there(plan, punches, symbols.worked_symbol)
    return judge_required_day(plan, punches, leave, closed, symbols)


def _everyone_there(plan: DayPlan, punches: Sequence[tuple[int, int]], worked_symbol: str) -> DayResult:
    """The common day, judged directly: a closed first-last day without leave whose
    punches all lie in the window, arriving before the first session ends (and not too
    late to count) and leaving after the last one starts, so every session is attended.
    Built from the same rules as the general path; the engine's table of cases runs
    against both, and a property test holds them together."""
    arrival, departure = punches[0][0], punches[-1][0]
    schedule, sessions = plan.schedule, plan.sessions
    away = sum(away_by_session(schedule, sessions, [p[0] for p in punches])) if len(punches) >= 4 else 0
    worked = sum(overlap(arrival, departure, session) for session in sessions) - away
    late = late_minutes(schedule, sessions[0], arrival)
    early = early_minutes(schedule, sessions[-1], departure)
    return DayResult(
        PRESENT,
        arrival,
        departure,
        late or 0,
        early or 0,
        max(0, worked) // 60,
        away // 60,
        0,
        0,
        int(late is not None),
        int(early is not None),
        0.0,
        0.0,
        1.0,
        worked_symbol,
        None,
        None,
        False,
        tuple([p[1] for p in punches]),
        {"calendar": plan.name} if plan.name else None,
    )


def _free_day(plan: DayPlan, punches: Sequence[tuple[int, int]], symbols: LeaveConfig) -> DayResult:
    """A day nobody must work: punches are extra work, never violations."""
    result = DayResult(plan.kind, holiday=plan.name if plan.kind != NOT_REQUIRED else None)
    result.symbol = symbols.holiday_symbol if plan.kind == HOLIDAY else ""
    if punches:
        result.arrival = punches[0][0]
        result.departure = punches[-1][0] if len(punches) > 1 else None
        if len(punches) > 1:
            result.worked_minutes = (punches[-1][0] - punches[0][0]) // 60
        result.punch_ids = tuple(p[1] for p in punches)
        result.detail = {"extra_work": True}
    return result
