"""The managers' and HR's pages: a day per unit, a unit's day, a person's month, the month.

Each HTML page has a JSON twin under ``/api/`` with the report keys of
``docs/reports.md``. A manager sees only their units and the units below them; asking
for another unit, or a person in one, is answered 404 (its existence is not confirmed).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import ServiceUnavailable

from monitor.errors import Refused
from monitor.reports.attendance import (
    MONTH_KEYS,
    MONTH_LIST_KEYS,
    day_report,
    day_row,
    employee_report,
    month_list,
    month_report,
)
from monitor.reports.period import Month
from monitor.reports.render import to_csv
from monitor.reports.summary import SUMMARY_KEYS, day_summary
from web.charts import unit_trend
from web.db import get_store, now, state
from web.exports import RELOAD_SECONDS, TimesheetRequest, export_jobs
from web.i18n import format_month
from web.visibility import units_in_view, visible_employee, visible_units

bp = Blueprint("pages", __name__)

PAGE_SIZE = 100  # rows of a unit's day per page: a province's day is 10,000 rows
NOT_IN_SHOWN = 100  # "not in yet" people listed on the start page
SORTS = ("name", "employee", "unit", "status", "arrival", "departure", "late_minutes", "early_minutes", "away_minutes")
MONTH_SORTS = ("name", "employee", "unit", *MONTH_LIST_KEYS)  # the month page's sortable columns


def _day_arg() -> date:
    text = request.args.get("date")
    if not text:
        return now().date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400, description=_("The date must look like 2026-11-26, not %(value)s.", value=text[:40]))


def _month_arg() -> Month:
    """The month= argument (this month by default); 400 with a message when malformed."""
    text = request.args.get("month")
    try:
        return Month.parse_or_current(text, now().date())
    except Refused:
        abort(400, description=_("The month must look like 2026-11, not %(value)s.", value=(text or "")[:40]))


def _policy():
    return state().config.policy


def _day_rows(day: date, allowed: set[str] | None) -> list[dict[str, Any]]:
    """The day's rows in the units the user may see, selected by the query itself."""
    return day_report(get_store(), day, unit_codes=None if allowed is None else sorted(allowed))


