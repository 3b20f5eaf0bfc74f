"""``[notify]``: how the monitor tells people (e-mail over SMTP, signed webhooks), and when.

Secrets never live in the config file: the SMTP password and each webhook's signing key
are read, when needed, from an environment variable or a file named here, so a config
can be mailed around or committed without leaking them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.config.checker import Checker, KeyPath
from monitor.errors import ConfigError

SECURITY = ("starttls", "ssl", "none")
KINDS = ("digest", "digest_afternoon", "weekly", "alert", "reminder")
NOTIFY_KEYS = {"enabled", "language", "site_url", "smtp", "digest", "alerts", "retry", "reminders", "webhooks"}
SMTP_KEYS = {"host", "port", "security", "username", "password_env", "password_file", "sender", "ca_file", "timeout"}
DIGEST_KEYS = {"morning", "minutes_after_start", "send_until_minutes", "afternoon", "weekly", "units"}
UNIT_KEYS = {"minutes_after_start", "afternoon", "morning"}
ALERT_KEYS = {"to", "offline_minutes", "repeat_minutes"}
RETRY_KEYS = {"attempts", "first_delay_seconds"}
REMINDER_KEYS = {"days_before_deadline", "minutes_after_start"}
WEBHOOK_KEYS = {"id", "url", "secret_env", "secret_file", "kinds", "timeout"}


def read_secret(env: str | None, file: Path | None, what: str) -> str | None:
    """The secret from the environment variable ``env`` or the first line of ``file``;
    ``None`` when neither is configured. Raises :class:`ConfigError` naming the variable
    or the file (never the value) when it is configured but empty or unreadable."""
    if env:
        value = os.environ.get(env, "")
        if not value:
            raise ConfigError(f"{what}: the environment variable {env} is not set (set it for the collector's service)")
        return value
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{what}: cannot read {file}: {exc.strerror}") from None
        value = text.splitlines()[0].strip() if text.strip() else ""
        if not value:
            raise ConfigError(f"{what}: {file} is empty")
        return value
    return None


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server; an empty ``host`` means e-mail is off."""

    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    sender: str = ""
    ca_file: Path | None = None  # an internal CA that signed the server's certificate
    timeout: float = 30.0

    def password(self) -> str | None:
        return read_secret(self.password_env, self.password_file, "[notify.smtp] password")


@dataclass(frozen=True)
class WebhookSettings:
    """A signed JSON webhook: a bridge to Zalo OA, an SMS gateway or a chat room."""

    id: str
    url: str
    kinds: tuple[str, ...] = ("alert",)
    secret_env: str | None = None
    secret_file: Path | None = None
    timeout: float = 10.0

    def secret(self) -> str:
        value = read_secret(self.secret_env, self.secret_file, f"webhook {self.id} secret")
        if value is None:  # the parser requires one of the two
            raise ConfigError(f"webhook {self.id}: give secret_env or secret_file")
        return value


@dataclass(frozen=True)
class UnitDigest:
    """``[notify.digest.units.<code>]``: a unit's own digest time (applies below it too)."""

    minutes_after_start: int | None = None
    morning: bool | None = None
    afternoon: bool | None = None


@dataclass(frozen=True)
class NotifyConfig:
    enabled: bool = False
    language: str = "vi"
    site_url: str = ""
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    webhooks: tuple[WebhookSettings, ...] = ()
    morning: bool = True
    minutes_after_start: int = 15  # after the first session's start plus its grace
    send_until_minutes: int = 120  # a digest not sent by then (collector stopped) is skipped
    afternoon: bool = False
    weekly: bool = True
    units: Mapping[str, UnitDigest] = field(default_factory=dict)
    alerts_to: tuple[str, ...] = ()  # empty: every admin with an e-mail address
    offline_minutes: int = 30
    repeat_minutes: int = 240
    retry_attempts: int = 5
    retry_first_delay_seconds: int = 60
    days_before_deadline: int = 2
    # reminders go out on the unit's working days, this long after its first session starts
    # (07:30 + 30 = 08:00 by default: after the morning digest, with people at their desks)
    reminder_minutes_after_start: int = 30


