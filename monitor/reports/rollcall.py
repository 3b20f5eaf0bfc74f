"""The roll-call at a moment (điểm danh), as an inspection counts it.

For each unit: who was present at that moment (punched in and not out), absent with an
approved reason (its kind and document), absent without one, or on a day off or not
required then. Each person's standing is :func:`monitor.engine.rollcall.stand_at` over
the punches stored up to the moment, the day's plan (calendar, the schedule the day was
judged under, or would be) and the approved reasons of :mod:`monitor.reports.excuses`.

People counted: everyone active in the directory (those hired later show as not hired
yet) and those who left within the last 31 days (shown as left). A person is counted in
the unit their day was judged under, else their current unit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from monitor.engine.calendar import WorkCalendar
from monitor.engine.clock import wall_time
from monitor.engine.day import DayPlan, LeaveDay, plan_day
from monitor.engine.leave import LeaveKind
from monitor.engine.policy import OfficePolicy
from monitor.engine.requests import REASONS
from monitor.engine.rollcall import GROUPS, Standing, stand_at
from monitor.engine.schedules import Schedule, clock_text
from monitor.errors import Refused
from monitor.reports.cells import safe_csv
from monitor.reports.excuses import Excuse, excuses_on
from monitor.reports.render import PART_LABELS
from monitor.store import Store

RECENTLY_LEFT_DAYS = 31
CHUNK = 900  # employees per query: well under SQLite's bound-parameter limit
PERSON_KEYS = ("employee", "name", "title", "unit", "group", "reason", "since", "session", "leave", "day_name")
CSV_KEYS = ("unit", "unit_name", "employee", "name", "title", "group", "reason", "since", "session", "leave_kind",
            "leave_part", "leave_document", "leave_note", "day_name")


def parse_moment(text: str) -> datetime:
    """'2026-11-25 09:50' (or ISO with a T) as naive local wall time."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise Refused(f"{text!r} is not a moment: write the date and the local time, e.g. '2026-11-25 09:50'") from None


def rollcall(
    store: Store,
    policy: OfficePolicy,
    at: datetime,
    *,
    unit: str | None = None,
    allowed: set[str] | None = None,
    organisation: str = "",
) -> dict[str, Any]:
    """The roll-call at ``at`` (local wall time, or aware) for ``unit`` and the units
    below it (all units without one), limited to ``allowed`` unit codes when given."""
    moment = wall_time(at, store.zone).replace(microsecond=0)
    day = moment.date()
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
    units = store.units()
    parents = {u["code"]: u["parent_code"] for u in units}
    scope = set(store.unit_and_below(unit)) if unit else set(parents)
    if allowed is not None:
        scope &= allowed
    unit_schedules = {u["code"]: u["schedule"] for u in units}
    calendar = policy.work_calendar(parents)
    planner = _Planner(policy, calendar, parents, unit_schedules)
    people: dict[str, list[dict[str, Any]]] = {}
    for chunk in _chunks(_counted(store, day)):
        codes = [row["code"] for row in chunk]
        placements = store.day_placements(codes, day, day)
        punches: dict[str, list[int]] = {}
        # an approved correction's manual punches count as punches, as the judged day counts them
        for source in (store.punch_times(codes, day, day), store.manual_punch_times(codes, day, day)):
            for code, _day, moment_of_day, _punch_id in source:
                punches.setdefault(code, []).append(moment_of_day)
        excuses = excuses_on(store, codes, day)
        for row in chunk:
            code = row["code"]
            placed = placements.get((code, day.isoformat()))
            day_unit, schedule = planner.placement(row, placed)
            if day_unit not in scope:
                continue
            hired_on = date.fromisoformat(row["hired_on"]) if row["hired_on"] else None
            left_on = date.fromisoformat(row["left_on"]) if row["left_on"] else None
            plan = planner.plan(day, day_unit, schedule, hired_on, left_on)
            covering = excuses.get(code, [])
            leave_days = [LeaveDay(policy.leave.kinds.get(e.kind) or LeaveKind(e.kind, e.kind, e.kind), e.part)
                          for e in covering]
            standing = stand_at(plan, punches.get(code, ()), leave_days, seconds, hired_on=hired_on)
            people.setdefault(day_unit, []).append(_person(row, day_unit, plan, standing, covering, policy))
    ordered = _tree_order([u for u in units if u["code"] in people or u["code"] == unit], parents)
    report_units = []
    for unit_row, depth in ordered:
        rows = sorted(people.get(unit_row["code"], []), key=lambda p: (GROUPS.index(p["group"]), p["employee"]))
        report_units.append({"unit": unit_row["code"], "name": unit_row["name"], "parent": unit_row["parent_code"],
                             "depth": depth, "counts": _counts(rows), "people": rows})
    everyone = [p for u in report_units for p in u["people"]]
    return {
        "organisation": organisation,
        "at": moment.isoformat(timespec="minutes" if not moment.second else "seconds"),
        "date": day.isoformat(),
        "time": clock_text(seconds, with_seconds=bool(moment.second)),
        "unit": unit,
        "unit_name": next((u["name"] for u in units if u["code"] == unit), None) if unit else None,
        "counts": _counts(everyone),
        "units": report_units,
    }