def _per_unit(units: list[dict[str, Any]], counts: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """Each visible unit, tree-ordered, with the counts of the people in it and in every
    unit below it (a province row adds up its departments)."""
    codes = {u["code"] for u in units}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for unit in units:
        parent = unit["parent_code"] if unit["parent_code"] in codes else None
        children.setdefault(parent, []).append(unit)
    ordered: list[dict[str, Any]] = []

    def walk(parent: str | None, depth: int) -> Counter:
        below: Counter = Counter()
        for unit in sorted(children.get(parent, []), key=lambda u: u["code"]):
            item: dict[str, Any] = {"unit": unit, "depth": depth}
            ordered.append(item)
            total = Counter(counts.get(unit["code"], {})) + walk(unit["code"], depth + 1)
            item["summary"] = {key: total[key] for key in SUMMARY_KEYS}
            below += total
        return below

    walk(None, 0)
    return ordered


def _with_titles(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Day rows with the person's job title (the "not in yet" list)."""
    titles = get_store().employee_titles([row["employee"] for row in rows])
    return [{**row, "title": titles.get(row["employee"], "")} for row in rows]


@bp.app_template_global()
def page_url(**changes: Any) -> str:
    """This page's address with some query arguments changed (sorting, paging)."""
    arguments = {**request.args.to_dict(), **{key: str(value) for key, value in changes.items()}}
    return url_for(request.endpoint, **(request.view_args or {}), **arguments)


@bp.app_template_global()
def code_url(endpoint: str, code: str, **query: str) -> str:
    """The address ``url_for(endpoint, code=code, **query)`` writes, for an endpoint
    whose rule ends in ``<path:code>``, built from one prefix per request: a page of a
    province's people or units would otherwise spend more time building links (tens of
    µs each) than reading their days. ``query``: plain values (dates, months)."""
    cache = g.setdefault("code_urls", {})
    if endpoint not in cache:
        cache[endpoint] = url_for(endpoint, code="-")[:-1]
        if "to_url" not in cache:  # the path converter url_for itself uses
            cache["to_url"] = current_app.url_map.converters["path"](current_app.url_map).to_url
    address = cache[endpoint] + cache["to_url"](code)
    return f"{address}?{urlencode(query)}" if query else address


@bp.route("/")
@login_required
def index():
    """The day per unit, counted by the database (a province's 10,000 rows are never
    read for it); the two lists show their first rows and how many there are."""
    day = _day_arg()
    units, allowed = units_in_view(request.args.get("unit"))
    store = get_store()
    scope = None if allowed is None else sorted(allowed)
    counts = store.day_unit_counts(day, scope)
    total = sum((Counter(c) for c in counts.values()), Counter())
    return render_template(
        "pages/index.html",
        day=day,
        today=now().date(),
        summary={key: total[key] for key in SUMMARY_KEYS},
        units=_per_unit(units, counts),
        exceptions=[day_row(r) for r in store.day_rows_where(day, scope, "exceptions", limit=PAGE_SIZE)],
        exception_count=total["exceptions"],
        not_in=_with_titles([day_row(r) for r in store.day_rows_where(day, scope, "pending", limit=NOT_IN_SHOWN)]),
        not_in_count=total["pending"],
        judged=bool(counts),
    )


def _sorted_page(rows: list[dict[str, Any]], sorts: tuple[str, ...] = SORTS) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows searched (name or code), filtered by status (day rows), sorted by one of
    ``sorts``, one page of them, and what the page links need."""
    text = (request.args.get("q") or "").strip().casefold()
    status = (request.args.get("status") or "") if "status" in sorts else ""
    sort = request.args.get("sort") if request.args.get("sort") in sorts else "unit"
    descending = request.args.get("dir") == "desc"
    if text:
        rows = [r for r in rows if text in r["name"].casefold() or text in r["employee"].casefold()]
    if status:
        rows = [r for r in rows if r["status"] == status]
    rows = sorted(rows, key=lambda r: (r[sort] is None, r[sort] if r[sort] is not None else "", r["employee"]),
                  reverse=descending)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    try:
        page = min(max(1, int(request.args.get("page", "1"))), pages)
    except ValueError:
        abort(400, description=_("The page must be a number."))
    shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return shown, {"q": request.args.get("q", ""), "status": status, "sort": sort, "dir": "desc" if descending else "asc",
                   "page": page, "pages": pages, "matching": len(rows)}


@bp.route("/units/<path:code>")
@login_required
def unit_day(code: str):
    day = _day_arg()
    units, allowed = units_in_view(code)
    unit = next(u for u in units if u["code"] == code)
    rows = _day_rows(day, allowed)
    shown, paging = _sorted_page(rows)
    trend = unit_trend(get_store(), sorted(allowed or ()), day)
    return render_template("pages/unit_day.html", unit=unit, day=day, rows=shown, paging=paging,
                           summary=day_summary(rows), trend=trend, organisation=state().config.site.name)


def _month_rows(month: Month, unit: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The month report rows the user may see, and the units they may pick from."""
    units, allowed = units_in_view(unit)
    rows = month_report(get_store(), _policy(), month, unit_codes=None if allowed is None else sorted(allowed))
    return rows, units


@bp.route("/employees/<path:code>")
@login_required
def employee_month(code: str):
    month = _month_arg()
    person = visible_employee(code)
    report = employee_report(get_store(), _policy(), code, month)
    return render_template("pages/employee_month.html", person=person, month=month, report=report,
                           organisation=state().config.site.name)


def _file_name(stem: str, month: Month, unit: str | None) -> str:
    """A download name with only safe characters (unit codes may hold '/')."""
    tail = "-" + "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in unit) if unit else ""
    return f"{stem}-{month}{tail}"


@bp.route("/month")
@login_required
def month_summary():
    month = _month_arg()
    unit = request.args.get("unit") or None
    if request.args.get("format") == "csv":
        rows, _units = _month_rows(month, unit)  # the download is always the whole month
        body = "\ufeff" + to_csv(rows, MONTH_KEYS)  # Excel needs the BOM for Vietnamese
        return Response(
            body,
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={_file_name('tong-hop', month, unit)}.csv"},
        )
    # The page: everyone's counts that it sorts, searches and totals, then the whole
    # report rows (leave days, flags) of the hundred people it shows.
    units, allowed = units_in_view(unit)
    scope = None if allowed is None else sorted(allowed)
    rows = month_list(get_store(), month, unit_codes=scope)
    shown, paging = _sorted_page(rows, MONTH_SORTS)
    if shown:
        report = {row["employee"]: row for row in month_report(
            get_store(), _policy(), month, unit_codes=scope, employee_codes=[row["employee"] for row in shown])}
        # in list order; a person whose days left the scope between the two reads is gone
        shown = [report[row["employee"]] for row in shown if row["employee"] in report]
    return render_template("pages/month.html", month=month, rows=shown, paging=paging, totals=_month_totals(rows),
                           unit=unit, units=units, organisation=state().config.site.name)


def _month_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The selection's month (every person, whatever page or search is shown)."""
    totals: dict[str, Any] = {key: sum(row[key] for row in rows) for key in MONTH_LIST_KEYS}
    for key in ("present_days", "absent_days", "absent_days_after"):  # half days: 20.5, never 20.499999
        value = round(totals[key], 2)
        totals[key] = int(value) if value == int(value) else value
    return {"people": len(rows), **totals}


@bp.route("/month/timesheet.xlsx", defaults={"file_format": "xlsx"})
@bp.route("/month/timesheet.pdf", defaults={"file_format": "pdf"})
@login_required
def timesheet_xlsx(file_format: str):
    """The month's Bảng chấm công (C01-HD), XLSX or PDF, for the units the user may see,
    made by the export worker (see web.exports): at once when small, else after a reload."""
    from monitor.reports.timesheet_export import MEDIA_TYPES

    month = _month_arg()
    unit = request.args.get("unit") or None
    _units, allowed = units_in_view(unit)
    config = state().config
    request_ = TimesheetRequest(
        database=config.storage.database, zone=config.site.timezone, month=str(month), unit=unit,
        unit_codes=None if allowed is None else tuple(sorted(allowed)), organisation=config.site.name,
        symbols=config.policy.leave, file_format=file_format, now=now(),
    )
    key = (str(config.storage.database), current_user.get_id(), "timesheet", str(month), unit or "", file_format)
    jobs = export_jobs()
    job = jobs.start(key, request_)
    if job is None:
        raise ServiceUnavailable(_("Other timesheets are being made right now. Try again in a minute."), retry_after=60)
    if not jobs.wait(job, current_app.config.get("EXPORT_WAIT_SECONDS", 2)):
        return (render_template("pages/preparing.html", month=month, unit=unit, reload_seconds=RELOAD_SECONDS), 202,
                {"Retry-After": str(RELOAD_SECONDS)})
    try:
        workbook = job.result()
    except Exception:
        jobs.forget(key)
        raise
    jobs.forget(key)
    if workbook is None:
        flash(_("No day of %(month)s is judged yet for these units, so there is no timesheet to download."
                " Days are judged by the collector ('monitor run') or by 'monitor evaluate'.",
                month=format_month(month)), "error")
        return redirect(url_for("pages.month_summary", month=str(month), unit=unit or ""))
    return Response(
        workbook,
        mimetype=MEDIA_TYPES[file_format],
        headers={"Content-Disposition": f"attachment; filename={_file_name('bang-cham-cong', month, unit)}.{file_format}"},
    )


@bp.route("/search")
@login_required
def search():
    """People by name or code, in the units the user may see; one match opens their month."""
    text = (request.args.get("q") or "").strip()[:80]
    found = []
    if text:
        allowed = visible_units()
        found = get_store().search_employees(text, None if allowed is None else sorted(allowed))
        if len(found) == 1:
            return redirect(url_for("pages.employee_month", code=found[0]["code"]))
    return render_template("pages/search.html", q=text, people=found)


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


@bp.route("/api/employees/<path:code>")
@login_required
def api_employee(code: str):
    month = _month_arg()
    visible_employee(code)
    return jsonify(employee_report(get_store(), _policy(), code, month))
