"""User management for admins: list, add, disable or enable, reset a password, set the
role and the units, and see or end a user's sessions.

Every change goes through the store, audited with the admin's name; changing what a
user may do (role, units, password, disabling) ends their sessions there and then.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from monitor.errors import NotFound, Refused
from monitor.store import ROLES
from web.auth import roles_required
from web.db import get_store
from web.i18n import say

bp = Blueprint("admin", __name__, url_prefix="/admin")

USERNAME = r"^[A-Za-z0-9._@-]+$"


def _role_choices() -> list[tuple[str, Any]]:
    return [(role, _l(role)) for role in ROLES]


def _units_field() -> SelectMultipleField:
    return SelectMultipleField(_l("Units (for a manager)"), choices=[], validate_choice=True)


class NewPassword(FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        DataRequired(), Length(min=8, max=256, message=_l("The password must have at least 8 characters."))])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=_role_choices)
    units = _units_field()

    def validate_units(self, field: SelectMultipleField) -> None:
        if self.role.data == "manager" and not field.data:
            raise ValidationError(_("A manager needs at least one unit."))


class AddUserForm(RoleForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(), Length(max=64), Regexp(USERNAME, message=_l("Letters, digits and . _ @ - only."))])
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=120)])
    password = NewPassword.password


class ActionForm(FlaskForm):
    """A button: only the CSRF token."""


def _with_units(form: RoleForm) -> RoleForm:
    form.units.choices = [(u["code"], f"{u['code']} · {u['name']}") for u in get_store().units()]
    return form


def _user_or_404(username: str) -> dict[str, Any]:
    try:
        return get_store().user(username)
    except NotFound:
        abort(404)


def _last_admin(user: dict[str, Any]) -> bool:
    return user["role"] == "admin" and user["active"] and not any(
        u["role"] == "admin" and u["active"] and u["username"] != user["username"] for u in get_store().users())


@bp.route("/users", methods=["GET", "POST"])
@roles_required("admin")
def users():
    store = get_store()
    form = _with_units(AddUserForm())
    if form.validate_on_submit():
        if any(u["username"] == form.username.data for u in store.users()):
            form.username.errors.append(_("This username is taken."))
        else:
            store.add_user(form.username.data, form.password.data, role=form.role.data, units=form.units.data,
                           full_name=form.full_name.data or None, actor=current_user.username)
            flash(_("User %(user)s added.", user=form.username.data), "info")
            return redirect(url_for("admin.user", username=form.username.data), 303)
    status = 400 if form.errors else 200
    return render_template("admin/users.html", users=store.users(), sessions=store.open_session_counts(), form=form), status


@bp.route("/users/<username>")
@roles_required("admin")
def user(username: str):
    person = _user_or_404(username)
    role_form = _with_units(RoleForm(data={"role": person["role"], "units": person["units"]}))
    return _user_page(person, role_form, NewPassword())


def _user_page(person: dict[str, Any], role_form: RoleForm, password_form: NewPassword, status: int = 200):
    store = get_store()
    return render_template(
        "admin/user.html", person=person, role_form=role_form, password_form=password_form, action=ActionForm(),
        sessions=store.user_sessions(person["username"]), attempts=store.login_attempts(person["username"], limit=20),
    ), status


@bp.route("/users/<username>/role", methods=["POST"])
@roles_required("admin")
def set_role(username: str):
    person = _user_or_404(username)
    form = _with_units(RoleForm())
    if not form.validate_on_submit():
        return _user_page(person, form, NewPassword(formdata=None), 400)
    if form.role.data != "admin" and _last_admin(person):
        flash(_("%(user)s is the last active admin: make another user admin first.", user=username), "error")
        return _user_page(person, form, NewPassword(formdata=None), 400)
    get_store().set_user_role(username, form.role.data, form.units.data, actor=current_user.username, roles=ROLES)
    flash(_("Role of %(user)s saved; their sessions have ended.", user=username), "info")
    return redirect(url_for("admin.user", username=username), 303)


@bp.route("/users/<username>/password", methods=["POST"])
@roles_required("admin")
def set_password(username: str):
    person = _user_or_404(username)
    form = NewPassword()
    if not form.validate_on_submit():
        role_form = _with_units(RoleForm(formdata=None, data={"role": person["role"], "units": person["units"]}))
        return _user_page(person, role_form, form, 400)
    own = username == current_user.username
    get_store().set_password(username, form.password.data, actor=current_user.username,
                             keep_session=session.get("sid") if own else None)
    flash(_("Password of %(user)s set; their other sessions have ended.", user=username), "info")
    return redirect(url_for("admin.user", username=username), 303)


@bp.route("/users/<username>/active", methods=["POST"])
@roles_required("admin")
def set_active(username: str):
    person = _user_or_404(username)
    if not ActionForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    if not active and _last_admin(person):
        flash(_("%(user)s is the last active admin: make another user admin first.", user=username), "error")
        return redirect(url_for("admin.user", username=username), 303)
    try:
        get_store().set_user_active(username, active, actor=current_user.username)
    except Refused as exc:
        abort(400, description=say(exc))
    flash(_("%(user)s can log in again.", user=username) if active
          else _("%(user)s is disabled; their sessions have ended.", user=username), "info")
    return redirect(url_for("admin.user", username=username), 303)


@bp.route("/users/<username>/sessions/end", methods=["POST"])
@roles_required("admin")
def end_sessions(username: str):
    """End one session (``session`` in the form) or all of them."""
    _user_or_404(username)
    if not ActionForm().validate_on_submit():
        abort(400)
    store = get_store()
    chosen = request.form.get("session")
    if chosen:
        try:
            store.end_session_by_id(username, chosen, actor=current_user.username)
        except NotFound:
            abort(404)
        flash(_("The session has ended."), "info")
    else:
        ended = store.end_user_sessions(username, actor=current_user.username, reason="ended by admin", audited=True)
        flash(_("%(count)s session(s) ended.", count=ended), "info")
    return redirect(url_for("admin.user", username=username), 303)
