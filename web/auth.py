"""Logging in and out, roles, and which units a user may see.

Roles: ``admin`` (everything, including the audit trail and users), ``hr`` (every unit,
exports), ``manager`` (only their own units and the units below them). Passwords are
hashed by the store (werkzeug scrypt); every form carries a CSRF token (Flask-WTF).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
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

from monitor.errors import NotFound
from web.db import get_store, now

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()
log = logging.getLogger("web.auth")

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=5)


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


class LoginThrottle:
    """Refuses a username for a while after repeated wrong passwords (per process)."""

    def __init__(self) -> None:
        self._failures: dict[str, list[datetime]] = {}
        self._lock = threading.Lock()

    def locked(self, username: str, moment: datetime) -> bool:
        with self._lock:
            recent = [t for t in self._failures.get(username, []) if moment - t < LOCKOUT]
            self._failures[username] = recent
            return len(recent) >= MAX_FAILURES

    def failed(self, username: str, moment: datetime) -> None:
        with self._lock:
            self._failures.setdefault(username, []).append(moment)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)



class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


def init_app(app: Flask) -> None:
    app.extensions["login_throttle"] = LoginThrottle()
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(username: str) -> User | None:
    # one row by key: with staff accounts there are as many users as employees
    try:
        row = get_store().user(username)
    except NotFound:
        return None
    return User(row) if row["active"] else None


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
        moment = now()
        throttle: LoginThrottle = current_app.extensions["login_throttle"]
        if throttle.locked(username, moment):
            log.warning("login refused for %r: too many failures", username)
            flash(_("Too many wrong passwords. Wait a few minutes and try again."), "error")
            return render_template("auth/login.html", form=form), 429
        row = get_store().check_password(username, form.password.data)
        if row is None:
            throttle.failed(username, moment)
            log.warning("failed login for %r from %s", username, request.remote_addr)
            flash(_("Wrong username or password."), "error")
            return render_template("auth/login.html", form=form), 401
        throttle.succeeded(username)
        session.clear()  # a fresh session: no fixation
        session.permanent = True
        login_user(User(row))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    session.clear()
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
