"""Vietnamese first, English second (Flask-Babel).

The language comes from the user's choice (kept in the session), else the browser's
preference between the two, else ``[web] language``. Dates are shown dd/mm/yyyy in
Vietnamese and ISO in English; times are 24-hour.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Flask, redirect, request, session
from flask_babel import Babel, get_locale

from web.auth import _safe_next

LANGUAGES = ("vi", "en")
babel = Babel()
bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    from flask import current_app

    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    return request.accept_languages.best_match(LANGUAGES, default=default) if request.accept_languages else default


@bp.route("/language/<code>")
def choose(code: str):
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")))


def format_day(value: date | str | None) -> str:
    if not value:
        return ""
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return day.strftime("%d/%m/%Y") if str(get_locale()) == "vi" else day.isoformat()


def format_time(value: datetime | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        return value[11:19] if "T" in value else value[:8]
    return value.strftime("%H:%M:%S")


def current_language() -> str:
    """'vi' or 'en': the language of the page being rendered."""
    return "vi" if str(get_locale()) == "vi" else "en"


def _pick(table: dict[str, tuple[str, str]], key: str) -> str:
    """The Vietnamese or English label the reports use (one vocabulary for CLI and web)."""
    labels = table.get(key)
    if labels is None:
        return key
    return labels[0] if str(get_locale()) == "vi" else labels[1]


def init_app(app: Flask) -> None:
    from monitor.reports.render import HEADINGS, PART_LABELS, RULES, STATUSES
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    app.register_blueprint(bp)
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["clock"] = format_time
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.filters["status_label"] = lambda key: _pick(STATUSES, key)
    app.jinja_env.filters["heading"] = lambda key: _pick(HEADINGS, key)
    app.jinja_env.filters["rule_label"] = lambda key: _pick(RULES, key)
    app.jinja_env.filters["part_label"] = lambda key: _pick(PART_LABELS, key)
