"""The engine's sections of the config, parsed into one typed :class:`OfficePolicy`.

``[schedules]`` (see :mod:`monitor.config.schedules`), ``[units.<code>]`` (schedule and
calendar overrides per unit), ``[calendar]`` (global overrides, the first judged day),
``[leave]`` (see :mod:`monitor.config.leave`) and ``[rules]`` (warning thresholds).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import date
from typing import Any

from monitor.config.checker import Checker, KeyPath
from monitor.config.leave import parse_leave
from monitor.config.schedules import parse_schedules
from monitor.engine.calendar import DayOverride
from monitor.engine.policy import (
    RULE_DEFAULTS,
    CalendarPolicy,
    OfficePolicy,
    RulesPolicy,
    UnitPolicy,
)

SECTIONS = ("schedules", "units", "calendar", "leave", "rules")
UNIT_KEYS = {"schedule", "days_off", "workdays"}
CALENDAR_KEYS = {"days_off", "workdays", "evaluate_from"}
OVERRIDE_KEYS = {"date", "from", "to", "name", "ref"}
MAKEUP_DEFAULT_NAME = "Ngày làm việc (theo cấu hình)"


def parse_policy(checker: Checker, raw: Mapping[str, Any]) -> OfficePolicy:
    """The engine's sections of the parsed TOML (code defaults for absent ones)."""
    schedules = parse_schedules(checker, raw.get("schedules"))
    declared = raw.get("schedules")
    known = frozenset(schedules) | (frozenset(declared) if isinstance(declared, Mapping) else frozenset())
    return OfficePolicy(
        schedules=schedules,
        units=parse_units(checker, raw.get("units"), known),
        calendar=parse_calendar(checker, raw.get("calendar")),
        leave=parse_leave(checker, raw.get("leave")),
        rules=parse_rules(checker, raw.get("rules")),
    )


# --- parsers --------------------------------------------------------------------------


def parse_units(checker: Checker, raw: Any, known_schedules: frozenset[str]) -> dict[str, UnitPolicy]:
    """``[units.<code>]``: ``schedule`` and ``days_off``/``workdays`` for a unit and below.

    ``known_schedules``: the ids ``[schedules]`` declares, valid or not (an invalid one
    has its own problem already; naming it again here would only add noise)."""
    table = checker.table(raw, ("units",))
    units: dict[str, UnitPolicy] = {}
    for code, entry in table.items():
        path: KeyPath = ("units", code)
        unit_table = checker.table(entry, path)
        checker.known_keys(unit_table, UNIT_KEYS, path)
        schedule = checker.get(unit_table, "schedule", str, path)
        if schedule is not None and schedule not in known_schedules:
            known = ", ".join(sorted(known_schedules))
            close = difflib.get_close_matches(schedule, list(known_schedules), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            checker.problem(path + ("schedule",), f"no schedule {schedule!r}; {hint}(defined: {known})")
            schedule = None
        units[code] = UnitPolicy(code, schedule, _parse_overrides(checker, unit_table, path))
    return units


def parse_calendar(checker: Checker, raw: Any) -> CalendarPolicy:
    path: KeyPath = ("calendar",)
    table = checker.table(raw, path)
    checker.known_keys(table, CALENDAR_KEYS, path)
    start = None
    if "evaluate_from" in table:
        start = _date(checker, table["evaluate_from"], path + ("evaluate_from",))
    return CalendarPolicy(_parse_overrides(checker, table, path), start)


def parse_rules(checker: Checker, raw: Any) -> RulesPolicy:
    path: KeyPath = ("rules",)
    table = checker.table(raw, path)
    checker.known_keys(table, set(RULE_DEFAULTS), path)
    thresholds: dict[str, float] = {}
    for name, default in RULE_DEFAULTS.items():
        value = checker.get(table, name, float, path, default, check=_not_negative)
        if value:
            thresholds[name] = value
    return RulesPolicy(thresholds)


def _not_negative(value: float) -> str | None:
    return f"{value} must not be negative (0 turns the warning off)" if value < 0 else None


def _parse_overrides(checker: Checker, table: Mapping[str, Any], path: KeyPath) -> dict[date, DayOverride]:
    overrides: dict[date, DayOverride] = {}
    where_of: dict[date, str] = {}
    for key, off in (("days_off", True), ("workdays", False)):
        if key not in table:
            continue
        entries = table[key]
        if not isinstance(entries, list):
            checker.problem(path + (key,), 'must be an array of tables, e.g. [{date = 2026-01-02, name = "...", ref = "..."}]')
            continue
        for index, entry in enumerate(entries):
            where = path + (key, index)
            for override in _override_entries(checker, entry, off, where):
                if override.day in overrides:
                    checker.problem(where, f"{override.day.isoformat()} is already listed in {where_of[override.day]}")
                    continue
                overrides[override.day] = override
                where_of[override.day] = f"{key}[{index}]"
    return overrides


def _override_entries(checker: Checker, entry: Any, off: bool, where: KeyPath) -> list[DayOverride]:
    table = checker.table(entry, where)
    checker.known_keys(table, OVERRIDE_KEYS, where)
    name = checker.get(table, "name", str, where, None if off else MAKEUP_DEFAULT_NAME, required=off)
    ref = checker.get(table, "ref", str, where)
    if "date" in table and ("from" in table or "to" in table):
        checker.problem(where, "give either date or from/to, not both")
        return []
    if "date" in table:
        day = _date(checker, table["date"], where + ("date",))
        return [DayOverride(day, off, name or "", ref)] if day and name is not None else []
    if "from" not in table or "to" not in table:
        checker.problem(where, "needs date (one day) or from and to (a range of days)")
        return []
    first = _date(checker, table["from"], where + ("from",))
    last = _date(checker, table["to"], where + ("to",))
    if not first or not last or name is None:
        return []
    if last < first:
        checker.problem(where + ("to",), f"{last.isoformat()} is before from ({first.isoformat()})")
        return []
    if (last - first).days > 366:
        checker.problem(where + ("to",), "a range of more than a year is surely a typo")
        return []
    return [DayOverride(date.fromordinal(n), off, name, ref) for n in range(first.toordinal(), last.toordinal() + 1)]


def _date(checker: Checker, value: Any, path: KeyPath) -> date | None:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    checker.problem(path, f"{value!r} is not a date (write 2026-01-02)")
    return None
