"""The rules of a judged day, each written once: lateness, early departure, a session
missed for arriving too late, time away between punches, and time worked.

Both ways of judging a required day (the direct path for the common day in
:mod:`.judge` and the session by session path in :mod:`.sessions`) are built from these
functions. Times are seconds since local midnight.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.engine.schedules import Schedule, Session

DOUBLE_TAP_SECONDS = 60  # punches closer than this count once


def late_minutes(schedule: Schedule, session: Session, arrival: int) -> int | None:
    """Late iff the arrival is after the start plus grace, to the second; the whole
    minutes since the start (0 is possible: late by seconds), or ``None`` when on time."""
    if arrival > session.start + schedule.grace_in_minutes * 60:
        return (arrival - session.start) // 60
    return None


def early_minutes(schedule: Schedule, session: Session, departure: int) -> int | None:
    """Early iff the departure is before the end minus grace; the whole minutes to the
    end, or ``None`` when not early."""
    if departure < session.end - schedule.grace_out_minutes * 60:
        return (session.end - departure) // 60
    return None


def too_late_to_count(schedule: Schedule, session: Session, arrival: int) -> bool:
    """An arrival later than ``late_as_absent_minutes`` after the start misses the session."""
    limit = schedule.late_as_absent_minutes
    return limit is not None and arrival > session.start + limit * 60


def overlap(start: int, end: int, session: Session) -> int:
    """Seconds of ``start``..``end`` inside the session."""
    return max(0, min(end, session.end) - max(start, session.start))


def away_by_session(schedule: Schedule, sessions: Sequence[Session], times: Sequence[int]) -> list[int]:
    """Seconds away inside each session: punches between the first and the last are
    taken in (out, back) pairs, double taps counted once, and a pair counts when the
    part of its gap inside office hours is longer than the away threshold."""
    taps: list[int] = []
    for moment in times:
        if not taps or moment - taps[-1] >= DOUBLE_TAP_SECONDS:
            taps.append(moment)
    away = [0] * len(sessions)
    middle = taps[1:-1]
    threshold = schedule.away_threshold_minutes * 60
    for out, back in zip(middle[::2], middle[1::2]):
        inside = [overlap(out, back, session) for session in sessions]
        if sum(inside) > threshold:
            away = [total + seconds for total, seconds in zip(away, inside)]
    return away
