"""The office policy: which schedule each person keeps, the calendar, leave, warnings.

Parses ``[units.<code>]`` (schedule assignment and calendar overrides per unit),
``[calendar]`` (global overrides, the first judged day) and ``[rules]`` (warning
thresholds), and bundles them with ``[schedules]`` and ``[leave]`` into
:class:`OfficePolicy`, the one object the evaluation needs from the config.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from monitor.calendar import DayOverride, PublicHolidays, WorkCalendar
from monitor.errors import ConfigError
from monitor.leave import LeaveConfig, parse_leave
from monitor.schedules import DEFAULT_ID, SITE_DEFAULT, Schedule, parse_schedules

if TYPE_CHECKING:  # monitor.config imports this module to register the parsers
    from monitor.config import Checker, Config

Path = tuple[str | int, ...]
UNIT_KEYS = {"schedule", "days_off", "workdays"}
CALENDAR_KEYS = {"days_off", "workdays", "evaluate_from"}
OVERRIDE_KEYS = {"date", "from", "to", "name", "ref"}
# Reference-only defaults: the bands of the repealed Decree 34/2011 (3 unexcused days a
# month, 20 a year) and the 3 late arrivals a month. 0 turns a rule off.
RULE_DEFAULTS: dict[str, float] = {
    "late_count_per_month": 3,
    "late_minutes_per_month": 0,
    "early_count_per_month": 0,
    "early_minutes_per_month": 0,
    "away_minutes_per_month": 0,
    "missing_punches_per_month": 0,
    "absent_days_per_month": 3,
    "absent_days_per_year": 20,
}
MAKEUP_DEFAULT_NAME = "Ngày làm việc (theo cấu hình)"


@dataclass(frozen=True)
class UnitPolicy:
    code: str
    schedule: str | None = None
    overrides: Mapping[date, DayOverride] = field(default_factory=dict)


@dataclass(frozen=True)
class CalendarPolicy:
    overrides: Mapping[date, DayOverride] = field(default_factory=dict)
    evaluate_from: date | None = None  # None: from the day of the oldest stored punch


@dataclass(frozen=True)
class RulesPolicy:
    """Warning thresholds: a count at or above its threshold raises a flag of that name."""

    thresholds: Mapping[str, float] = field(default_factory=lambda: {k: v for k, v in RULE_DEFAULTS.items() if v})


@dataclass(frozen=True)
class OfficePolicy:
    schedules: Mapping[str, Schedule] = field(default_factory=lambda: {DEFAULT_ID: SITE_DEFAULT})
    units: Mapping[str, UnitPolicy] = field(default_factory=dict)
    calendar: CalendarPolicy = field(default_factory=CalendarPolicy)
    leave: LeaveConfig = field(default_factory=LeaveConfig)
    rules: RulesPolicy = field(default_factory=RulesPolicy)

    def work_calendar(self, parents: Mapping[str, str | None], public: PublicHolidays | None = None) -> WorkCalendar:
        """The calendar for a unit tree (``parents``: unit code → parent code)."""
        unit_overrides = {code: unit.overrides for code, unit in self.units.items() if unit.overrides}
        return WorkCalendar(self.calendar.overrides, unit_overrides, parents, public)

    def schedule_for(
        self,
        employee_schedule: str | None,
        unit_code: str | None,
        parents: Mapping[str, str | None],
        unit_schedules: Mapping[str, str | None],
        *,
        employee_code: str = "",
    ) -> Schedule:
        """Employee override → unit → parent units up the tree → ``default``.

        At each unit the config's ``[units.<code>] schedule`` wins over a schedule column
        imported with the unit. Raises :class:`ConfigError` for an unknown schedule id.
        """
        if employee_schedule:
            return self._named(employee_schedule, f"employee {employee_code}: their own schedule")
        seen: set[str] = set()
        code = unit_code
        while code and code not in seen:
            seen.add(code)
            configured = self.units.get(code)
            if configured and configured.schedule:
                return self._named(configured.schedule, f"[units.{code}] schedule")
            if unit_schedules.get(code):
                return self._named(unit_schedules[code], f"the schedule imported for unit {code}")
            code = parents.get(code)
        return self.schedules[DEFAULT_ID]

    def _named(self, schedule_id: str, where: str) -> Schedule:
        found = self.schedules.get(schedule_id)
        if found is None:
            known = ", ".join(sorted(self.schedules))
            raise ConfigError(f"{where} is {schedule_id!r}, which no [schedules.{schedule_id}] defines (defined: {known})")
        return found

    def fingerprint(self) -> str:
        """Changes whenever a judging input from the config (or the holiday data) does.

        Frozen dataclasses have a deterministic repr; the holidays version stands for
        the public calendar it ships.
        """
        import holidays

        text = repr((sorted(self.schedules.items()), sorted(self.units.items()), self.calendar, self.leave, holidays.__version__))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def office_policy(config: Config) -> OfficePolicy:
    """The policy parsed with the config (code defaults for absent sections)."""
    sections = config.sections
    defaults = OfficePolicy()
    return OfficePolicy(
        schedules=sections.get("schedules") or defaults.schedules,
        units=sections.get("units") or {},
        calendar=sections.get("calendar") or CalendarPolicy(),
        leave=sections.get("leave") or LeaveConfig(),
        rules=sections.get("rules") or RulesPolicy(),
    )


# --- parsers --------------------------------------------------------------------------


def parse_units(checker: Checker, raw: Any) -> dict[str, UnitPolicy]:
    """``[units.<code>]``: ``schedule`` and ``days_off``/``workdays`` for a unit and below."""
    table = checker.table(raw, ("units",))
    known_schedules = getattr(checker, "schedule_ids", frozenset({DEFAULT_ID}))
    units: dict[str, UnitPolicy] = {}
    for code, entry in table.items():
        path: Path = ("units", code)
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
    path: Path = ("calendar",)
    table = checker.table(raw, path)
    checker.known_keys(table, CALENDAR_KEYS, path)
    start = None
    if "evaluate_from" in table:
        start = _date(checker, table["evaluate_from"], path + ("evaluate_from",))
    return CalendarPolicy(_parse_overrides(checker, table, path), start)


def parse_rules(checker: Checker, raw: Any) -> RulesPolicy:
    path: Path = ("rules",)
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


def _parse_overrides(checker: Checker, table: Mapping[str, Any], path: Path) -> dict[date, DayOverride]:
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


def _override_entries(checker: Checker, entry: Any, off: bool, where: Path) -> list[DayOverride]:
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


def _date(checker: Checker, value: Any, path: Path) -> date | None:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    checker.problem(path, f"{value!r} is not a date (write 2026-01-02)")
    return None


# Registered in monitor.config.SECTION_PARSERS, in this order: [units] needs the
# schedule ids that parse_schedules leaves on the checker.
SECTION_PARSERS = {
    "schedules": parse_schedules,
    "units": parse_units,
    "calendar": parse_calendar,
    "leave": parse_leave,
    "rules": parse_rules,
}

