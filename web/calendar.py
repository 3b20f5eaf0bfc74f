"""The year's calendar for HR and admin: every weekday off and every worked weekend day,
with its name and its source (the holidays package, a shipped decision with its
document, or the config with its ref), to compare with the government's letter."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request

from monitor.errors import NotFound, Refused
from monitor.reports.calendar import KIND_LABELS, SOURCE_LABELS, WEEKDAYS_EN, WEEKDAYS_VI, calendar_year
from web.auth import roles_required
from web.db import get_store, now, state
from web.i18n import current_language

bp = Blueprint("calendar", __name__)


def _word(pair: tuple[str, str]) -> str:
    return pair[0] if current_language() == "vi" else pair[1]


@bp.app_template_filter("calendar_source")
def source_label(source: str) -> str:
    return _word(SOURCE_LABELS[source])


@bp.app_template_filter("calendar_kind")
def kind_label(kind: str) -> str:
    return _word(KIND_LABELS[kind])


@bp.app_template_filter("weekday_name")
def weekday_name(weekday: int) -> str:
    return _word((WEEKDAYS_VI[weekday], WEEKDAYS_EN[weekday]))


def _year_data() -> dict:
    text = request.args.get("year") or str(now().year)
    if not text.isdigit():
        abort(400, description=f"year must be a number such as 2026, not {text!r}")
    try:
        return calendar_year(get_store(), state().config.policy, int(text), request.args.get("unit") or None)
    except NotFound as exc:
        abort(404, description=str(exc))
    except Refused as exc:
        abort(400, description=str(exc))


@bp.route("/calendar")
@roles_required("admin", "hr")
def index():
    data = _year_data()
    return render_template("calendar/index.html", data=data, units=get_store().units())


@bp.route("/api/calendar")
@roles_required("admin", "hr")
def api():
    return jsonify(_year_data())
