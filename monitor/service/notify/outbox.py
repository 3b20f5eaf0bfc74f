"""Every notification is recorded before it is sent, sent from the record, and retried.

The order makes a restart at any moment safe (see :mod:`monitor.store.notify`):

1. compose, then *claim* the notification's unique key (``queued``) — a key already
   claimed is never composed or sent again;
2. mark it ``sending`` (a compare-and-set: two processes never both take it);
3. hand it to the server; 4. mark it ``sent``, or ``retry`` with back-off, or ``failed``.

A stop between 1 and 2 leaves it ``queued``: the next run sends it. A stop during 3
leaves it ``sending``; after :data:`STALE_SENDING` it becomes ``uncertain`` and is not
sent again (it may have arrived; a duplicate digest is worse than telling IT, which the
``delivery_failed`` alert does). Retries carry the same Message-ID.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.config import NotifyConfig
from monitor.errors import DeliveryError
from monitor.service.notify.channels import PermanentDeliveryError, SmtpChannel, post_webhook
from monitor.service.notify.render import Message, email_message
from monitor.store import Store

log = logging.getLogger("monitor.service.notify")
STALE_SENDING = timedelta(minutes=10)


@dataclass(frozen=True)
class Recipient:
    """A person or mailbox: ``key`` is ``user:<name>``, ``employee:<code>`` or ``address:<mail>``."""

    key: str
    name: str | None
    address: str | None
    language: str
    opt_out: frozenset[str] = frozenset()


@dataclass
class SendReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    uncertain: int = 0
    errors: list[str] = field(default_factory=list)


class Outbox:
    """Records and sends notifications for one store and one config."""

    def __init__(self, store: Store, notify: NotifyConfig, *, now: Callable[[], datetime]):
        self.store = store
        self.notify = notify
        self.now = now

    # --- recording --------------------------------------------------------------------

    def queue_email(self, *, key: str, kind: str, recipient: Recipient, message: Message) -> int | None:
        """Claim ``key`` for an e-mail to ``recipient``; recorded as ``skipped`` when they
        have no address or opted out of ``kind``. ``None`` when the key was taken."""
        common = {"key": key, "kind": kind, "channel": "email", "recipient": recipient.key,
                  "address": recipient.address, "subject": message.subject}
        if kind in recipient.opt_out:
            return self.store.claim_notification(**common, payload=None, status="skipped", error="opted out of this kind")
        if not recipient.address:
            return self.store.claim_notification(**common, payload=None, status="skipped",
                                                 error="no e-mail address (monitor users set NAME --email ADDRESS)")
        payload = {"to": recipient.address, "name": recipient.name, "subject": message.subject,
                   "text": message.text, "html": message.html}
        return self.store.claim_notification(**common, payload=payload)

    def queue_webhooks(self, *, key: str, kind: str, subject: str, body: dict[str, Any]) -> list[int]:
        """Claim one delivery per configured webhook that takes ``kind``."""
        claimed = []
        for hook in self.notify.webhooks:
            if kind not in hook.kinds:
                continue
            found = self.store.claim_notification(
                key=f"{key}:webhook:{hook.id}", kind=kind, channel=f"webhook:{hook.id}", recipient=f"webhook:{hook.id}",
                address=hook.url, subject=subject, payload={"event": kind, "key": key, **body},
            )
            if found is not None:
                claimed.append(found)
        return claimed

    # --- sending ----------------------------------------------------------------------

    def send_due(self, *, only: int | None = None) -> SendReport:
        """Send what is queued and the retries whose time has come (or only the
        notification ``only``); mark long-interrupted sends ``uncertain``."""
        report = SendReport()
        now = self.now()
        for row in self.store.stale_sending((now - STALE_SENDING).isoformat(timespec="seconds")):
            self.store.finish_notification(row["id"], "uncertain", error="sending was cut off (the process stopped); not re-sent")
            report.uncertain += 1
        due = self.store.due_notifications(now.isoformat(timespec="seconds"))
        if only is not None:
            due = [row for row in due if row["id"] == only]
        if not due:
            return report
        with SmtpChannel(self.notify.smtp) as smtp:
            for row in due:
                if not self.store.start_sending(row["id"]):
                    continue  # another process took it
                self._attempt(row, smtp, report)
        return report

    def _attempt(self, row: dict[str, Any], smtp: SmtpChannel, report: SendReport) -> None:
        attempts = row["attempts"] + 1
        try:
            payload = self.store.notification_payload(row["id"])
            if row["channel"] == "email":
                mail = email_message(
                    Message(payload["subject"], payload["text"], payload["html"]),
                    sender=self.notify.smtp.sender, to=payload["to"], name=payload.get("name"), key=row["key"],
                    date_header=self.now(),
                )
                smtp.send(mail)
            else:
                hook_id = row["channel"].split(":", 1)[1]
                hook = next((h for h in self.notify.webhooks if h.id == hook_id), None)
                if hook is None:
                    raise PermanentDeliveryError(f"webhook {hook_id} is no longer in the config")
                post_webhook(hook, payload["event"], payload["key"], payload, int(self.now().timestamp()))
        except PermanentDeliveryError as exc:
            self.store.finish_notification(row["id"], "failed", error=str(exc))
            report.failed += 1
            report.errors.append(str(exc))
            log.warning("notification %s failed for good: %s", row["key"], exc)
        except DeliveryError as exc:
            report.errors.append(str(exc))
            if attempts >= self.notify.retry_attempts:
                self.store.finish_notification(row["id"], "failed", error=str(exc))
                report.failed += 1
                log.warning("notification %s failed after %d attempts: %s", row["key"], attempts, exc)
                return
            delay = timedelta(seconds=self.notify.retry_first_delay_seconds * 2 ** (attempts - 1))
            retry_at = (self.now() + delay).isoformat(timespec="seconds")
            self.store.finish_notification(row["id"], "retry", error=str(exc), next_attempt_at=retry_at)
            report.retry += 1
            log.info("notification %s: %s; tried again at %s", row["key"], exc, retry_at)
        else:
            self.store.finish_notification(row["id"], "sent")
            report.sent += 1
