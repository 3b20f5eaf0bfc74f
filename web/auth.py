"""Logging in and out, roles, and which units a user may see.

Roles: ``admin`` (everything, including the audit trail and users), ``hr`` (every unit,
exports), ``manager`` (only their own units and the units below them). Passwords are
hashed by the store (werkzeug scrypt); every form carries a CSRF token (Flask-WTF).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_wtf import CSRFProtect, FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from web.db import get_store, now
from web.throttle import wait_before_login

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()
log = logging.getLogger("web.auth")



class User(UserMixin):
    def __init__(self, row: dict[str, Any]):
        self.id = row["username"]
        self.username = row["username"]
        self.full_name = row.get("full_name") or row["username"]
        self.role = row["role"]
        self.units: list[str] = list(row["units"])
        self.employee_code: str | None = row.get("employee_code")  # staff: the one person they are
        self.must_change_password = bool(row.get("must_change_password"))

    @property
    def sees_everything(self) -> bool:
        return self.role in ("admin", "hr")


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(username: str) -> User | None:
    """The user of this request's server-side session: none once it was ended (logout,
    a new password, a role change, the user disabled) or left idle too long."""
    token = session.get("sid")
    if not token:
        return None
    row = get_store().session_user(token, idle=current_app.permanent_session_lifetime)
    if row is None or row["username"] != username:
        return None
    return User(row)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted ?next= must not send users elsewhere."""
    if not target:
        return url_for("pages.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("pages.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        address = request.remote_addr or "-"
        store = get_store()
        wait = wait_before_login(store, username, address, now())
        if wait > timedelta(0):
            seconds = math.ceil(wait.total_seconds())
            log.warning("login for %r from %s refused: wait %s s after wrong passwords", username, address, seconds)
            flash(_("Too many wrong passwords. Try again in %(seconds)s seconds.", seconds=seconds), "error")
            response = current_app.make_response((render_template("auth/login.html", form=form), 429))
            response.headers["Retry-After"] = str(seconds)
            return response
        row = store.check_password(username, form.password.data)
        store.record_login_attempt(username, address, row is not None)
        if row is None:
            log.warning("failed login for %r from %s", username, address)
            flash(_("Wrong username or password."), "error")
            return render_template("auth/login.html", form=form), 401
        log.info("login of %r from %s", username, address)
        language = session.get("lang")
        session.clear()  # a fresh session: no fixation
        if language:
            session["lang"] = language  # the language picked on the login page stays
        session.permanent = True
        session["sid"] = store.open_session(username, address=address, user_agent=request.user_agent.string)
        login_user(User(row))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    token = session.get("sid")
    if token:
        get_store().end_session(token, actor=current_user.username)
    language = session.get("lang")
    logout_user()
    session.clear()
    if language:
        session["lang"] = language
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


def roles_required(*roles: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
