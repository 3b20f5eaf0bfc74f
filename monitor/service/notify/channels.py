"""The ways out: SMTP (STARTTLS, SSL or plain on a trusted relay) and a signed JSON webhook.

Why a webhook and not a notification library such as apprise: the offices that have a
Zalo Official Account or an SMS gateway reach it through their own small bridge anyway
(ZNS needs approved templates and a paid quota, SMS brandnames a contract), so one
documented, signed request is all the monitor needs to send; it is fifty lines of the
standard library, easy to verify on the receiving side, and adds no dependency whose
many service plugins we would have to keep up with. A bridge built on apprise can
receive it (see ``docs/notifications.md``).

Errors become :class:`DeliveryError` with a message that names the server and the
reason; ``permanent`` tells the outbox whether a retry can help. The password is never
part of a message or a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from email.message import Message as MailMessage
from typing import Any

from monitor.config.notify import SmtpSettings, WebhookSettings
from monitor.errors import ConfigError, DeliveryError

SIGNATURE_HEADER = "X-Monitor-Signature"
TIMESTAMP_HEADER = "X-Monitor-Timestamp"


class PermanentDeliveryError(DeliveryError):
    """The server refused for good (an unknown mailbox, a rejected sender): no retry."""


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    return context


class SmtpChannel:
    """One SMTP connection, opened on the first message and reused for the next ones
    (a morning's digests go out in one session); closed by :meth:`close`."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._client: smtplib.SMTP | None = None
        # once the server cannot be reached, the rest of this session's messages fail
        # at once instead of each waiting for its own timeout
        self.unreachable: str | None = None

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port} ({self.settings.security.upper()})"

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        if not settings.host:
            raise DeliveryError("e-mail is not set up: add [notify.smtp] host and sender to the config")
        try:
            password = settings.password()
        except ConfigError as exc:
            raise PermanentDeliveryError(str(exc)) from None
        try:
            if settings.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.host, settings.port, timeout=settings.timeout, context=_tls_context(settings))
            else:
                client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            try:
                client.ehlo()
                if settings.security == "starttls":
                    if not client.has_extn("starttls"):
                        raise PermanentDeliveryError(
                            f"{self.where} does not offer STARTTLS; set [notify.smtp] security = \"ssl\" (port 465)"
                            " or ask the mail administrator for TLS")
                    client.starttls(context=_tls_context(settings))
                    client.ehlo()
                if settings.username:
                    if not client.has_extn("auth"):
                        raise PermanentDeliveryError(
                            f"{self.where} offers no login (AUTH) on this connection; check [notify.smtp] security,"
                            " or remove username for a relay that needs none")
                    client.login(settings.username, password or "")
            except BaseException:
                client.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentDeliveryError(
                f"{self.where} refused the login of {settings.username!r}: {exc.smtp_code} {_text(exc.smtp_error)}"
                " (check [notify.smtp] username and the password's variable or file)") from None
        except UnicodeEncodeError:
            # smtplib sends the login in ASCII only (AUTH PLAIN and LOGIN)
            raise PermanentDeliveryError(
                "the SMTP user name or password has non-ASCII characters (such as Vietnamese letters), which the"
                " mail login cannot carry; use an ASCII password") from None
        except ssl.SSLError as exc:
            raise DeliveryError(f"{self.where}: TLS failed: {exc.reason or exc} (for an internal CA set [notify.smtp] ca_file)") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"cannot reach the mail server {self.where}: {_reason(exc)}") from None
        return client

    def send(self, mail: MailMessage) -> None:
        """Hand one message to the server. A reused session is checked first (NOOP), so
        a message is never handed over twice in one call: a failure mid-way is left to
        the outbox's retry, which sends the same Message-ID."""
        if self._client is not None and not self._alive():
            self.close()
        if self.unreachable:
            raise DeliveryError(self.unreachable)
        if self._client is None:
            try:
                self._client = self._connect()
            except PermanentDeliveryError:
                raise
            except DeliveryError as exc:
                self.unreachable = str(exc)
                raise
        try:
            self._client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = "; ".join(f"{who}: {code} {_text(text)}" for who, (code, text) in exc.recipients.items())
            raise PermanentDeliveryError(f"{self.where} refused the recipient ({codes})") from None
        except smtplib.SMTPSenderRefused as exc:
            raise PermanentDeliveryError(f"{self.where} refused the sender {exc.sender}: {exc.smtp_code} {_text(exc.smtp_error)}") from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            error = f"{self.where} answered {exc.smtp_code} {_text(exc.smtp_error)}"
            if 500 <= exc.smtp_code < 600:
                raise PermanentDeliveryError(error) from None
            raise DeliveryError(error) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise DeliveryError(f"sending through {self.where} failed: {_reason(exc)}") from None

    def _alive(self) -> bool:
        try:
            return self._client is not None and self._client.noop()[0] == 250
        except (OSError, smtplib.SMTPException):
            return False

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()

    def __enter__(self) -> SmtpChannel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return "no answer (timed out)"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``timestamp + "." + body``: the receiver
    recomputes it and refuses requests whose timestamp is old (replays)."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def post_webhook(hook: WebhookSettings, event: str, key: str, body: dict[str, Any], timestamp: int) -> int:
    """POST the JSON ``body``, signed; returns the HTTP status (2xx) or raises."""
    try:
        secret = hook.secret()
    except ConfigError as exc:
        raise PermanentDeliveryError(str(exc)) from None
    data = json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
    stamp = str(timestamp)
    request = urllib.request.Request(
        hook.url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "attendance-monitor",
            "X-Monitor-Event": event,
            "X-Monitor-Delivery": key,  # the same on every retry: receivers drop repeats
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: signature(secret, stamp, data),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=hook.timeout) as response:  # noqa: S310 - the URL is the admin's
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        error = f"webhook {hook.id} ({hook.url}) answered {exc.code} {exc.reason}"
        if 400 <= exc.code < 500 and exc.code not in (408, 429):
            raise PermanentDeliveryError(error) from None
        raise DeliveryError(error) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise DeliveryError(f"webhook {hook.id} ({hook.url}) cannot be reached: {_reason(reason) if isinstance(reason, BaseException) else reason}") from None
