"""What a unit head reads: the built-in digest sections, and when a unit's digest is due.

Every count comes from the report functions the pages use (``day_report``,
``month_report``) and :func:`monitor.reports.summary.day_summary`; nothing here counts
attendance its own way, so the e-mail and the today page cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from monitor.config import NotifyConfig
from monitor.config.notify import UnitDigest
from monitor.engine.calendar import REQUIRED, CalendarDay, WorkCalendar
from monitor.engine.day import LEAVE, PENDING
from monitor.engine.policy import OfficePolicy
from monitor.engine.schedules import Schedule
from monitor.reports.attendance import day_report, month_report
from monitor.reports.period import Month
from monitor.service.notify.contracts import DigestContext, Section
from monitor.store import Store

VARIANTS = ("morning", "afternoon")
LOOK_BACK_DAYS = 31  # the previous working day is searched this far back (Tết is 9 days)


class UnitCalendar:
    """Each unit's schedule, working days and digest times, from the policy and the unit tree."""

    def __init__(self, store: Store, policy: OfficePolicy, notify: NotifyConfig):
        units = store.units()
        self.units = {u["code"]: u for u in units}
        self.parents = {u["code"]: u["parent_code"] for u in units}
        self.unit_schedules = {u["code"]: u["schedule"] for u in units}
        self.policy = policy
        self.notify = notify
        self.calendar: WorkCalendar = policy.work_calendar(self.parents)
        self.children: dict[str, list[str]] = {}
        for code, parent in self.parents.items():
            if parent:
                self.children.setdefault(parent, []).append(code)

    def schedule(self, unit_code: str) -> Schedule:
        return self.policy.schedule_for(None, unit_code, self.parents, self.unit_schedules)

    def day(self, unit_code: str, day: date) -> CalendarDay:
        """The calendar's verdict on ``day`` for the unit's own schedule."""
        return self.calendar.day(day, unit_code, self.schedule(unit_code).weekdays)

    def is_working_day(self, unit_code: str, day: date) -> bool:
        return self.day(unit_code, day).kind == REQUIRED

    def office_open(self, unit_code: str | None, local: datetime) -> bool:
        """Whether ``local`` (the site's wall clock) is on a working day of the unit, at or
        after its first session's start plus ``[notify.reminders] minutes_after_start``:
        when a reminder may reach someone at their desk (not at night, on a weekend, a
        holiday or a day swapped off)."""
        day = local.date()
        verdict = self.calendar.day(day, unit_code, self.schedule(unit_code).weekdays)
        if verdict.kind != REQUIRED:
            return False
        sessions = self.schedule(unit_code).sessions_on(day, makeup=verdict.makeup)
        since_midnight = local.hour * 3600 + local.minute * 60 + local.second
        return bool(sessions) and since_midnight >= sessions[0].start + self.notify.reminder_minutes_after_start * 60

    def previous_working_day(self, unit_code: str, day: date) -> date | None:
        for back in range(1, LOOK_BACK_DAYS + 1):
            earlier = day - timedelta(days=back)
            if self.is_working_day(unit_code, earlier):
                return earlier
        return None

    def chain(self, unit_code: str) -> tuple[str, ...]:
        """The unit and the units above it, nearest first."""
        found: list[str] = []
        code: str | None = unit_code
        while code and code not in found:
            found.append(code)
            code = self.parents.get(code)
        return tuple(found)

    def below(self, unit_code: str) -> tuple[str, ...]:
        """The unit and every unit below it."""
        found, queue = [], [unit_code]
        while queue:
            code = queue.pop(0)
            if code in found:
                continue
            found.append(code)
            queue.extend(sorted(self.children.get(code, [])))
        return tuple(found)

    def settings(self, unit_code: str) -> UnitDigest:
        """The nearest ``[notify.digest.units.<code>]`` values up the tree, key by key."""
        minutes = morning = afternoon = None
        for code in self.chain(unit_code):
            own = self.notify.units.get(code)
            if own is None:
                continue
            minutes = own.minutes_after_start if minutes is None else minutes
            morning = own.morning if morning is None else morning
            afternoon = own.afternoon if afternoon is None else afternoon
        return UnitDigest(
            self.notify.minutes_after_start if minutes is None else minutes,
            self.notify.morning if morning is None else morning,
            self.notify.afternoon if afternoon is None else afternoon,
        )

    def send_time(self, unit_code: str, day: date, variant: str, zone: Any, *, switched_off: bool = False) -> datetime | None:
        """When the unit's ``variant`` digest is due on ``day``: the session's start plus
        the schedule's grace plus the unit's minutes; ``None`` on a day off or holiday,
        when the variant is off for the unit (unless ``switched_off``: the weekly
        summary keeps the morning's time), or when the day has no such session."""
        verdict = self.day(unit_code, day)
        if verdict.kind != REQUIRED:
            return None
        settings = self.settings(unit_code)
        if not switched_off and not (settings.morning if variant == "morning" else settings.afternoon):
            return None
        schedule = self.schedule(unit_code)
        sessions = schedule.sessions_on(day, makeup=verdict.makeup)
        index = 0 if variant == "morning" else 1
        if index >= len(sessions):
            return None
        seconds = sessions[index].start + schedule.grace_in_minutes * 60 + (settings.minutes_after_start or 0) * 60
        return datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(seconds=seconds)

    def session_text(self, unit_code: str, day: date, variant: str) -> str:
        """``07:30–11:30``: the session the digest is about (empty on a day off)."""
        verdict = self.day(unit_code, day)
        if verdict.kind != REQUIRED:
            return ""
        sessions = self.schedule(unit_code).sessions_on(day, makeup=verdict.makeup)
        index = 0 if variant == "morning" else min(1, len(sessions) - 1)
        return str(sessions[index])


