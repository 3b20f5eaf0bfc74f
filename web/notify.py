"""Notifications on the site: each user's own address, language and opt-outs; the
notification log for admins (what was sent, to whom, when, and what came of it)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import AnyOf, Length, Optional

from monitor.errors import Refused
from monitor.store.notify import NOTIFY_KINDS, STATUSES
from web.auth import roles_required
from web.db import get_store

bp = Blueprint("notify", __name__)

KIND_LABELS = {
    "digest": _l("Morning digest of my units"),
    "digest_afternoon": _l("Afternoon digest of my units"),
    "weekly": _l("Weekly summary of the units below mine"),
    "alert": _l("Alerts about devices and failed messages (IT)"),
    "reminder": _l("Reminders"),
}
STATUS_LABELS = {
    "queued": _l("queued"), "sending": _l("sending"), "sent": _l("sent"), "retry": _l("will retry"),
    "failed": _l("failed"), "uncertain": _l("cut off while sending"), "skipped": _l("not sent"),
}


class SettingsForm(FlaskForm):
    email = StringField(_l("E-mail address"), validators=[Optional(), Length(max=254)])
    # a plain field drawn as a <select> in the template: wtforms 3.3 deprecates tuple choices
    # and older releases lack their replacement
    language = StringField(_l("Language of the messages"), validators=[Optional(), AnyOf(["vi", "en"])])


LANGUAGES = [("", _l("the site's default")), ("vi", "Tiếng Việt"), ("en", "English")]


def _settings_form(contact: dict) -> tuple[SettingsForm, dict[str, BooleanField]]:
    class Form(SettingsForm):
        pass

    for kind in NOTIFY_KINDS:
        setattr(Form, f"kind_{kind}", BooleanField(KIND_LABELS[kind], default=kind not in contact["opt_out"]))
    form = Form(data={"email": contact["email"] or "", "language": contact["language"] or ""} if request.method == "GET" else None)
    return form, {kind: getattr(form, f"kind_{kind}") for kind in NOTIFY_KINDS}


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def settings():
    """The signed-in user's address, language and the kinds they receive."""
    store = get_store()
    contact = store.user_contact(current_user.username)
    form, kinds = _settings_form(contact)
    status = 200
    if form.validate_on_submit():
        try:
            store.set_user_contact(
                current_user.username, actor=current_user.username, reason="set on the web site",
                email=form.email.data.strip() or None, language=form.language.data or None,
                opt_out=[kind for kind, field in kinds.items() if not field.data],
            )
        except Refused:
            form.email.errors.append(_("This is not an e-mail address; write it like ten@donvi.gov.vn."))
            status = 400
        else:
            flash(_("Saved: your notification settings."), "info")
            return redirect(url_for("notify.settings"))
    elif request.method == "POST":
        status = 400
    return render_template("notify/settings.html", form=form, kinds=kinds, languages=LANGUAGES), status


def _log_rows() -> list[dict]:
    status = request.args.get("status") or None
    kind = request.args.get("kind") or None
    if (status and status not in STATUSES) or (kind and kind not in (*NOTIFY_KINDS, "test")):
        abort(400, description=f"status must be one of {', '.join(STATUSES)}; kind one of {', '.join(NOTIFY_KINDS)}, test")
    return get_store().notification_log(limit=500, kind=kind, status=status)


@bp.route("/notifications")
@roles_required("admin")
def log():
    """Every notification, newest first (admins)."""
    return render_template("notify/log.html", rows=_log_rows(), statuses=STATUS_LABELS, kinds=KIND_LABELS,
                           status=request.args.get("status", ""), kind=request.args.get("kind", ""))


@bp.route("/api/notifications")
@roles_required("admin")
def api_log():
    return jsonify(notifications=_log_rows())