class _Planner:
    """Day plans per (schedule, unit chain, kind of day), as the evaluation makes them."""

    def __init__(self, policy: OfficePolicy, calendar: WorkCalendar, parents: dict[str, str | None],
                 unit_schedules: dict[str, str | None]):
        self.policy, self.calendar, self.parents, self.unit_schedules = policy, calendar, parents, unit_schedules
        self._plans: dict[tuple[Any, ...], DayPlan] = {}

    def placement(self, row: dict[str, Any], placed: tuple[str, str] | None) -> tuple[str, Schedule]:
        """The unit and schedule of the day: as judged when both still exist, else the current ones."""
        if placed is not None and placed[0] in self.parents and placed[1] in self.policy.schedules:
            return placed[0], self.policy.schedules[placed[1]]
        schedule = self.policy.schedule_for(row["schedule"], row["unit_code"], self.parents, self.unit_schedules,
                                            employee_code=row["code"])
        return row["unit_code"], schedule

    def plan(self, day: date, unit: str, schedule: Schedule, hired_on: date | None, left_on: date | None) -> DayPlan:
        employed = not ((hired_on and day < hired_on) or (left_on and day > left_on))
        key = (schedule.id, self.calendar.chain_key(unit), employed)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = plan_day(schedule, self.calendar.day(day, unit, schedule.weekdays, hired_on, left_on))
        return plan


def _counted(store: Store, day: date) -> list[dict[str, Any]]:
    recently = (day - timedelta(days=RECENTLY_LEFT_DAYS)).isoformat()
    return [row for row in store.employees()
            if row["active"] or (row["left_on"] and recently <= row["left_on"])]


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def _person(row: dict[str, Any], unit: str, plan: DayPlan, standing: Standing, covering: list[Excuse],
            policy: OfficePolicy) -> dict[str, Any]:
    excuse = covering[standing.leave] if standing.leave is not None else None
    leave = None
    if excuse is not None:
        # a leave kind, else an explanation's reason category (approved requests), else the code
        kind = policy.leave.kinds.get(excuse.kind) or REASONS.get(excuse.kind)
        leave = {"kind": excuse.kind, "name": kind.name if kind else excuse.kind, "name_en": kind.name_en if kind else excuse.kind,
                 "part": excuse.part, "document": excuse.document, "note": excuse.note, "source": excuse.source,
                 "record": excuse.record}
    return {
        "employee": row["code"],
        "name": row["full_name"],
        "title": row["title"],
        "unit": unit,
        "group": standing.group,
        "reason": standing.reason,
        "since": None if standing.since is None else clock_text(standing.since),
        "session": None if standing.session is None else str(standing.session),
        "leave": leave,
        "day_name": plan.name,
    }


def _counts(people: list[dict[str, Any]]) -> dict[str, int]:
    counts = {group: 0 for group in GROUPS}
    for person in people:
        counts[person["group"]] += 1
    counts["total"] = len(people)
    return counts


def _tree_order(units: list[dict[str, Any]], parents: dict[str, str | None]) -> list[tuple[dict[str, Any], int]]:
    """Units parent first, by code, with their depth among the units shown."""
    shown = {u["code"] for u in units}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for unit in units:
        parent = parents.get(unit["code"])
        while parent is not None and parent not in shown:
            parent = parents.get(parent)
        children.setdefault(parent, []).append(unit)
    ordered: list[tuple[dict[str, Any], int]] = []

    def walk(parent: str | None, depth: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: u["code"]):
            ordered.append((unit, depth))
            walk(unit["code"], depth + 1)

    walk(None, 0)
    return ordered


# --- words and renderings (the web page uses the same words) ------------------------------

