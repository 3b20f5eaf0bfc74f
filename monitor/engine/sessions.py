"""The general path of judging a required day, session by session.

:func:`judge_required_day` handles every case (leave, per-session mode, missing
punches, days still open); ``monitor.engine.judge`` documents the rules and may take a
shortcut for the common day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.engine.day import (
    ABSENT,
    LEAVE,
    PARTIAL_ABSENT,
    PENDING,
    PRESENT,
    DayPlan,
    DayResult,
    LeaveDay,
)
from monitor.engine.leave import LeaveConfig, LeaveKind
from monitor.engine.rules import (
    away_by_session,
    early_minutes,
    late_minutes,
    overlap,
    too_late_to_count,
)
from monitor.engine.schedules import Schedule, Session, clock_text

# session states
_ATTENDED, _MISSED, _ON_LEAVE, _PENDING = "attended", "absent", "leave", "pending"


@dataclass(slots=True)
class _Session:
    """Working state of one session while judging."""

    session: Session
    state: str
    leave: LeaveKind | None = None
    punch_in: int | None = None
    punch_out: int | None = None
    is_late: bool = False
    is_early: bool = False
    late: int = 0  # minutes
    early: int = 0
    away: int = 0  # seconds
    worked: int = 0  # seconds


def judge_required_day(
    plan: DayPlan, punches: Sequence[tuple[int, int]], leave: Sequence[LeaveDay], closed: bool, symbols: LeaveConfig
) -> DayResult:
    """The general path for a required day (``evaluate_day`` may take a shortcut)."""
    low, high = plan.window_start, plan.window_end
    used = [p for p in punches if low <= p[0] <= high]
    times = [p[0] for p in used]
    sessions = _cover(plan.sessions, leave)
    expected = [s for s in sessions if s.state != _ON_LEAVE]
    missing_in = missing_out = 0
    if expected:
        if plan.schedule.punch_mode == "per-session":
            missing_in, missing_out = _judge_per_session(plan, sessions, times, closed)
        else:
            missing_in, missing_out = _judge_first_last(plan.schedule, expected, times, closed)
    result = _summarize(sessions, symbols)
    result.missing_in, result.missing_out = missing_in, missing_out
    result.provisional = not closed
    result.punch_ids = tuple(p[1] for p in used)
    ins = [s.punch_in for s in sessions if s.punch_in is not None]
    outs = [s.punch_out for s in sessions if s.punch_out is not None]
    result.arrival = min(ins) if ins else None
    result.departure = max(outs) if outs else None
    detail: dict = {}
    if len(used) != len(punches):
        detail["outside_window"] = [clock_text(p[0]) for p in punches if not low <= p[0] <= high]
    if plan.name:
        detail["calendar"] = plan.name
    if plan.schedule.punch_mode == "per-session" or result.status != PRESENT or result.leave_kinds:
        detail["sessions"] = [_session_detail(s) for s in sessions]
    result.detail = detail or None
    return result


def _cover(sessions: tuple[Session, ...], leave: Sequence[LeaveDay]) -> list[_Session]:
    """Working state per session, with the leave (if any) that covers it."""
    states = []
    for session in sessions:
        kind = None
        for item in leave:
            if item.part == "full" or (item.part == "morning") == session.is_morning:
                kind = item.kind
                break
        states.append(_Session(session, _ON_LEAVE if kind else _PENDING, kind))
    return states


def _judge_first_last(schedule: Schedule, expected: list[_Session], times: list[int], closed: bool) -> tuple[int, int]:
    arrival = departure = None
    if len(times) >= 2:
        arrival, departure = times[0], times[-1]
    elif times:
        first, last = expected[0].session, expected[-1].session
        if 2 * times[0] <= first.start + last.end:
            arrival = times[0]
        else:
            departure = times[0]
    # while the window is open the last punch so far is not yet the departure
    final_departure = departure if closed else None
    not_there = _MISSED if closed else _PENDING
    for state in expected:
        session = state.session
        if arrival is None and departure is None:
            state.state = not_there
        elif (arrival is not None and arrival >= session.end) or (
            final_departure is not None and final_departure <= session.start
        ):
            state.state = not_there
        else:
            state.state = _ATTENDED
    attended = [s for s in expected if s.state == _ATTENDED]
    if attended and arrival is not None:
        attended[0].punch_in = arrival
        _judge_in(schedule, attended[0], arrival, closed)
        if attended[0].state != _ATTENDED:
            attended.pop(0)
    if attended:
        attended[-1].punch_out = departure
        if final_departure is not None:
            _judge_out(schedule, attended[-1], final_departure)
        _away(schedule, attended, times)
        if arrival is not None and departure is not None:
            for state in attended:
                state.worked = overlap(arrival, departure, state.session) - state.away
    missing_in = int(closed and bool(times) and arrival is None)
    missing_out = int(closed and bool(times) and departure is None)
    return missing_in, missing_out


def _judge_per_session(plan: DayPlan, sessions: list[_Session], times: list[int], closed: bool) -> tuple[int, int]:
    schedule = plan.schedule
    bounds = [(a.session.end + b.session.start) // 2 for a, b in zip(sessions, sessions[1:])] + [plan.window_end]
    groups: list[list[int]] = [[] for _ in sessions]
    index = 0
    for moment in times:
        while moment > bounds[index]:
            index += 1
        groups[index].append(moment)
    missing_in = missing_out = 0
    for state, group in zip(sessions, groups):
        if state.state == _ON_LEAVE:
            continue
        session = state.session
        if not group:
            state.state = _MISSED if closed else _PENDING
            continue
        state.state = _ATTENDED
        if len(group) >= 2:
            state.punch_in, state.punch_out = group[0], group[-1]
        elif 2 * group[0] <= session.start + session.end:
            state.punch_in = group[0]
        else:
            state.punch_out = group[0]
        if state.punch_in is not None:
            _judge_in(schedule, state, state.punch_in, closed)
            if state.state != _ATTENDED:
                continue
        if closed and state.punch_out is not None:
            _judge_out(schedule, state, state.punch_out)
        _away(schedule, [state], group)
        if state.punch_in is not None and state.punch_out is not None:
            state.worked = overlap(state.punch_in, state.punch_out, session) - state.away
        missing_in += int(closed and state.punch_in is None)
        missing_out += int(closed and state.punch_out is None)
    return missing_in, missing_out


def _judge_in(schedule: Schedule, state: _Session, moment: int, closed: bool) -> None:
    if too_late_to_count(schedule, state.session, moment):
        # the session is missed (once the window has closed)
        state.state = _MISSED if closed else _PENDING
        return
    late = late_minutes(schedule, state.session, moment)
    if late is not None:
        state.is_late = True
        state.late = late


def _judge_out(schedule: Schedule, state: _Session, moment: int) -> None:
    early = early_minutes(schedule, state.session, moment)
    if early is not None:
        state.is_early = True
        state.early = early


def _away(schedule: Schedule, attended: list[_Session], times: list[int]) -> None:
    for state, seconds in zip(attended, away_by_session(schedule, [s.session for s in attended], times)):
        state.away += seconds


def _summarize(sessions: list[_Session], symbols: LeaveConfig) -> DayResult:
    count = len(sessions)
    attended = missed = on_leave = pending = work_leave = 0
    result = DayResult(PRESENT)
    worked = away = 0
    for state in sessions:
        if state.state == _ATTENDED:
            attended += 1
            result.late_minutes += state.late
            result.early_minutes += state.early
            result.late_count += state.is_late
            result.early_count += state.is_early
            worked += state.worked
            away += state.away
        elif state.state == _MISSED:
            missed += 1
        elif state.state == _ON_LEAVE:
            on_leave += 1
            work_leave += state.leave.counts_as_work  # type: ignore[union-attr]
        else:
            pending += 1
    result.worked_minutes = max(0, worked) // 60
    result.away_minutes = away // 60
    if on_leave == count:
        result.status = LEAVE
    elif missed == 0:
        result.status = PRESENT if attended else PENDING
    elif attended == 0 and on_leave == 0:
        result.status = ABSENT
    else:
        result.status = PARTIAL_ABSENT
    result.absent_fraction = round(missed / count, 4)
    result.leave_fraction = round(on_leave / count, 4)
    result.present_fraction = round((attended + work_leave) / count, 4)
    kinds = [s.leave.code for s in sessions if s.leave is not None]
    result.leave_kinds = ",".join(dict.fromkeys(kinds)) or None
    result.symbol = _symbol(sessions, symbols, attended > 0)
    return result


def _symbol(sessions: list[_Session], symbols: LeaveConfig, anyone_seen: bool) -> str:
    """The C01-HD symbol: one per half-day, combined when the halves differ."""

    def one(state: _Session) -> str:
        if state.state == _ON_LEAVE:
            return state.leave.code  # type: ignore[union-attr]
        if state.state == _MISSED:
            return symbols.absent_symbol
        if state.state == _PENDING and not anyone_seen:
            return ""
        return symbols.worked_symbol

    def half(states: list[_Session]) -> str | None:
        found = list(dict.fromkeys(one(s) for s in states))
        if not found:
            return None
        if len(found) == 1:
            return found[0]
        if symbols.absent_symbol in found:
            return symbols.absent_symbol
        return next((f for f in found if f != symbols.worked_symbol), found[0])

    morning = half([s for s in sessions if s.session.is_morning])
    afternoon = half([s for s in sessions if not s.session.is_morning])
    if morning is None or afternoon is None:
        return morning if afternoon is None else afternoon  # type: ignore[return-value]
    return symbols.half_day(morning, afternoon)


def _session_detail(state: _Session) -> dict:
    detail: dict = {"session": str(state.session), "state": state.state}
    if state.leave is not None:
        detail["leave"] = state.leave.code
    if state.punch_in is not None:
        detail["in"] = clock_text(state.punch_in)
    if state.punch_out is not None:
        detail["out"] = clock_text(state.punch_out)
    if state.is_late:
        detail["late"] = state.late
    if state.is_early:
        detail["early"] = state.early
    if state.away:
        detail["away"] = state.away // 60
    return detail
