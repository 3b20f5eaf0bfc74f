"""A judged day in words: which rule produced each part of the judgement, with the times
it compared ("late 12 minutes: arrived 07:42:51, start 07:30, no grace period")."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _

from monitor.engine.policy import OfficePolicy
from monitor.engine.schedules import Schedule, clock_text


def _grace(minutes: int) -> str:
    return _("no grace period") if not minutes else _("grace %(minutes)s min", minutes=minutes)


def judgement_lines(row: dict[str, Any], policy: OfficePolicy) -> list[str]:
    """The rules behind a stored judged day (a ``day_results`` row), one sentence each."""
    schedule: Schedule | None = policy.schedules.get(row["schedule_id"] or "")
    day = date.fromisoformat(row["day"])
    status = row["status"]
    if status in ("holiday", "weekend", "not_required"):
        reasons = {
            "holiday": _("Day off: %(name)s.", name=row["holiday"] or ""),
            "weekend": _("Not a working day of the schedule."),
            "not_required": _("Not required: before the hire date or after the leaving date."),
        }
        return [reasons[status]]
    lines: list[str] = []
    sessions = schedule.sessions_on(day) if schedule is not None else ()
    spans = ", ".join(f"{clock_text(s.start, with_seconds=False)}–{clock_text(s.end, with_seconds=False)}" for s in sessions)
    if schedule is not None:
        lines.append(_("Schedule %(name)s: %(sessions)s.", name=schedule.name, sessions=spans))
    if row["leave_kind"]:
        lines.append(_("Leave %(kind)s covers part or all of the day; sessions on leave are not judged.",
                       kind=row["leave_kind"]))
    if status == "absent":
        lines.append(_("Absent: no punch inside the day's window and no leave."))
    elif status == "partial_absent":
        lines.append(_("Partly absent: a session was missed without leave."))
    elif status == "pending":
        lines.append(_("Not in yet: the day's window is still open."))
    start = clock_text(sessions[0].start, with_seconds=False) if sessions else "?"
    end = clock_text(sessions[-1].end, with_seconds=False) if sessions else "?"
    grace_in = schedule.grace_in_minutes if schedule else 0
    grace_out = schedule.grace_out_minutes if schedule else 0
    if row["late_count"]:
        lines.append(_("Late %(minutes)s min: arrived %(arrival)s, start %(start)s, %(grace)s.",
                       minutes=row["late_minutes"], arrival=row["arrival"] or "?", start=start, grace=_grace(grace_in)))
    elif row["arrival"] and status == "present":
        lines.append(_("On time: arrived %(arrival)s, start %(start)s, %(grace)s.",
                       arrival=row["arrival"], start=start, grace=_grace(grace_in)))
    if row["early_count"]:
        lines.append(_("Left early %(minutes)s min: left %(departure)s, end %(end)s, %(grace)s.",
                       minutes=row["early_minutes"], departure=row["departure"] or "?", end=end, grace=_grace(grace_out)))
    if row["away_minutes"]:
        lines.append(_("Away %(minutes)s min during office hours (gaps over %(threshold)s min count).",
                       minutes=row["away_minutes"], threshold=schedule.away_threshold_minutes if schedule else "?"))
    if row["missing_in"]:
        lines.append(_("No arrival punch: the only punch came after the middle of the day."))
    if row["missing_out"]:
        lines.append(_("No departure punch: the only punch came before the middle of the day."))
    if row["corrected"]:
        lines.append(_("Judged with a manual punch from an approved correction."))
    return lines
