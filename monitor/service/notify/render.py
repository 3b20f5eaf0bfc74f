"""The messages: Jinja templates in both languages, and the e-mail built from them.

Each message has a plain-text and an HTML body from ``templates/<name>.txt`` and
``templates/<name>.html`` (only ``.html`` is auto-escaped: a name like "Lê & Co" stays
as typed in the text part). The subject goes through the e-mail package's default
policy, which writes non-ASCII headers as RFC 2047 encoded words.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from monitor.service.notify.words import day_text, minutes_text, pick, word

TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class Message:
    """A rendered message, before it is addressed."""

    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,  # a missing value is an error in the tests, not a blank in a mail
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def render(name: str, lang: str, subject: str, **context: Any) -> Message:
    """Render ``name.txt`` and ``name.html`` in ``lang`` with ``context``."""
    env = environment()
    helpers = {
        "lang": lang,
        "t": lambda key, **values: word(key, lang, **values),
        "pick": lambda pair: pick(pair, lang),
        "day": lambda value, weekday=False: day_text(value, lang, weekday=weekday),
        "offset": lambda seconds: minutes_text(seconds, lang),
        "subject": subject,
    }
    values = {**context, **helpers}
    # one final newline, as the e-mail package writes the text part, so a preview matches
    text = env.get_template(f"{name}.txt").render(values).rstrip("\n") + "\n"
    html = env.get_template(f"{name}.html").render(values)
    return Message(subject=subject, text=text, html=html)


def message_id(key: str, sender: str) -> str:
    """The same Message-ID for every attempt of one notification, so a mail server that
    did receive an attempt whose answer was lost can drop the retry as a duplicate."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<notify.{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@{domain}>"


def _address(text: str) -> str:
    """``Name <addr>`` with the name RFC 2047 encoded when it is not ASCII."""
    name, address = parseaddr(text)
    return formataddr((name, address), charset="utf-8")


def email_message(message: Message, *, sender: str, to: str, name: str | None, key: str, date_header: Any) -> MIMEMultipart:
    """The MIME message: text and HTML alternatives, UTF-8, encoded headers."""
    mail = MIMEMultipart("alternative")
    mail["Subject"] = Header(message.subject, "utf-8")
    mail["From"] = _address(sender)
    mail["To"] = formataddr((name or "", to), charset="utf-8")
    mail["Date"] = format_datetime(date_header)
    mail["Message-ID"] = message_id(key, sender)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay away
    mail.attach(MIMEText(message.text, "plain", "utf-8"))
    mail.attach(MIMEText(message.html, "html", "utf-8"))
    return mail
