"""The managers' and HR's pages: a day per unit, a unit's day, a person's month, the month.

Each HTML page has a JSON twin under ``/api/`` with the report keys of
``docs/reports.md``. A manager sees only their units and the units below them; asking
for another unit, or a person in one, is answered 404 (its existence is not confirmed).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_login import login_required

from monitor.errors import Refused
from monitor.reports.attendance import (
    MONTH_KEYS,
    day_report,
    employee_report,
    month_report,
)
from monitor.reports.period import Month
from monitor.reports.render import to_csv
from monitor.reports.summary import day_summary, is_exception
from web.db import get_store, now, state
from web.visibility import only_visible, units_in_view, visible_employee

bp = Blueprint("pages", __name__)



def _day_arg() -> date:
    text = request.args.get("date")
    if not text:
        return now().date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400, description=f"date must look like 2026-11-26, not {text!r}")


def _month_arg() -> Month:
    try:
        return Month.parse_or_current(request.args.get("month"), now().date())
    except Refused as exc:
        abort(400, description=str(exc))


def _policy():
    return state().config.policy


def _day_rows(day: date, allowed: set[str] | None) -> list[dict[str, Any]]:
    return only_visible(day_report(get_store(), day), allowed)


def _per_unit(units: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each visible unit with the summary of the people directly in it, tree-ordered."""
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_unit.setdefault(row["unit"], []).append(row)
    codes = {u["code"] for u in units}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for unit in units:
        parent = unit["parent_code"] if unit["parent_code"] in codes else None
        children.setdefault(parent, []).append(unit)
    ordered: list[dict[str, Any]] = []

    def walk(parent: str | None, depth: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: u["code"]):
            ordered.append({"unit": unit, "depth": depth, "summary": day_summary(by_unit.get(unit["code"], []))})
            walk(unit["code"], depth + 1)

    walk(None, 0)
    return ordered


@bp.route("/")
@login_required
def index():
    day = _day_arg()
    units, allowed = units_in_view(request.args.get("unit"))
    rows = _day_rows(day, allowed)
    return render_template(
        "pages/index.html",
        day=day,
        today=now().date(),
        summary=day_summary(rows),
        units=_per_unit(units, rows),
        exceptions=[row for row in rows if is_exception(row)],
        judged=bool(rows),
    )


@bp.route("/units/<code>")
@login_required
def unit_day(code: str):
    day = _day_arg()
    units, allowed = units_in_view(code)
    unit = next(u for u in units if u["code"] == code)
    rows = _day_rows(day, allowed)
    return render_template("pages/unit_day.html", unit=unit, day=day, rows=rows, summary=day_summary(rows))


def _month_rows(month: Month, unit: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The month report rows the user may see, and the units they may pick from."""
    units, allowed = units_in_view(unit)
    rows = month_report(get_store(), _policy(), month, unit)
    return only_visible(rows, allowed), units


@bp.route("/employees/<code>")
@login_required
def employee_month(code: str):
    month = _month_arg()
    person = visible_employee(code)
    report = employee_report(get_store(), _policy(), code, month)
    return render_template("pages/employee_month.html", person=person, month=month, report=report)


@bp.route("/month")
@login_required
def month_summary():
    month = _month_arg()
    unit = request.args.get("unit") or None
    rows, units = _month_rows(month, unit)
    if request.args.get("format") == "csv":
        body = "\ufeff" + to_csv(rows, MONTH_KEYS)  # Excel needs the BOM for Vietnamese
        return Response(
            body,
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename=tong-hop-{month}{'-' + unit if unit else ''}.csv"},
        )
    return render_template("pages/month.html", month=month, rows=rows, unit=unit, units=units)


@bp.route("/month/timesheet.xlsx", defaults={"file_format": "xlsx"})
@bp.route("/month/timesheet.pdf", defaults={"file_format": "pdf"})
@login_required
def timesheet_xlsx(file_format: str):
    """The month's Bảng chấm công (C01-HD) for the units the user may see, XLSX or PDF."""
    from monitor.reports.timesheet_export import MEDIA_TYPES, export_timesheet

    month = _month_arg()
    unit = request.args.get("unit") or None
    _units, allowed = units_in_view(unit)
    data, _sheets = export_timesheet(get_store(), month, _policy().leave, file_format=file_format,
                                     organisation=state().config.site.name, now=now(), unit=unit, allowed=allowed)
    return Response(
        data,
        mimetype=MEDIA_TYPES[file_format],
        headers={"Content-Disposition": f"attachment; filename=bang-cham-cong-{month}{'-' + unit if unit else ''}.{file_format}"},
    )


# --- JSON twins -------------------------------------------------------------------------


@bp.route("/api/day")
@login_required
def api_day():
    day = _day_arg()
    _units, allowed = units_in_view(request.args.get("unit"))
    rows = _day_rows(day, allowed)
    return jsonify(date=day.isoformat(), summary=day_summary(rows), rows=rows)


@bp.route("/api/month")
@login_required
def api_month():
    month = _month_arg()
    rows, _units = _month_rows(month, request.args.get("unit") or None)
    return jsonify(month=str(month), rows=rows)


@bp.route("/api/employees/<code>")
@login_required
def api_employee(code: str):
    month = _month_arg()
    visible_employee(code)
    return jsonify(employee_report(get_store(), _policy(), code, month))
