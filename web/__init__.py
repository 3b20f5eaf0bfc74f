"""The web site: per-unit summaries for managers, timesheets for HR, devices for IT.

It reads through ``monitor`` (store, reports); it never opens SQL of its own and never
opens a serial port. Served by waitress (``monitor serve``), one process with threads.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from monitor.config import Config


def create_app(config: Config, *, now: Callable[[], datetime] | None = None, testing: bool = False) -> Flask:
    """Build the Flask application for a validated config (the database must exist)."""
    from monitor.service.keys import open_store
    from web import (admin, audit, auth, calendar, db, devices, exports, i18n, month_close, notify, pages, requests, rollcall,
                     security)

    app = Flask(__name__)
    with open_store(config) as store:
        secret = store.secret("web-session")
    app.config.from_mapping(
        SECRET_KEY=secret,
        TESTING=testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.web.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=config.web.session_minutes),
        BABEL_DEFAULT_LOCALE=config.web.language,
        BABEL_DEFAULT_TIMEZONE=config.site.timezone,
        # a form left open over lunch must still submit: the token lives as long as the session
        WTF_CSRF_TIME_LIMIT=None,
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # Vietnamese names stay readable in JSON
    app.jinja_env.globals["site_name"] = config.site.name
    if config.web.trusted_proxies:
        # the user's address from X-Forwarded-For, as the proxies in front set it: the login
        # throttle and the logs would otherwise see every user as the proxy
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.web.trusted_proxies)  # type: ignore[method-assign]
    db.init_app(app, config, now)
    exports.init_app(app, config.web)
    auth.init_app(app)
    i18n.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(devices.bp)
    app.register_blueprint(month_close.bp)
    app.register_blueprint(notify.bp)
    app.register_blueprint(requests.bp)
    app.register_blueprint(rollcall.bp)
    app.register_blueprint(calendar.bp)
    app.register_blueprint(audit.bp)
    security.init_app(app, secure=config.web.secure_cookies)
    app.register_blueprint(admin.bp)
    return app
