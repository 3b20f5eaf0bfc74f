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
from monitor.engine.sessions import DOUBLE_TAP_SECONDS, judge_required_day


def evaluate_day(
    plan: DayPlan,
    punches: Sequence[tuple[int, int]],
    leave: Sequence[LeaveDay],
    now: datetime,
    symbols: LeaveConfig,
) -> DayResult:
    """Judge one employee-day.

    ``punches``: ``(seconds since local midnight, punch id)`` of that local date, sorted.
    ``now``: the current local wall time (naive, or aware in the site's zone).
    """
    if plan.kind != REQUIRED:
        # nothing on a free day depends on the time of day: a later punch marks it dirty
        return _free_day(plan, punches, symbols)
    closed = wall_time(now) >= plan.closes_at  # type: ignore[operator]
    if (
        closed
        and not leave
        and len(punches) >= 2
        and plan.schedule.punch_mode == "first-last"
        and plan.window_start <= punches[0][0] < plan.sessions[0].end
        and plan.sessions[-1].start < punches[-1][0] <= plan.window_end
        and punches[0][0] <= plan.absent_after
    ):
        return _everyone_there(plan, punches, symbols.worked_symbol)
    return judge_required_day(plan, punches, leave, closed, symbols)


def _everyone_there(plan: DayPlan, punches: Sequence[tuple[int, int]], worked_symbol: str) -> DayResult:
    """The common day, judged directly: a closed first-last day without leave whose
    punches all lie in the window, arriving before the first session ends and leaving
    after the last one starts. Must agree with the general path (a property test
    holds them together)."""
    arrival, departure = punches[0][0], punches[-1][0]
    sessions = plan.sessions
    away = 0
    if len(punches) >= 4:
        taps: list[int] = []
        for moment, _ in punches:
            if not taps or moment - taps[-1] >= DOUBLE_TAP_SECONDS:
                taps.append(moment)
        middle = taps[1:-1]
        for out, back in zip(middle[::2], middle[1::2]):
            inside = 0
            for session in sessions:
                inside += max(0, min(back, session.end) - max(out, session.start))
            if inside > plan.away_over:
                away += inside
    worked = -away
    for session in sessions:
        worked += max(0, min(departure, session.end) - max(arrival, session.start))
    late = arrival > plan.late_after
    early = departure < plan.early_before
    return DayResult(
        PRESENT,
        arrival,
        departure,
        (arrival - sessions[0].start) // 60 if late else 0,
        (sessions[-1].end - departure) // 60 if early else 0,
        max(0, worked) // 60,
        away // 60,
        0,
        0,
        int(late),
        int(early),
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
