"""The year's calendar as HR checks it against the government's letter.

Every weekday off and every worked day the schedule does not normally work, for one
unit's schedule (or the site default), with its name and its source: the ``holidays``
package (and whether a shipped document confirms it), a decision shipped with the
monitor (with its reference), or the config (with its ``ref`` and the unit whose config
it is). The keys below are stable; new keys are only appended.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from monitor.engine.calendar import SOURCE_PACKAGE, Verdict
from monitor.engine.policy import OfficePolicy
from monitor.errors import Refused
from monitor.store import Store

DAY_KEYS = ("date", "weekday", "kind", "name", "source", "ref", "config_unit", "package_name", "confirmed")
WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FIRST_YEAR, LAST_YEAR = 1995, 2100  # the package's Vietnamese calendar starts with the Labour Code rules


def calendar_year(store: Store, policy: OfficePolicy, year: int, unit: str | None = None) -> dict[str, Any]:
    """The year's departures from the weekly pattern for ``unit`` (its schedule and
    every config decision up its tree), or for the site default schedule and
    ``[calendar]`` when no unit is given."""
    import holidays

    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Refused(f"year {year} is out of range ({FIRST_YEAR}..{LAST_YEAR})")
    units = store.units()
    parents = {u["code"]: u["parent_code"] for u in units}
    if unit is not None:
        store.unit(unit)  # NotFound names the unit
        schedule = policy.schedule_for(None, unit, parents, {u["code"]: u["schedule"] for u in units})
    else:
        schedule = policy.schedule_for(None, None, parents, {})
    calendar = policy.work_calendar(parents)
    days = [_row(verdict) for verdict in calendar.year(year, unit, schedule.weekdays)]
    return {
        "year": year,
        "unit": unit,
        "schedule": schedule.id,
        "weekdays": sorted(schedule.weekdays),
        "holidays_version": holidays.__version__,
        "decisions": policy.shipped.digest,
        "days": days,
    }


def _row(verdict: Verdict) -> dict[str, Any]:
    day: date = verdict.day
    return {
        "date": day.isoformat(),
        "weekday": day.weekday(),
        "kind": "day_off" if verdict.off else "workday",
        "name": verdict.name,
        "source": verdict.source,
        "ref": verdict.ref,
        "config_unit": verdict.config_unit,
        "package_name": verdict.package_name,
        # only the package's own dates can lack a confirming document
        "confirmed": not verdict.unconfirmed if verdict.source == SOURCE_PACKAGE else None,
    }


SOURCE_LABELS = {
    "package": ("gói holidays", "holidays package"),
    "decision": ("văn bản kèm theo", "shipped decision"),
    "config": ("cấu hình", "config"),
    "schedule": ("lịch làm việc", "schedule"),
}
KIND_LABELS = {"day_off": ("Nghỉ", "Day off"), "workday": ("Làm việc", "Workday")}
TABLE_HEADINGS = {
    "date": ("Ngày", "Date"),
    "kind": ("Loại", "Kind"),
    "name": ("Tên", "Name"),
    "source": ("Nguồn", "Source"),
    "ref": ("Văn bản", "Document"),
}
UNCONFIRMED = ("chưa có văn bản xác nhận", "not confirmed by a letter")


def source_text(row: dict[str, Any], lang: str) -> str:
    """'config (SNV)', 'holidays package, not confirmed by a letter', ..."""
    index = 0 if lang == "vi" else 1
    text = SOURCE_LABELS[row["source"]][index]
    if row["source"] == "config":
        text += f" ({row['config_unit'] or '[calendar]'})"
    if row["confirmed"] is False:
        text += f", {UNCONFIRMED[index]}"
    return text


def calendar_table(data: dict[str, Any], lang: str) -> str:
    """The year for a terminal: one line per day, Vietnamese dates and words by default."""
    index = 0 if lang == "vi" else 1
    names = WEEKDAYS_VI if lang == "vi" else WEEKDAYS_EN
    rows = []
    for row in data["days"]:
        day = date.fromisoformat(row["date"])
        shown = f"{names[row['weekday']]} {day:%d/%m/%Y}" if lang == "vi" else f"{names[row['weekday']]} {row['date']}"
        note = row["name"] or ""
        if row["package_name"] and row["source"] == "config" and row["package_name"] != row["name"]:
            note += f" [{'gói holidays' if lang == 'vi' else 'package'}: {row['package_name']}]"
        rows.append([shown, KIND_LABELS[row["kind"]][index], note, source_text(row, lang), row["ref"] or ""])
    headings = [TABLE_HEADINGS[key][index] for key in ("date", "kind", "name", "source", "ref")]
    widths = [max(len(str(r[i])) for r in [headings, *rows]) for i in range(len(headings))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headings, widths)).rstrip(), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    title = f"{data['year']}" + (f"  {data['unit']}" if data["unit"] else "") + f"  ({data['schedule']})"
    return "\n".join([title, "", *lines])