def _positive(value: float) -> str | None:
    return None if value > 0 else f"{value} must be greater than 0"


def _not_negative(value: int) -> str | None:
    return None if value >= 0 else f"{value} must not be negative"


def _path(checker: Checker, table: Mapping[str, Any], key: str, path: KeyPath, base: Path) -> Path | None:
    text = checker.get(table, key, str, path)
    if not text:
        return None
    found = Path(text).expanduser()
    return found if found.is_absolute() else base / found


def _email(value: str) -> str | None:
    from email.headerregistry import Address

    try:
        Address(addr_spec=value.strip())
    except Exception:  # noqa: BLE001 - the email package raises several kinds
        return f"{value!r} is not an e-mail address"
    return None if "@" in value else f"{value!r} is not an e-mail address"


def parse_notify(checker: Checker, raw: Any, base: Path) -> NotifyConfig:
    """The ``[notify]`` section (code defaults when absent: notifications off)."""
    path: KeyPath = ("notify",)
    table = checker.table(raw, path)
    checker.known_keys(table, NOTIFY_KEYS, path)
    if not table:
        return NotifyConfig()
    smtp = _parse_smtp(checker, table.get("smtp"), base)
    digest_path: KeyPath = ("notify", "digest")
    digest = checker.table(table.get("digest"), digest_path)
    checker.known_keys(digest, DIGEST_KEYS, digest_path)
    alerts_path: KeyPath = ("notify", "alerts")
    alerts = checker.table(table.get("alerts"), alerts_path)
    checker.known_keys(alerts, ALERT_KEYS, alerts_path)
    retry_path: KeyPath = ("notify", "retry")
    retry = checker.table(table.get("retry"), retry_path)
    checker.known_keys(retry, RETRY_KEYS, retry_path)
    reminders_path: KeyPath = ("notify", "reminders")
    reminders = checker.table(table.get("reminders"), reminders_path)
    checker.known_keys(reminders, REMINDER_KEYS, reminders_path)
    to = checker.get(alerts, "to", list, alerts_path, [])
    for index, address in enumerate(to):
        if not isinstance(address, str) or _email(address):
            checker.problem(alerts_path + ("to", index), f"{address!r} is not an e-mail address")
    defaults = NotifyConfig()
    return NotifyConfig(
        enabled=checker.get(table, "enabled", bool, path, True),
        language=checker.get(table, "language", str, path, "vi", choices=("vi", "en")),
        site_url=checker.get(table, "site_url", str, path, "").rstrip("/"),
        smtp=smtp,
        webhooks=_parse_webhooks(checker, table.get("webhooks"), base),
        morning=checker.get(digest, "morning", bool, digest_path, True),
        minutes_after_start=checker.get(digest, "minutes_after_start", int, digest_path, defaults.minutes_after_start,
                                        check=_not_negative),
        send_until_minutes=checker.get(digest, "send_until_minutes", int, digest_path, defaults.send_until_minutes,
                                       check=_positive),
        afternoon=checker.get(digest, "afternoon", bool, digest_path, False),
        weekly=checker.get(digest, "weekly", bool, digest_path, True),
        units=_parse_units(checker, digest.get("units")),
        alerts_to=tuple(a.strip() for a in to if isinstance(a, str)),
        offline_minutes=checker.get(alerts, "offline_minutes", int, alerts_path, defaults.offline_minutes, check=_positive),
        repeat_minutes=checker.get(alerts, "repeat_minutes", int, alerts_path, defaults.repeat_minutes, check=_positive),
        retry_attempts=checker.get(retry, "attempts", int, retry_path, defaults.retry_attempts, check=_positive),
        retry_first_delay_seconds=checker.get(retry, "first_delay_seconds", int, retry_path,
                                              defaults.retry_first_delay_seconds, check=_positive),
        days_before_deadline=checker.get(reminders, "days_before_deadline", int, reminders_path,
                                         defaults.days_before_deadline, check=_not_negative),
        reminder_minutes_after_start=checker.get(reminders, "minutes_after_start", int, reminders_path,
                                                 defaults.reminder_minutes_after_start, check=_not_negative),
    )


