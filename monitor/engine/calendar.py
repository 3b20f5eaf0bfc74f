"""Which days must be worked: weekdays, Vietnamese public holidays, swaps and overrides.

Pure: plain data in, plain data out; the only outside knowledge is the ``holidays``
package (country VN, Vietnamese names), which carries the lunar holidays, the
compensatory days off (nghỉ bù), the government's substituted days off and its make-up
Saturdays (``weekend_workdays``). The decisions shipped with the monitor
(:mod:`monitor.engine.decisions`) come next, and config overrides on top, the nearest
unit first: a unit's own ``days_off``/``workdays``, then its parents', then ``[calendar]``.
:meth:`WorkCalendar.verdict` says which of them decided a day (the calendar page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

REQUIRED = "required"
HOLIDAY = "holiday"
WEEKEND = "weekend"
NOT_REQUIRED = "not_required"
MAKEUP_NAME = "Ngày làm bù"
# who decided a day (WorkCalendar.verdict)
SOURCE_SCHEDULE = "schedule"  # the schedule's weekdays, nothing else
SOURCE_PACKAGE = "package"  # the holidays package
SOURCE_DECISION = "decision"  # a decision shipped with the monitor
SOURCE_CONFIG = "config"  # [calendar] or a unit's days_off/workdays


@dataclass(frozen=True, slots=True)
class DayOverride:
    """A config decision for one date: a day off (``off``) or a working day."""

    day: date
    off: bool
    name: str
    ref: str | None = None  # the legal document, e.g. "2450/VPCP-KGVX"


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """What the calendar says about one employee-day."""

    day: date
    kind: str  # REQUIRED, HOLIDAY, WEEKEND or NOT_REQUIRED
    name: str | None = None  # holiday name, or the make-up day's note
    ref: str | None = None
    makeup: bool = False  # a normally free day worked by decision


class PublicHolidays:
    """Vietnamese public holidays from the ``holidays`` package, loaded a year at a time."""

    def __init__(self, language: str = "vi"):
        self.language = language
        self._table: Any = None

    def _ensure(self, year: int) -> Any:
        if self._table is None:
            import holidays  # imported late: only judging needs it

            self._table = holidays.country_holidays("VN", language=self.language)
        if year not in self._table.years:
            # a lookup expands the table by that year (its weekend_workdays too)
            self._table.get(date(year, 1, 1))
        return self._table

    def name(self, day: date) -> str | None:
        """The holiday's name (several joined by '; '), or ``None`` on an ordinary day."""
        return self._ensure(day.year).get(day)

    def is_makeup_workday(self, day: date) -> bool:
        """A Saturday or Sunday the government made a working day (làm bù)."""
        return day in self._ensure(day.year).weekend_workdays

    def makeup_note(self, day: date) -> str:
        """'Ngày làm bù (cho ngày nghỉ 02/05/2025)' when the swapped day off is known."""
        table = self._ensure(day.year)
        stamp = day.strftime("%d/%m/%Y")
        for other, name in table.items():
            if stamp in name and other != day:
                return f"{MAKEUP_NAME} (cho ngày nghỉ {other:%d/%m/%Y})"
        return MAKEUP_NAME

    @property
    def version(self) -> str:
        import holidays

        return holidays.__version__


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a date is worked under a schedule, and who decided it (the calendar page)."""

    day: date
    off: bool
    name: str | None
    source: str  # SOURCE_SCHEDULE, SOURCE_PACKAGE, SOURCE_DECISION or SOURCE_CONFIG
    ref: str | None = None  # the document (a shipped decision or the config's ref)
    config_unit: str | None = None  # the unit whose config decided; None: [calendar]
    package_name: str | None = None  # what the package says about the day, if anything
    confirmed_by: str | None = None  # a shipped document agreeing with the package
    makeup: bool = False  # a day the schedule does not work, worked by decision

    @property
    def unconfirmed(self) -> bool:
        """The package decided the day and no shipped document confirms it."""
        return self.source == SOURCE_PACKAGE and self.confirmed_by is None


class WorkCalendar:
    """Required days for units, from the public calendar, shipped decisions and config overrides."""

    def __init__(
        self,
        global_overrides: Mapping[date, DayOverride] | None = None,
        unit_overrides: Mapping[str, Mapping[date, DayOverride]] | None = None,
        parents: Mapping[str, str | None] | None = None,
        public: PublicHolidays | None = None,
        decisions: Mapping[date, DayOverride] | None = None,
    ):
        self.global_overrides = global_overrides or {}
        self.unit_overrides = unit_overrides or {}
        self.parents = parents or {}
        self.public = public or PublicHolidays()
        self.decisions = decisions or {}

    def override(self, day: date, unit_code: str | None) -> DayOverride | None:
        """The nearest config decision for ``day``: the unit's, a parent's, or the global one."""
        return self._override(day, unit_code)[0]

    def _override(self, day: date, unit_code: str | None) -> tuple[DayOverride | None, str | None]:
        """The nearest config decision and the unit whose config holds it (``None``: global)."""
        seen: set[str] = set()
        code = unit_code
        while code and code not in seen:
            seen.add(code)
            found = self.unit_overrides.get(code, {}).get(day)
            if found is not None:
                return found, code
            code = self.parents.get(code)
        return self.global_overrides.get(day), None

    def chain_key(self, unit_code: str | None) -> tuple[str, ...]:
        """The units on the way up whose overrides apply (for caching plans per unit)."""
        chain: list[str] = []
        code = unit_code
        while code and code not in chain:
            if code in self.unit_overrides:
                chain.append(code)
            code = self.parents.get(code)
        return tuple(chain)

    def day(
        self,
        day: date,
        unit_code: str | None,
        weekdays: frozenset[int],
        hired_on: date | None = None,
        left_on: date | None = None,
    ) -> CalendarDay:
        """Judge ``day`` for someone in ``unit_code`` whose schedule works ``weekdays``.

        Order: outside employment → not required; a config override (nearest unit
        first); a shipped decision; a public holiday or substituted day off; a make-up
        Saturday; the weekday. A holiday on a day the schedule does not work stays a
        weekend, with its name.
        """
        if (hired_on and day < hired_on) or (left_on and day > left_on):
            return CalendarDay(day, NOT_REQUIRED)
        works_weekday = day.weekday() in weekdays
        found = self.verdict(day, unit_code, weekdays)
        if found.off:
            return CalendarDay(day, HOLIDAY if works_weekday else WEEKEND, found.name, found.ref)
        return CalendarDay(day, REQUIRED, found.name, found.ref, makeup=found.makeup)

    def verdict(self, day: date, unit_code: str | None, weekdays: frozenset[int]) -> Verdict:
        """Whether ``day`` is off for the unit's schedule, and which source decided it:
        the config (nearest unit first), a shipped decision, the package, or the weekday."""
        works_weekday = day.weekday() in weekdays
        holiday = self.public.name(day)
        makeup = not works_weekday and not holiday and self.public.is_makeup_workday(day)
        package_name = holiday or (self.public.makeup_note(day) if makeup else None)
        package_off = bool(holiday) or (not works_weekday and not makeup)
        decision, config_unit = self._override(day, unit_code)
        if decision is not None:
            return Verdict(day, decision.off, decision.name, SOURCE_CONFIG, decision.ref, config_unit, package_name,
                           makeup=not decision.off and not works_weekday)
        shipped = self.decisions.get(day)
        if shipped is not None and shipped.off != package_off:
            return Verdict(day, shipped.off, shipped.name, SOURCE_DECISION, shipped.ref, None, package_name,
                           makeup=not shipped.off and not works_weekday)
        confirmed_by = shipped.ref if shipped is not None else None
        if package_name:
            return Verdict(day, package_off, package_name, SOURCE_PACKAGE, confirmed_by, None, package_name,
                           confirmed_by, makeup)
        return Verdict(day, package_off, None, SOURCE_SCHEDULE, confirmed_by, confirmed_by=confirmed_by)

    def year(self, year: int, unit_code: str | None, weekdays: frozenset[int]) -> list[Verdict]:
        """Every day of ``year`` that departs from the schedule's weekdays: a weekday off,
        or a day the schedule does not work that is worked, in date order."""
        day, last = date(year, 1, 1), date(year, 12, 31)
        found: list[Verdict] = []
        while day <= last:
            verdict = self.verdict(day, unit_code, weekdays)
            if verdict.off == (day.weekday() in weekdays):
                found.append(verdict)
            day += timedelta(days=1)
        return found
