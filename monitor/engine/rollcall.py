"""Where someone stands at one moment of a day (the roll-call, điểm danh): present,
absent with an approved reason, absent without one, or not required there then.

Pure: a day plan, the day's punches, the leave that applies, and the moment in seconds
since local midnight. Only punches at or before the moment count, so a roll-call of a
past moment gives the same answer however many punches came later.

The rules, consistent with judging the day (``monitor.engine.judge``):

* Punches outside the day's window are ignored; punches less than a minute apart count
  once (double taps).
* *In* or *out* is the parity of the punches so far: ``first-last`` counts the whole
  day (arrival, then out-and-back pairs); ``per-session`` counts only the punches of the
  session whose span, extended halfway into the gaps around it, holds the moment (a
  punch exactly halfway belongs to the earlier session), as the day is judged.
* Someone in is present, whatever the day (a punch on a day off is extra work).
* Otherwise, on a day nobody must work: not required (holiday, weekend, not hired yet,
  left). On a required day, a session runs from its start (included) to its end
  (excluded); outside every session nobody is expected (before, between or after the
  sessions). Inside a session covered by leave: absent with a reason. Not arrived yet
  while the moment is within the start + ``grace_in_minutes``: not required yet (an
  arrival then would be on time). Gone at or after the end − ``grace_out_minutes``: not
  required any more (not early). Otherwise absent without a reason: not arrived, or out
  since their last punch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from monitor.engine import calendar
from monitor.engine.calendar import NOT_REQUIRED, REQUIRED
from monitor.engine.day import DayPlan, LeaveDay
from monitor.engine.rules import DOUBLE_TAP_SECONDS
from monitor.engine.schedules import Session

# the roll-call's four groups
PRESENT = "present"
EXCUSED = "excused"  # absent with an approved reason
ABSENT = "absent"  # absent without a reason
OFF = "off"  # a day off, or not required at that moment
GROUPS = (PRESENT, EXCUSED, ABSENT, OFF)

# why, within a group
IN = "in"  # PRESENT: punched in and not out
ON_LEAVE = "leave"  # EXCUSED
NOT_ARRIVED = "not_arrived"  # ABSENT
WENT_OUT = "went_out"  # ABSENT: out since a punch, before the end of the session
HOLIDAY = "holiday"  # OFF: the day kinds
WEEKEND = "weekend"
NOT_HIRED = "not_hired"
LEFT = "left"  # left the organisation
BEFORE_HOURS = "before_hours"  # OFF: the moment
BETWEEN_SESSIONS = "between_sessions"
AFTER_HOURS = "after_hours"
WITHIN_GRACE = "within_grace"
GONE_ON_TIME = "gone_on_time"
REASONS = (IN, ON_LEAVE, NOT_ARRIVED, WENT_OUT, HOLIDAY, WEEKEND, NOT_HIRED, LEFT, BEFORE_HOURS, BETWEEN_SESSIONS,
           AFTER_HOURS, WITHIN_GRACE, GONE_ON_TIME)


@dataclass(frozen=True, slots=True)
class Standing:
    """Where someone stands at the moment, and why."""

    group: str  # PRESENT, EXCUSED, ABSENT or OFF
    reason: str  # one of REASONS
    since: int | None = None  # the punch that put them in or out (seconds since midnight)
    session: Session | None = None  # the session running at the moment
    leave: int | None = None  # EXCUSED: the index of the covering item in ``leave``


def distinct_taps(times: Sequence[int]) -> list[int]:
    """Sorted punch times with double taps (less than a minute after the last kept) dropped."""
    taps: list[int] = []
    for moment in sorted(times):
        if not taps or moment - taps[-1] >= DOUBLE_TAP_SECONDS:
            taps.append(moment)
    return taps


def stand_at(
    plan: DayPlan, punches: Sequence[int], leave: Sequence[LeaveDay], moment: int, *, hired_on: date | None = None
) -> Standing:
    """Where the person of ``plan`` stands at ``moment`` (seconds since local midnight).

    ``punches``: that day's punch times (seconds), any order; ``leave``: the leave of the
    day (its kind and part); ``hired_on`` tells 'not hired yet' from 'left' on a day
    the plan does not require.
    """
    if plan.kind != REQUIRED:
        taps = distinct_taps([p for p in punches if p <= moment])
        if len(taps) % 2:
            return Standing(PRESENT, IN, taps[-1])
        if plan.kind == NOT_REQUIRED:
            return Standing(OFF, NOT_HIRED if hired_on is not None and plan.day < hired_on else LEFT)
        return Standing(OFF, HOLIDAY if plan.kind == calendar.HOLIDAY else WEEKEND)
    sessions = plan.sessions
    taps = distinct_taps([p for p in punches if plan.window_start <= p <= min(plan.window_end, moment)])
    if plan.schedule.punch_mode == "per-session":
        taps = _taps_of_session_at(plan, taps, moment)
    session = next((s for s in sessions if s.start <= moment < s.end), None)
    last = taps[-1] if taps else None
    if len(taps) % 2:
        return Standing(PRESENT, IN, last, session)
    if session is None:
        if moment < sessions[0].start:
            return Standing(OFF, BEFORE_HOURS, last)
        return Standing(OFF, AFTER_HOURS if moment >= sessions[-1].end else BETWEEN_SESSIONS, last)
    for index, item in enumerate(leave):
        if item.part == "full" or (item.part == "morning") == session.is_morning:
            return Standing(EXCUSED, ON_LEAVE, last, session, index)
    schedule = plan.schedule
    if last is None:
        if moment <= session.start + schedule.grace_in_minutes * 60:
            return Standing(OFF, WITHIN_GRACE, None, session)
        return Standing(ABSENT, NOT_ARRIVED, None, session)
    if last >= session.end - schedule.grace_out_minutes * 60:
        return Standing(OFF, GONE_ON_TIME, last, session)
    if last < session.start and moment <= session.start + schedule.grace_in_minutes * 60:
        # out since before this session (lunch): back within the grace is on time
        return Standing(OFF, WITHIN_GRACE, last, session)
    return Standing(ABSENT, WENT_OUT, last, session)


def _taps_of_session_at(plan: DayPlan, taps: list[int], moment: int) -> list[int]:
    """Per-session mode: the taps of the session whose extended span holds ``moment``,
    with the bounds the judged day uses (halfway into each gap, then the window's end)."""
    sessions = plan.sessions
    bounds = [(a.end + b.start) // 2 for a, b in zip(sessions, sessions[1:])]
    index = next((i for i, bound in enumerate(bounds) if moment <= bound), len(bounds))
    low = bounds[index - 1] if index else -1
    high = bounds[index] if index < len(bounds) else plan.window_end
    return [t for t in taps if low < t <= high]