def _parse_smtp(checker: Checker, raw: Any, base: Path) -> SmtpSettings:
    path: KeyPath = ("notify", "smtp")
    table = checker.table(raw, path)
    checker.known_keys(table, SMTP_KEYS, path)
    if not table:
        return SmtpSettings()
    security = checker.get(table, "security", str, path, "starttls", choices=SECURITY)
    password_env = checker.get(table, "password_env", str, path)
    password_file = _path(checker, table, "password_file", path, base)
    username = checker.get(table, "username", str, path)
    if password_env and password_file:
        checker.problem(path + ("password_file",), "give either password_env or password_file, not both")
    if username and not (password_env or password_file):
        checker.problem(path + ("username",), "needs password_env (an environment variable) or password_file; "
                                               "the password is never written in the config")
    sender = checker.get(table, "sender", str, path, required=True) or ""
    if sender and "@" not in sender:
        checker.problem(path + ("sender",), f"{sender!r} has no e-mail address (write \"Chấm công <chamcong@donvi.gov.vn>\")")
    return SmtpSettings(
        host=checker.get(table, "host", str, path, required=True) or "",
        port=checker.get(table, "port", int, path, 465 if security == "ssl" else 587,
                         check=lambda v: None if 0 < v < 65536 else f"{v} is not a TCP port (1-65535)"),
        security=security,
        username=username,
        password_env=password_env,
        password_file=password_file,
        sender=sender,
        ca_file=_path(checker, table, "ca_file", path, base),
        timeout=float(checker.get(table, "timeout", float, path, 30.0, check=_positive)),
    )


def _parse_units(checker: Checker, raw: Any) -> dict[str, UnitDigest]:
    table = checker.table(raw, ("notify", "digest", "units"))
    units: dict[str, UnitDigest] = {}
    for code, entry in table.items():
        path: KeyPath = ("notify", "digest", "units", code)
        unit = checker.table(entry, path)
        checker.known_keys(unit, UNIT_KEYS, path)
        units[code] = UnitDigest(
            minutes_after_start=checker.get(unit, "minutes_after_start", int, path, check=_not_negative),
            morning=checker.get(unit, "morning", bool, path),
            afternoon=checker.get(unit, "afternoon", bool, path),
        )
    return units


def _parse_webhooks(checker: Checker, raw: Any, base: Path) -> tuple[WebhookSettings, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        checker.problem(("notify", "webhooks"), "must be an array of tables: write each as [[notify.webhooks]]")
        return ()
    hooks: list[WebhookSettings] = []
    for index, entry in enumerate(raw):
        path: KeyPath = ("notify", "webhooks", index)
        table = checker.table(entry, path)
        checker.known_keys(table, WEBHOOK_KEYS, path)
        url = checker.get(table, "url", str, path, required=True) or ""
        if url and not url.startswith(("https://", "http://")):
            checker.problem(path + ("url",), f"{url!r} must start with https:// (or http:// on the office network)")
        secret_env = checker.get(table, "secret_env", str, path)
        secret_file = _path(checker, table, "secret_file", path, base)
        if bool(secret_env) == bool(secret_file):
            checker.problem(path, "give secret_env or secret_file (the key that signs each request), one of the two")
        kinds = checker.get(table, "kinds", list, path, ["alert"])
        for position, kind in enumerate(kinds):
            if kind not in KINDS:
                checker.problem(path + ("kinds", position), f"{kind!r} is not one of {', '.join(KINDS)}")
        hooks.append(WebhookSettings(
            id=checker.get(table, "id", str, path, f"webhook-{index}") or f"webhook-{index}",
            url=url,
            kinds=tuple(k for k in kinds if k in KINDS),
            secret_env=secret_env,
            secret_file=secret_file,
            timeout=float(checker.get(table, "timeout", float, path, 10.0, check=_positive)),
        ))
    return tuple(hooks)
