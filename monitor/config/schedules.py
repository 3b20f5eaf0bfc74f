"""``[schedules.<id>]``: office hours from the config, as the engine's :class:`Schedule`.

Every problem is recorded on the :class:`Checker` with its key path and line; periods
must cover the whole year without overlap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time
from typing import Any

from monitor.config.checker import Checker, KeyPath
from monitor.config.core import ID_PATTERN
from monitor.engine.schedules import (
    ALL_YEAR,
    DEFAULT_ID,
    PUNCH_MODES,
    SITE_DEFAULT,
    Period,
    Schedule,
    Session,
    clock_text,
)

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Vietnamese office usage: thứ hai (T2) .. thứ bảy (T7), chủ nhật (CN)
WEEKDAY_ALIASES = {"t2": 0, "t3": 1, "t4": 2, "t5": 3, "t6": 4, "t7": 5, "cn": 6}
SCHEDULE_KEYS = {
    "name",
    "weekdays",
    "sessions",
    "days",
    "periods",
    "grace_in_minutes",
    "grace_out_minutes",
    "punch_mode",
    "window_before_minutes",
    "window_after_minutes",
    "late_as_absent_minutes",
    "away_threshold_minutes",
}
PERIOD_KEYS = {"name", "from", "to", "sessions", "days"}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
_LEAP_YEAR = 2024  # periods are checked on a leap year so that 02-29 is covered too




def parse_schedules(checker: Checker, raw: Any) -> dict[str, Schedule]:
    """Validate ``[schedules.<id>]`` tables; the result always holds a ``default``."""
    table = checker.table(raw, ("schedules",))
    schedules: dict[str, Schedule] = {}
    for schedule_id, entry in table.items():
        path: KeyPath = ("schedules", schedule_id)
        if not ID_PATTERN.match(schedule_id):
            checker.problem(path, f"{schedule_id!r} is not a valid schedule id (letters, digits, '-', '_', '.')")
            continue
        schedule = _parse_schedule(checker, schedule_id, checker.table(entry, path), path)
        if schedule is not None:
            schedules[schedule_id] = schedule
    schedules.setdefault(DEFAULT_ID, SITE_DEFAULT)
    return schedules


def _parse_schedule(checker: Checker, schedule_id: str, table: Mapping[str, Any], path: KeyPath) -> Schedule | None:
    checker.known_keys(table, SCHEDULE_KEYS, path)
    before = len(checker.problems)
    weekdays = _parse_weekdays(checker, table.get("weekdays"), path + ("weekdays",)) if "weekdays" in table else frozenset(range(5))
    sessions = _parse_sessions(checker, table["sessions"], path + ("sessions",)) if "sessions" in table else None
    days = _parse_days(checker, table.get("days"), weekdays, path + ("days",))
    if "periods" in table:
        periods = _parse_periods(checker, table["periods"], sessions, days, weekdays, path + ("periods",))
    elif "sessions" not in table:
        checker.problem(path, 'needs sessions, e.g. sessions = [["07:30", "11:30"], ["13:30", "17:00"]], or periods')
        periods = ()
    else:
        periods = (Period("all year", *ALL_YEAR, sessions, days),)
    grace_in = checker.get(table, "grace_in_minutes", int, path, 0, check=_minutes)
    late_as_absent = checker.get(table, "late_as_absent_minutes", int, path, None, check=_minutes)
    if late_as_absent is not None and late_as_absent <= grace_in:
        checker.problem(
            path + ("late_as_absent_minutes",),
            f"{late_as_absent} must be greater than grace_in_minutes ({grace_in}), or nobody could be merely late",
        )
    punch_mode = checker.get(table, "punch_mode", str, path, "first-last", check=_punch_mode)
    schedule = Schedule(
        id=schedule_id,
        name=checker.get(table, "name", str, path, schedule_id),
        weekdays=weekdays,
        periods=periods,
        grace_in_minutes=grace_in,
        grace_out_minutes=checker.get(table, "grace_out_minutes", int, path, 0, check=_minutes),
        punch_mode=punch_mode,
        window_before_minutes=checker.get(table, "window_before_minutes", int, path, 120, check=_minutes),
        window_after_minutes=checker.get(table, "window_after_minutes", int, path, 240, check=_minutes),
        late_as_absent_minutes=late_as_absent,
        away_threshold_minutes=checker.get(table, "away_threshold_minutes", int, path, 30, check=_minutes),
    )
    return schedule if len(checker.problems) == before else None


def _minutes(value: int) -> str | None:
    if value < 0:
        return f"{value} must not be negative"
    if value >= 24 * 60:
        return f"{value} minutes is a day or more"
    return None


def _punch_mode(value: str) -> str | None:
    if value in PUNCH_MODES:
        return None
    return f"{value!r} is not a punch mode (first-last: first punch in, last punch out; per-session: in and out each session)"


def _parse_weekdays(checker: Checker, value: Any, path: KeyPath) -> frozenset[int]:
    if not isinstance(value, list) or not value:
        checker.problem(path, 'must be a non-empty array of weekdays, e.g. ["mon", "tue", "wed", "thu", "fri"]')
        return frozenset(range(5))
    days: set[int] = set()
    for index, name in enumerate(value):
        number = weekday_number(name)
        if number is None:
            checker.problem(path, f"{name!r} (item {index}) is not a weekday: use {', '.join(WEEKDAY_NAMES)} (or t2..t7, cn)")
        elif number in days:
            checker.problem(path, f"{name!r} is listed twice")
        else:
            days.add(number)
    return frozenset(days)


def weekday_number(name: Any) -> int | None:
    """0 for ``mon``/``t2`` .. 6 for ``sun``/``cn``; ``None`` for anything else."""
    if not isinstance(name, str):
        return None
    key = name.strip().lower()
    if key in WEEKDAY_NAMES:
        return WEEKDAY_NAMES.index(key)
    return WEEKDAY_ALIASES.get(key)


def _parse_time(checker: Checker, value: Any, path: KeyPath) -> int | None:
    if isinstance(value, time):
        return value.hour * 3600 + value.minute * 60 + value.second
    match = _TIME.match(value) if isinstance(value, str) else None
    if match:
        hours, minutes, seconds = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
        if hours < 24 and minutes < 60 and seconds < 60:
            return hours * 3600 + minutes * 60 + seconds
    checker.problem(path, f'{value!r} is not a time of day (write "07:30")')
    return None


def _parse_sessions(checker: Checker, value: Any, path: KeyPath) -> tuple[Session, ...] | None:
    if not isinstance(value, list) or not value:
        checker.problem(path, 'must be a non-empty array of [start, end] pairs, e.g. [["07:30", "11:30"], ["13:30", "17:00"]]')
        return None
    sessions: list[Session] = []
    for index, pair in enumerate(value):
        where = path + (index,)
        if not isinstance(pair, list) or len(pair) != 2:
            checker.problem(where, f'must be a [start, end] pair such as ["07:30", "11:30"], not {pair!r}')
            return None
        start = _parse_time(checker, pair[0], where)
        end = _parse_time(checker, pair[1], where)
        if start is None or end is None:
            return None
        session = Session(start, end)
        if end <= start:
            checker.problem(
                where,
                f"{clock_text(start, with_seconds=False)}–{clock_text(end, with_seconds=False)} crosses midnight or is empty:"
                " a session must end after it starts on the same day (night sessions are not supported yet)",
            )
            return None
        if sessions and start < sessions[-1].end:
            checker.problem(
                where,
                f"{session} starts before the previous session {sessions[-1]} ends (list sessions in order, without overlap)",
            )
            return None
        sessions.append(session)
    return tuple(sessions)


def _parse_days(checker: Checker, value: Any, weekdays: frozenset[int], path: KeyPath) -> dict[int, tuple[Session, ...]]:
    """``days = { sat = [["07:30", "11:30"]] }``: a weekday with its own sessions."""
    table = checker.table(value, path)
    days: dict[int, tuple[Session, ...]] = {}
    for name, sessions_value in table.items():
        number = weekday_number(name)
        if number is None:
            checker.problem(path + (name,), f"{name!r} is not a weekday: use {', '.join(WEEKDAY_NAMES)} (or t2..t7, cn)")
            continue
        if number not in weekdays:
            checker.problem(path + (name,), f"{name} is not in weekdays (add it there, or remove these sessions)")
            continue
        sessions = _parse_sessions(checker, sessions_value, path + (name,))
        if sessions is not None:
            days[number] = sessions
    return days


def _parse_month_day(checker: Checker, value: Any, path: KeyPath) -> tuple[int, int] | None:
    match = _MONTH_DAY.match(value) if isinstance(value, str) else None
    if match:
        month, day = int(match.group(1)), int(match.group(2))
        try:
            date(_LEAP_YEAR, month, day)
        except ValueError:
            pass
        else:
            return month, day
    checker.problem(path, f'{value!r} is not a month-day (write "04-15" for 15 April)')
    return None


def _parse_periods(
    checker: Checker,
    value: Any,
    sessions: tuple[Session, ...] | None,
    days: dict[int, tuple[Session, ...]],
    weekdays: frozenset[int],
    path: KeyPath,
) -> tuple[Period, ...]:
    if not isinstance(value, list) or not value:
        checker.problem(path, "must be an array of tables: write each period as [[schedules.<id>.periods]]")
        return ()
    periods: list[Period] = []
    for index, entry in enumerate(value):
        where = path + (index,)
        table = checker.table(entry, where)
        checker.known_keys(table, PERIOD_KEYS, where)
        start = _parse_month_day(checker, table.get("from"), where + ("from",)) if "from" in table else None
        end = _parse_month_day(checker, table.get("to"), where + ("to",)) if "to" in table else None
        for key in ("from", "to"):
            if key not in table:
                checker.problem(where + (key,), 'is required (a month-day such as "04-15")')
        own = _parse_sessions(checker, table["sessions"], where + ("sessions",)) if "sessions" in table else None
        if own is None and "sessions" not in table and sessions is None:
            checker.problem(where, "needs sessions (its own, or the schedule's)")
        own_days = _parse_days(checker, table.get("days"), weekdays, where + ("days",)) if "days" in table else days
        name = checker.get(table, "name", str, where, f"period {index}")
        if start and end and (own or sessions):
            periods.append(Period(name, start, end, own or sessions or (), own_days))
    if len(periods) == len(value):
        _check_year_covered(checker, periods, path)
    return tuple(periods)


def _check_year_covered(checker: Checker, periods: list[Period], path: KeyPath) -> None:
    """Every day of a (leap) year must fall in exactly one period; name the dates if not."""
    day = date(_LEAP_YEAR, 1, 1)
    owners: list[tuple[tuple[int, int], tuple[int, ...]]] = []
    while day.year == _LEAP_YEAR:
        month_day = (day.month, day.day)
        owners.append((month_day, tuple(i for i, p in enumerate(periods) if p.contains(month_day))))
        day = date.fromordinal(day.toordinal() + 1)
    for owner_set, runs in _runs(owners).items():
        for first, last in runs:
            span = f"{first[0]:02d}-{first[1]:02d}..{last[0]:02d}-{last[1]:02d}"
            if not owner_set:
                checker.problem(path, f"no period covers {span} (periods must cover the whole year without overlap)")
            elif len(owner_set) > 1:
                names = " and ".join(f"periods[{i}] ({periods[i].name!r})" for i in owner_set)
                both = "both" if len(owner_set) == 2 else "all"
                checker.problem(path, f"{names} {both} cover {span} (periods must not overlap)")


def _runs(owners: list[tuple[tuple[int, int], tuple[int, ...]]]) -> dict[tuple[int, ...], list[tuple[tuple[int, int], tuple[int, int]]]]:
    """Group consecutive days with the same owners; a run over New Year is joined."""
    runs: list[tuple[tuple[int, ...], tuple[int, int], tuple[int, int]]] = []
    for month_day, owner_set in owners:
        if runs and runs[-1][0] == owner_set:
            runs[-1] = (owner_set, runs[-1][1], month_day)
        else:
            runs.append((owner_set, month_day, month_day))
    if len(runs) > 1 and runs[0][0] == runs[-1][0]:
        runs[0] = (runs[0][0], runs[-1][1], runs[0][2])
        runs.pop()
    grouped: dict[tuple[int, ...], list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    for owner_set, first, last in runs:
        if len(owner_set) != 1:
            grouped.setdefault(owner_set, []).append((first, last))
    return grouped
