"""Headers, size limits and error answers for every response.

Flask-Talisman sets the security headers (a Content-Security-Policy with no inline
script or style, frame-ancestors and X-Frame-Options, X-Content-Type-Options,
Referrer-Policy); it is the well-kept library for exactly this list. Pages and exports
carry personal data, so nothing but the static files may be stored by a browser or a
proxy. Errors are pages in the user's language, and JSON under ``/api/``.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_talisman import Talisman
from werkzeug.exceptions import BadRequest, HTTPException, Unauthorized
from werkzeug.exceptions import NotFound as HTTPNotFound

from monitor.errors import NotFound, Refused
from web.auth import login_manager
from web.i18n import say

log = logging.getLogger("web.security")

# a login, a search, an admin form: nothing legitimate comes near this
MAX_REQUEST_BYTES = 256 * 1024

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _titles() -> dict[int, str]:
    """Short titles per status, resolved in the request's language."""
    return {
        400: _("The request is not valid"),
        401: _("Please log in"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Not allowed this way"),
        413: _("The request is too large"),
        429: _("Too many requests"),
        500: _("Something went wrong on the server"),
        503: _("Busy: try again shortly"),
    }


def _explanations() -> dict[int, str]:
    return {
        400: _("Check the address or the form and try again."),
        403: _("Your role does not allow this page."),
        404: _("There is nothing here, or it is not yours to see."),
        405: _("This address does not accept that kind of request."),
        413: _("Send less data."),
        500: _("The error was logged. Try again, and tell IT staff if it keeps happening."),
        503: _("The server is busy producing other exports."),
    }


def error_response(error: HTTPException) -> Response:
    """An error as a localised page, or as JSON under /api/."""
    code = error.code or 500
    title = _titles().get(code, error.name)
    # our own aborts carry a specific, already translated description; Werkzeug's
    # default ones are English and generic, so they give way to ours
    specific = error.description if error.description != type(error).description else None
    message = specific or _explanations().get(code, "")
    if request.path.startswith("/api/"):
        response = jsonify(error=code, title=title, message=message)
    else:
        response = Response(render_template("error.html", code=code, title=title, message=message))
    response.status_code = code
    for header in ("Retry-After", "Allow"):
        if error.get_response().headers.get(header):
            response.headers[header] = error.get_response().headers[header]
    return response


def _not_logged_in() -> Response:
    """JSON 401 under /api/ (a script has no login form to follow); a redirect elsewhere."""
    if request.path.startswith("/api/"):
        return error_response(Unauthorized())
    flash(_("Please log in to see this page."), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def init_app(app: Flask, *, secure: bool) -> None:
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.config["MAX_FORM_MEMORY_SIZE"] = MAX_REQUEST_BYTES
    Talisman(
        app,
        # HTTPS ends at the reverse proxy when there is one; redirecting here would loop
        force_https=False,
        strict_transport_security=secure,
        session_cookie_secure=secure,
        session_cookie_http_only=True,
        content_security_policy=POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        x_content_type_options=True,
    )

    @app.after_request
    def no_store(response: Response) -> Response:
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response

    login_manager.unauthorized_handler(_not_logged_in)
    # an unexpected exception reaches this too, as InternalServerError (Flask logs it)
    app.register_error_handler(HTTPException, error_response)

    @app.errorhandler(NotFound)
    def monitor_not_found(error: NotFound) -> Response:
        return error_response(HTTPNotFound())

    @app.errorhandler(Refused)
    def monitor_refused(error: Refused) -> Response:
        return error_response(BadRequest(description=say(error)))
