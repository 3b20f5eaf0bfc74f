"""Vietnamese first, English second (Flask-Babel).

The language comes from the user's choice (kept in the session), else the browser's
preference between the two, else ``[web] language``. Dates are shown dd/mm/yyyy in
Vietnamese and "Nov 25, 2026" in English, numbers with the language's decimal mark,
worked time as h:mm; clock times are 24-hour.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from babel import Locale
from babel.numbers import LC_NUMERIC, NumberPattern, parse_pattern
from flask import Blueprint, Flask, redirect, request, session
from flask_babel import Babel, format_date, get_locale, gettext
from jinja2 import pass_context

from monitor.errors import Message
from monitor.reports.period import Month

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


def _vi() -> bool:
    return str(get_locale()) == "vi"


def format_day(value: date | str | None) -> str:
    """dd/mm/yyyy in Vietnamese, "Nov 25, 2026" in English."""
    if not value:
        return ""
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return day.strftime("%d/%m/%Y") if _vi() else format_date(day, "medium")


def format_month(value: Month | str) -> str:
    """"Tháng 11/2026" in Vietnamese, "November 2026" in English."""
    month = value if isinstance(value, Month) else Month.parse(str(value))
    return f"Tháng {month.month:02d}/{month.year}" if _vi() else format_date(month.first, "MMMM yyyy")


# Babel's format_decimal parses its pattern on every call; a page of counts parses it once
NUMBER_PATTERN: NumberPattern = parse_pattern("#,##0.##")


def format_number(value: float | int | None) -> str:
    """Decimal comma in Vietnamese (20,5), point in English (20.5)."""
    if value is None:
        return ""
    if isinstance(value, int) and -1000 < value < 1000:
        return str(value)  # the common case, written the same in both languages, without Babel's cost
    return NUMBER_PATTERN.apply(value, get_locale() or Locale.parse(LC_NUMERIC))  # as format_decimal falls back


def format_minutes(value: int | None) -> str:
    """Worked time as h:mm (485 → 8:05); blank for none."""
    if not value:
        return ""
    hours, minutes = divmod(int(value), 60)
    return f"{hours}:{minutes:02d}"


def format_time(value: datetime | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        return value[11:19] if "T" in value else value[:8]
    return value.strftime("%H:%M:%S")


def say(text: object) -> str:
    """A refusal or other message from the ``monitor`` layer in the reader's language.

    A :class:`~monitor.errors.Message` is looked up in the catalog and its values filled
    in: nested messages translated, dates as :func:`format_day`, fractions as
    :func:`format_number`. An exception gives its message; anything else its ``str``.
    """
    if isinstance(text, BaseException):
        text = text.args[0] if len(text.args) == 1 else str(text)
    if not isinstance(text, Message):
        return str(text)
    values = {name: _said(value) for name, value in text.values.items()}
    return gettext(text.msgid, **values) if values else gettext(text.msgid)


def _said(value: object) -> object:
    if isinstance(value, Message):
        return say(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return format_day(value)
    if isinstance(value, float):
        return format_number(value)
    return value  # whole numbers stay as written: they are ids, counts and years


def current_language() -> str:
    """'vi' or 'en': the language of the page being rendered."""
    return "vi" if str(get_locale()) == "vi" else "en"


def _pick(table: dict[str, tuple[str, str]], key: str) -> str:
    """The Vietnamese or English label the reports use (one vocabulary for CLI and web)."""
    labels = table.get(key)
    if labels is None:
        return key
    return labels[0] if _vi() else labels[1]


def _per_request(function: Callable[..., str]) -> Callable[..., str]:
    """A filter Jinja must call at render time. Jinja folds a filter applied to a
    constant ("name"|heading) into the compiled template, which is cached: the heading
    would stay in the language of the first request after a start. A filter that takes
    the context is never folded."""

    @pass_context
    def filter_(_context: Any, *args: Any) -> str:
        return function(*args)

    return filter_


def init_app(app: Flask) -> None:
    from monitor.reports.render import HEADINGS, PART_LABELS, RULES, STATUSES
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    app.register_blueprint(bp)
    filters = {
        "day": format_day,
        "clock": format_time,
        "month_label": format_month,
        "num": format_number,
        "say": say,
        "hmm": format_minutes,
        "status_label": lambda key: _pick(STATUSES, key),
        "heading": lambda key: _pick(HEADINGS, key),
        "rule_label": lambda key: _pick(RULES, key),
        "part_label": lambda key: _pick(PART_LABELS, key),
    }
    for name, function in filters.items():
        app.jinja_env.filters[name] = _per_request(function)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