def unit_rows(store: Store, unit_code: str, day: date) -> list[dict[str, Any]]:
    """The day rows of the unit and the units below it: the today page's rows for it."""
    return day_report(store, day, unit_code)


def _hhmm(text: str | None) -> str:
    return (text or "")[:5]


# --- the built-in sections ------------------------------------------------------------


def late_section(ctx: DigestContext) -> Section | None:
    late = [row for row in ctx.rows if row["late_minutes"]]
    if not late:
        return None
    key = f"late_counts:{ctx.day.isoformat()}"
    counts = ctx.memo.get(key)
    if counts is None:
        # the month report of every unit, once per run: one range read of the month
        # instead of one per unit
        counts = ctx.memo[key] = {
            row["employee"]: row["late_count"] for row in month_report(ctx.store, ctx.policy, Month.of(ctx.day))
        }
    people = [
        {"name": row["name"], "arrival": _hhmm(row["arrival"]), "minutes": row["late_minutes"],
         "month_count": counts.get(row["employee"], 1)}
        for row in sorted(late, key=lambda r: (r["arrival"] or "", r["name"]))
    ]
    return Section("late", {"people": people})


def absences_section(ctx: DigestContext) -> Section | None:
    away = [row for row in ctx.rows if row["status"] == LEAVE]
    if not away:
        return None
    records: dict[str, list[dict[str, Any]]] = {}
    for record in ctx.store.leave_records([row["employee"] for row in away], ctx.day, ctx.day):
        records.setdefault(record["employee_code"], []).append(record)
    people = []
    for row in away:
        reasons = []
        for record in records.get(row["employee"], []):
            kind = ctx.policy.leave.kinds.get(record["kind"])
            reasons.append({"kind": record["kind"], "kind_vi": kind.name if kind else record["kind"],
                            "kind_en": kind.name_en if kind else record["kind"], "reason": record["reason"]})
        people.append({"name": row["name"], "leave": row["leave"], "reasons": reasons})
    return Section("absences", {"people": people})


def not_in_yet_section(ctx: DigestContext) -> Section | None:
    waiting = [row["name"] for row in ctx.rows if row["status"] == PENDING]
    return Section("not_in_yet", {"names": waiting}) if waiting else None


def previous_day_section(ctx: DigestContext) -> Section | None:
    if ctx.previous_day is None:
        return None
    rows = day_report(ctx.store, ctx.previous_day, ctx.unit["code"])
    early = [{"name": r["name"], "departure": _hhmm(r["departure"]), "minutes": r["early_minutes"]}
             for r in rows if r["early_minutes"]]
    missing_in = [r["name"] for r in rows if r["missing_in"]]
    missing_out = [r["name"] for r in rows if r["missing_out"]]
    if not (early or missing_in or missing_out):
        return None
    return Section("previous_day", {"day": ctx.previous_day, "early": early, "missing_in": missing_in,
                                    "missing_out": missing_out})


def devices_section(ctx: DigestContext) -> Section | None:
    """The enabled clocks of the unit, of the units above it (a gate clock at the
    People's Committee serves its departments) and below it; clocks with no unit count
    for everyone."""
    related = set(ctx.unit_codes) | set(ctx.unit_chain)
    devices = [d for d in ctx.devices if d.enabled and (d.unit is None or d.unit in related)]
    if not devices:
        return None
    rows: Mapping[str, dict[str, Any]] = {row["id"]: row for row in ctx.store.device_rows()}
    offline, skewed, online = [], [], 0
    for device in devices:
        row = rows.get(device.id, {})
        if row.get("status") == "online":
            online += 1
        elif row.get("status") in ("offline", "error"):
            offline.append({"device": device.settings.name or device.id, "reason": row.get("status_reason")})
        offset = row.get("clock_offset_seconds")
        if device.clock_suspect(offset):
            skewed.append({"device": device.settings.name or device.id, "offset": offset})
    return Section("devices", {"online": online, "total": len(devices), "offline": offline, "skewed": skewed})