GROUP_LABELS = {
    "present": ("Có mặt", "Present"),
    "excused": ("Vắng có lý do", "Absent with a reason"),
    "absent": ("Vắng không lý do", "Absent without a reason"),
    "off": ("Nghỉ / không phải có mặt", "Day off / not required"),
    "total": ("Tổng số", "Total"),
}
REASON_LABELS = {
    "in": ("đã chấm vào", "punched in"),
    "leave": ("theo đơn", "approved"),
    "not_arrived": ("chưa đến", "not arrived"),
    "went_out": ("ra ngoài", "went out"),
    "holiday": ("ngày lễ, ngày nghỉ", "holiday"),
    "weekend": ("ngày nghỉ hằng tuần", "weekly day off"),
    "not_hired": ("chưa nhận việc", "not hired yet"),
    "left": ("đã nghỉ việc", "left"),
    "before_hours": ("trước giờ làm việc", "before office hours"),
    "between_sessions": ("giờ nghỉ giữa buổi", "between sessions"),
    "after_hours": ("sau giờ làm việc", "after office hours"),
    "within_grace": ("chưa quá thời gian cho phép", "within the grace"),
    "gone_on_time": ("đã về, không sớm", "gone, not early"),
}


def label(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    pair = table.get(key)
    return key if pair is None else pair[0 if lang == "vi" else 1]


def person_detail(person: dict[str, Any], lang: str) -> str:
    """'ra ngoài 09:00', 'P Nghỉ phép (sáng) — QĐ 12: Nghỉ phép năm', 'ngày lễ: Quốc khánh'."""
    text = label(REASON_LABELS, person["reason"], lang)
    if person["leave"]:
        leave = person["leave"]
        text = f"{leave['kind']} {leave['name'] if lang == 'vi' else leave['name_en']}"
        if leave["part"] != "full":
            text += f" ({label(PART_LABELS, leave['part'], lang)})"
        if leave["document"]:
            text += f", {leave['document']}"
        if leave["note"]:
            text += f": {leave['note']}"
    elif person["since"]:
        text += f" {person['since'][:5]}"
    if person["day_name"] and person["group"] == "off":
        text += f": {person['day_name']}"
    return text


def rollcall_table(data: dict[str, Any], lang: str) -> str:
    """The roll-call for a terminal: the counts per unit, then each person."""
    at = datetime.fromisoformat(data["at"])
    when = f"{at:%H:%M} {at:%d/%m/%Y}" if lang == "vi" else f"{at:%Y-%m-%d %H:%M}"
    title = ("Điểm danh lúc " if lang == "vi" else "Roll-call at ") + when
    lines = [f"{data['organisation']}".strip(), title]
    if data["unit"]:
        lines.append(f"{data['unit']}  {data['unit_name']}")
    groups = ("present", "excused", "absent", "off", "total")
    head = [label(GROUP_LABELS, g, lang) for g in groups]
    rows = [(("  " * u["depth"]) + f"{u['unit']} {u['name']}", [str(u["counts"][g]) for g in groups]) for u in data["units"]]
    rows.append(("Cộng" if lang == "vi" else "Total", [str(data["counts"][g]) for g in groups]))
    first = max(len(name) for name, _ in rows)
    widths = [max(len(h), *(len(r[1][i]) for r in rows)) for i, h in enumerate(head)]
    lines += ["", " " * first + "  " + "  ".join(h.rjust(w) for h, w in zip(head, widths))]
    lines += [name.ljust(first) + "  " + "  ".join(c.rjust(w) for c, w in zip(cells, widths)) for name, cells in rows]
    for unit in data["units"]:
        if not unit["people"]:
            continue
        lines += ["", f"{unit['unit']} {unit['name']}"]
        for person in unit["people"]:
            lines.append(f"  {label(GROUP_LABELS, person['group'], lang)}: {person['employee']} {person['name']}"
                         f" — {person_detail(person, lang)}")
    return "\n".join(line for line in lines if line is not None).lstrip("\n")


def rollcall_csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per person, for :data:`CSV_KEYS`."""
    rows = []
    for unit in data["units"]:
        for person in unit["people"]:
            leave = person["leave"] or {}
            rows.append({**{k: person[k] for k in ("employee", "name", "title", "group", "reason", "since", "session",
                                                   "day_name")},
                         "unit": unit["unit"], "unit_name": unit["name"], "leave_kind": leave.get("kind"),
                         "leave_part": leave.get("part"), "leave_document": leave.get("document"),
                         "leave_note": leave.get("note")})
    return rows


def rollcall_csv(data: dict[str, Any]) -> str:
    """One row per person; text typed by users cannot run as a formula."""
    return safe_csv(CSV_KEYS, rollcall_csv_rows(data))
