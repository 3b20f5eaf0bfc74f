"""Rendering report rows: terminal tables (Vietnamese or English headings), CSV, JSON.

JSON is the rows as they are (stable keys, codes not labels). CSV has the same columns
and values, headed by the keys (text that a spreadsheet would run as a formula gets a
leading ``'``), with ``leave_days`` as ``P:1.5;CT:2`` and ``flags`` as
rule names joined by ``;``. Tables are for people: translated headings and statuses,
Vietnamese decimal commas, and a ``*`` on provisional days.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

LANGS = ("vi", "en")
HEADINGS = {
    "employee": ("Mã NV", "Employee"),
    "name": ("Họ và tên", "Name"),
    "unit": ("Đơn vị", "Unit"),
    "date": ("Ngày", "Date"),
    "month": ("Tháng", "Month"),
    "status": ("Trạng thái", "Status"),
    "arrival": ("Giờ đến", "Arrival"),
    "departure": ("Giờ về", "Departure"),
    "late_minutes": ("Muộn (ph)", "Late (min)"),
    "early_minutes": ("Sớm (ph)", "Early (min)"),
    "worked_minutes": ("Làm (ph)", "Worked (min)"),
    "away_minutes": ("Vắng trong giờ (ph)", "Away (min)"),
    "missing": ("Thiếu chấm", "Missing"),
    "symbol": ("Ký hiệu", "Symbol"),
    "note": ("Ghi chú", "Note"),
    "required_days": ("Ngày phải làm", "Required"),
    "present_days": ("Ngày có mặt", "Present"),
    "late_count": ("Lần muộn", "Late"),
    "early_count": ("Lần về sớm", "Early"),
    "absent_days": ("Ngày vắng KP", "Absent"),
    "missing_punches": ("Thiếu chấm", "Missing punches"),
    "leave_days": ("Nghỉ theo loại", "Leave by kind"),
    "flags": ("Cảnh báo", "Warnings"),
    "id": ("Số", "#"),
    "from": ("Từ ngày", "From"),
    "to": ("Đến ngày", "To"),
    "part": ("Buổi", "Part"),
    "kind": ("Loại", "Kind"),
    "reason": ("Lý do", "Reason"),
    "removed_at": ("Đã huỷ lúc", "Removed at"),
    "late_count_after": ("Lần muộn sau giải trình", "Late after explanations"),
    "absent_days_after": ("Ngày vắng KP sau giải trình", "Absent after explanations"),
}
STATUSES = {
    "present": ("Có mặt", "present"),
    "absent": ("Vắng", "absent"),
    "partial_absent": ("Vắng một buổi", "partly absent"),
    "leave": ("Nghỉ theo đơn", "on leave"),
    "holiday": ("Nghỉ lễ", "holiday"),
    "weekend": ("Ngày nghỉ", "day off"),
    "not_required": ("Không phải làm", "not required"),
    "pending": ("Chưa chấm công", "not in yet"),
}
PART_LABELS = {
    "full": ("cả ngày", "full day"),
    "morning": ("sáng", "morning"),
    "afternoon": ("chiều", "afternoon"),
}
RULES = {
    "late_count_per_month": ("Đi muộn (lần/tháng)", "late (times/month)"),
    "late_minutes_per_month": ("Đi muộn (phút/tháng)", "late (minutes/month)"),
    "early_count_per_month": ("Về sớm (lần/tháng)", "left early (times/month)"),
    "early_minutes_per_month": ("Về sớm (phút/tháng)", "left early (minutes/month)"),
    "away_minutes_per_month": ("Vắng trong giờ (phút/tháng)", "away in hours (minutes/month)"),
    "missing_punches_per_month": ("Thiếu chấm công (lần/tháng)", "missing punches (times/month)"),
    "absent_days_per_month": ("Vắng không phép (ngày/tháng)", "absent (days/month)"),
    "absent_days_per_year": ("Vắng không phép (ngày/năm)", "absent (days/year)"),
}
NOTES = {
    "provisional": ("* tạm tính: ngày chưa kết thúc", "* provisional: the day is not over yet"),
    "empty": ("Không có kết quả.", "No results."),
    "days": ("ngày", "days"),
}
DAY_TABLE = ("employee", "name", "unit", "status", "arrival", "departure", "late_minutes", "early_minutes",
             "worked_minutes", "away_minutes", "missing", "symbol", "note")
EMPLOYEE_DAY_TABLE = ("date", "status", "arrival", "departure", "late_minutes", "early_minutes", "worked_minutes",
                      "away_minutes", "missing", "symbol", "note")
MONTH_TABLE = ("employee", "name", "unit", "required_days", "present_days", "late_count", "late_minutes",
               "early_count", "early_minutes", "away_minutes", "absent_days", "missing_punches", "leave_days", "flags")
NUMERIC = {"late_minutes", "early_minutes", "worked_minutes", "away_minutes", "missing", "required_days",
           "present_days", "late_count", "early_count", "absent_days", "missing_punches"}


def text(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    pair = table.get(key)
    return pair[LANGS.index(lang)] if pair else key


def number(value: Any, lang: str) -> str:
    if isinstance(value, float):
        shown = f"{value:g}"
        return shown.replace(".", ",") if lang == "vi" else shown
    return str(value)


def leave_text(leave_days: dict[str, float], lang: str) -> str:
    return " ".join(f"{kind}:{number(days, lang)}" for kind, days in leave_days.items())


def flags_text(flags: list[dict[str, Any]], lang: str) -> str:
    return "; ".join(
        f"{text(RULES, flag['rule'], lang)} {number(flag['value'], lang)} ≥ {number(flag['threshold'], lang)}"
        for flag in flags
    )


def _day_cells(row: dict[str, Any], lang: str) -> dict[str, str]:
    status = text(STATUSES, row["status"], lang) + ("*" if row["provisional"] else "")
    missing = []
    if row["missing_in"]:
        missing.append(("vào" if lang == "vi" else "in") + (f"×{row['missing_in']}" if row["missing_in"] > 1 else ""))
    if row["missing_out"]:
        missing.append(("ra" if lang == "vi" else "out") + (f"×{row['missing_out']}" if row["missing_out"] > 1 else ""))
    note = ", ".join(part for part in (row["leave"], row["holiday"]) if part)
    cells = {key: "" if row.get(key) is None else number(row[key], lang) for key in row}
    cells.update(status=status, missing=" ".join(missing), note=note)
    for key in ("late_minutes", "early_minutes", "away_minutes", "worked_minutes"):
        if row[key] == 0:
            cells[key] = ""
    return cells


def table(columns: Sequence[str], cells: list[dict[str, str]], lang: str) -> str:
    """A plain-text table with a heading row and a rule; numbers right-aligned."""
    headings = [text(HEADINGS, key, lang) for key in columns]
    widths = [max([len(h)] + [len(c.get(key, "")) for c in cells]) for h, key in zip(headings, columns)]

    def line(values: list[str]) -> str:
        parts = [v.rjust(w) if key in NUMERIC else v.ljust(w) for v, w, key in zip(values, widths, columns)]
        return "  ".join(parts).rstrip()

    out = [line(headings), "  ".join("-" * w for w in widths)]
    out += [line([c.get(key, "") for key in columns]) for c in cells]
    return "\n".join(out)


def day_table(rows: list[dict[str, Any]], lang: str, *, per_employee: bool = False) -> str:
    if not rows:
        return text(NOTES, "empty", lang)
    columns = EMPLOYEE_DAY_TABLE if per_employee else DAY_TABLE
    result = table(columns, [_day_cells(row, lang) for row in rows], lang)
    if any(row["provisional"] for row in rows):
        result += "\n" + text(NOTES, "provisional", lang)
    return result


def month_table(rows: list[dict[str, Any]], lang: str) -> str:
    if not rows:
        return text(NOTES, "empty", lang)
    cells = []
    for row in rows:
        cell = {key: number(value, lang) for key, value in row.items() if key not in ("leave_days", "flags")}
        cell["leave_days"] = leave_text(row["leave_days"], lang)
        cell["flags"] = flags_text(row["flags"], lang)
        cells.append(cell)
    return table(MONTH_TABLE, cells, lang)


def employee_table(report: dict[str, Any], lang: str) -> str:
    summary = report["employee"]
    title = f"{summary['employee']}  {summary['name']}  ({summary['unit']})  {summary['month']}"
    parts = [title, "", day_table(report["days"], lang, per_employee=True), ""]
    totals = [
        (text(HEADINGS, key, lang), number(summary[key], lang))
        for key in MONTH_TABLE[3:12]
    ]
    totals.append((text(HEADINGS, "leave_days", lang), leave_text(summary["leave_days"], lang) or "-"))
    totals.append((text(HEADINGS, "flags", lang), flags_text(summary["flags"], lang) or "-"))
    width = max(len(label) for label, _ in totals)
    parts += [f"{label.ljust(width)}  {value}" for label, value in totals]
    return "\n".join(parts)


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: str) -> str:
    """Text a spreadsheet will not run: a leading ``'`` before a formula's first
    character (a name such as ``=HYPERLINK(...)`` in an import file)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def to_csv(rows: list[dict[str, Any]], keys: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(keys)
    for row in rows:
        values = []
        for key in keys:
            value = row[key]
            if key == "leave_days":
                value = ";".join(f"{kind}:{days}" for kind, days in value.items())
            elif key == "flags":
                value = ";".join(flag["rule"] for flag in value)
            elif key == "requests":
                value = ";".join(f"{r['id']}:{r['kind']}:{r['status']}" for r in value)
            elif isinstance(value, bool):
                value = int(value)
            if isinstance(value, str):
                value = inert(value)
            values.append("" if value is None else value)
        writer.writerow(values)
    return buffer.getvalue()
