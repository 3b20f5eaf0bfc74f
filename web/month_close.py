"""Closing the month on the web: each visible unit's state, who signed and when, what is
pending, punches that arrived after the lock, and a button for each step the signed-in
user may take (every form CSRF-protected). The steps are those of
:mod:`monitor.service.month_close`; a refused step is shown as its one-line reason.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from monitor.errors import Refused
from monitor.reports.period import Month
from monitor.service.month_close import STEPS, month_overview, take_step, why_not
from web.db import get_store, now
from web.i18n import say
from web.visibility import units_in_view

bp = Blueprint("month_close", __name__)

STEP_LABELS = {
    "submit": _l("Submit"),
    "confirm": _l("Confirm"),
    "approve": _l("Approve"),
    "lock": _l("Lock"),
    "reopen": _l("Reopen"),
}
STATE_LABELS = {
    "open": _l("open"),
    "submitted": _l("submitted"),
    "confirmed": _l("confirmed"),
    "approved": _l("approved"),
    "locked": _l("locked"),
}


def _month() -> Month:
    """The month asked for; by default last month, the one waiting to be closed."""
    text = request.values.get("month")
    try:
        return Month.parse(text) if text else Month.of(now().date().replace(day=1) - timedelta(days=1))
    except Refused as exc:
        abort(400, description=say(exc))


@bp.route("/close")
@login_required
def index():
    month = _month()
    units, allowed = units_in_view(request.args.get("unit") or None)
    store = get_store()
    parents = {u["code"]: u["parent_code"] for u in store.units()}
    overview = month_overview(store, month, allowed)
    user = {"username": current_user.username, "role": current_user.role, "units": current_user.units}
    actions = {
        item.unit: [step for step, (sources, _to) in STEPS.items()
                    if item.state in sources and why_not(user, step, item.unit, parents, item.sign_off) is None]
        for item in overview
    }
    return render_template("month_close/index.html", month=month, overview=overview, actions=actions,
                           step_labels=STEP_LABELS, state_labels=STATE_LABELS, units=units)


@bp.route("/close/<unit>/<step>", methods=["POST"])
@login_required
def act(unit: str, step: str):
    if step not in STEPS:
        abort(404)
    units_in_view(unit)  # 404 for a unit the user may not see
    month = _month()
    try:
        result = take_step(get_store(), step, unit, month, current_user.username, today=now().date(),
                           reason=request.form.get("reason"))
    except Refused as exc:
        flash(say(exc), "error")
    else:
        flash(_("%(unit)s %(month)s: %(state)s.", unit=result.unit, month=result.month,
                state=STATE_LABELS[result.to_state]), "info")
    return redirect(url_for("month_close.index", month=str(month)), code=303)
