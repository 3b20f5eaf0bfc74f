"""The roll-call at a moment on the web: a printable inspection report (A4) with the
counts per unit, the people in each group and a signature block, and its JSON twin.
Everyone signed in sees the units they may see (a manager: theirs and those below)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request
from flask_login import login_required
from jinja2 import pass_context

from monitor.errors import Refused
from monitor.reports.rollcall import (
    GROUP_LABELS,
    label,
    parse_moment,
    person_detail,
    rollcall,
)
from web.db import get_store, now, state
from web.i18n import current_language
from web.visibility import units_in_view

bp = Blueprint("rollcall", __name__)


@bp.app_template_filter("rollcall_group")
@pass_context  # resolved per render: a literal argument must not be folded into the compiled template
def group_label(_context: Any, group: str) -> str:
    """The group's name in the page's language (the CLI's words)."""
    return label(GROUP_LABELS, group, current_language())


@bp.app_template_filter("rollcall_detail")
@pass_context
def detail(_context: Any, person: dict) -> str:
    """Why, in the page's language: the time of the punch, the leave and its document, the day off."""
    return person_detail(person, current_language())


def _data() -> dict:
    text = request.args.get("at")
    try:
        at = parse_moment(text) if text else now()
    except Refused as exc:
        abort(400, description=str(exc))
    unit = request.args.get("unit") or None
    _units, allowed = units_in_view(unit)  # 404 for a unit the user may not see
    config = state().config
    return rollcall(get_store(), config.policy, at, unit=unit, allowed=allowed, organisation=config.site.name)


@bp.route("/rollcall")
@login_required
def index():
    data = _data()
    units, _allowed = units_in_view(None)
    return render_template("rollcall/index.html", data=data, units=units)


@bp.route("/api/rollcall")
@login_required
def api():
    return jsonify(_data())
