"""The office policy: which schedule each person keeps, the calendar, leave, warnings.

:class:`OfficePolicy` bundles the schedules, per-unit settings, calendar overrides,
leave kinds and warning thresholds: the one object the evaluation needs from the
config (``monitor.config.policy`` builds it from ``config.toml``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from monitor.engine.calendar import DayOverride, PublicHolidays, WorkCalendar
from monitor.engine.decisions import Decisions, shipped_decisions
from monitor.engine.leave import LeaveConfig
from monitor.engine.schedules import DEFAULT_ID, SITE_DEFAULT, Schedule
from monitor.errors import ConfigError

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
    # the government's decisions shipped with the monitor; None: the package data
    decisions: Decisions | None = None

    @property
    def shipped(self) -> Decisions:
        """The shipped decisions in force (the package data unless others were given)."""
        return self.decisions if self.decisions is not None else shipped_decisions()

    def work_calendar(self, parents: Mapping[str, str | None], public: PublicHolidays | None = None) -> WorkCalendar:
        """The calendar for a unit tree (``parents``: unit code → parent code)."""
        unit_overrides = {code: unit.overrides for code, unit in self.units.items() if unit.overrides}
        return WorkCalendar(self.calendar.overrides, unit_overrides, parents, public, self.shipped.days)

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
        the public calendar it ships, the digest of the shipped decisions for them.
        """
        import holidays

        text = repr((sorted(self.schedules.items()), sorted(self.units.items()), self.calendar, self.leave, holidays.__version__,
                     self.shipped.digest))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
