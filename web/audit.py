"""The audit trail on the web (admin and HR): every change made from the CLI or the web,
filtered by who, what (entity and action), when, employee and unit; before and after
side by side with the reason; a page at a time, a CSV export and a JSON twin."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for

from monitor.errors import NotFound
from monitor.reports.audit import audit_csv, audit_rows, changes_text
from web.auth import roles_required
from web.db import get_store

bp = Blueprint("audit", __name__)
PAGE_SIZE = 50
FILTERS = ("actor", "entity", "action", "from", "to", "employee", "unit")


def _date(name: str) -> date | None:
    text = request.args.get(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400, description=f"{name} must look like 2026-11-26, not {text!r}")


def _filters() -> tuple[dict[str, Any], dict[str, str]]:
    """The store's filter arguments, and the filters as given (to keep them in links)."""
    given = {name: request.args.get(name, "").strip() for name in FILTERS}
    unit_codes = None
    if given["unit"]:
        try:
            unit_codes = get_store().unit_and_below(given["unit"])
        except NotFound as exc:
            abort(400, description=str(exc))
    day_from, day_to = _date("from"), _date("to")
    if day_from and day_to and day_to < day_from:
        abort(400, description=f"to ({day_to}) is before from ({day_from})")
    return {
        "actor": given["actor"] or None, "entity": given["entity"] or None, "action": given["action"] or None,
        "employee": given["employee"] or None, "day_from": day_from, "day_to": day_to, "unit_codes": unit_codes,
    }, {k: v for k, v in given.items() if v}


def _page() -> int:
    text = request.args.get("page", "1")
    if not text.isdigit() or int(text) < 1:
        abort(400, description=f"page must be a whole number from 1, not {text!r}")
    return int(text)


@bp.route("/audit")
@roles_required("admin", "hr")
def index():
    filters, given = _filters()
    page = _page()
    store = get_store()
    stored, total = store.audit_entries(**filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template(
        "audit/index.html", rows=audit_rows(stored), total=total, page=page, pages=pages, given=given,
        choices=store.audit_choices(), units=store.units(), changes_text=changes_text,
        csv_url=url_for("audit.export", **given),
        previous_url=url_for("audit.index", **given, page=page - 1) if page > 1 else None,
        next_url=url_for("audit.index", **given, page=page + 1) if page < pages else None,
    )


@bp.route("/audit.csv")
@roles_required("admin", "hr")
def export():
    filters, _given = _filters()
    stored, _total = get_store().audit_entries(**filters, limit=None)
    body = "\ufeff" + audit_csv(audit_rows(stored))  # Excel needs the BOM for Vietnamese
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=nhat-ky-thay-doi.csv"})


@bp.route("/api/audit")
@roles_required("admin", "hr")
def api():
    filters, _given = _filters()
    page = _page()
    stored, total = get_store().audit_entries(**filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return jsonify(total=total, page=page, page_size=PAGE_SIZE, rows=audit_rows(stored))
