"""What is due at a moment, and sending it: the job the collector's scheduler runs
every minute (``notify``), and ``monitor notify run-due``.

Each run looks at *today* only and asks the log what is already claimed, so it does
not matter when or how often it runs: a digest is due from its unit's time until
``send_until_minutes`` later and is claimed once; a run after that window records it
``skipped`` (the collector was not running), so the log says why nobody got it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from monitor.config import Config
from monitor.engine.clock import in_zone
from monitor.service.notify.alerts import settle
from monitor.service.notify.compose import (
    build_alert,
    build_digest,
    build_reminder,
    build_test,
    build_weekly,
    page_link,
    previous_week,
)
from monitor.service.notify.contracts import AlertContext, Reminder, ReminderContext
from monitor.service.notify.digest import VARIANTS, UnitCalendar
from monitor.service.notify.outbox import Outbox, Recipient, SendReport
from monitor.service.notify.sources import ALERT_CHECKS, REMINDERS
from monitor.service.keys import open_store
from monitor.store import Store

log = logging.getLogger("monitor.service.notify")
DIGEST_KINDS = {"morning": "digest", "afternoon": "digest_afternoon"}


@dataclass
class TickReport:
    """What one run queued and what the outbox did."""

    digests: int = 0
    weekly: int = 0
    missed: int = 0
    alerts: int = 0
    reminders: int = 0
    sent: SendReport = field(default_factory=SendReport)


def user_recipient(contact: dict[str, Any], default_language: str) -> Recipient:
    return Recipient(
        key=f"user:{contact['username']}", name=contact.get("full_name") or contact["username"],
        address=contact.get("email"), language=contact.get("language") or default_language,
        opt_out=frozenset(contact.get("opt_out") or ()),
    )


class Notifier:
    """The notification jobs for one config; ``now`` is injected (tests, ``MONITOR_NOW``)."""

    def __init__(self, config: Config, *, now: Callable[[], datetime],
                 before_digests: Callable[[], Any] | None = None):
        self.config = config
        self.notify = config.notify
        self._now = now
        # the collector judges new punches first, so the digest counts who is in by now
        self.before_digests = before_digests

    def now(self) -> datetime:
        return in_zone(self._now(), self.config.site.zone)

    def store(self) -> Store:
        return open_store(self.config, now=self.now)  # with the site's key, as every writer

    @property
    def settings_link(self) -> str | None:
        return page_link(self.config, "/account/notifications")

    # --- the job ----------------------------------------------------------------------

    def tick(self) -> TickReport:
        """Queue everything due now, send it, tell IT about what needs it."""
        report = TickReport()
        if not self.notify.enabled:
            return report
        with self.store() as store:
            moment = self.now()
            outbox = Outbox(store, self.notify, now=self.now)
            calendar = UnitCalendar(store, self.config.policy, self.notify)
            contacts = store.user_contacts()
            self._digests(store, outbox, calendar, contacts, moment, report)
            self._reminders(store, outbox, calendar, contacts, moment, report)
            report.sent = outbox.send_due()
            self._alerts(store, outbox, contacts, moment, report)
            if report.alerts:
                later = outbox.send_due()
                for name in ("sent", "retry", "failed", "uncertain"):
                    setattr(report.sent, name, getattr(report.sent, name) + getattr(later, name))
                report.sent.errors += later.errors
        return report

    # --- digests ----------------------------------------------------------------------

    def heads(self, contacts: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        """(unit code, user contact) for every manager and each unit they head."""
        return [(unit, contact) for contact in contacts if contact["role"] == "manager" for unit in contact["units"]]

    def _digests(self, store: Store, outbox: Outbox, calendar: UnitCalendar, contacts: list[dict[str, Any]],
                 moment: datetime, report: TickReport) -> None:
        today = moment.date()
        until = timedelta(minutes=self.notify.send_until_minutes)
        due: list[tuple[str, str, dict[str, Any], str]] = []  # (variant, unit, contact, key)
        missed: list[tuple[str, str, dict[str, Any], str, datetime]] = []
        weekly: list[tuple[str, dict[str, Any], str]] = []
        week_first, week_last = previous_week(today)
        week = f"{today.isocalendar().year}-W{today.isocalendar().week:02d}"
        claimed = store.claimed_keys(f"weekly:{week}:")
        for variant in VARIANTS:
            claimed |= store.claimed_keys(f"digest:{variant}:{today.isoformat()}:")
        for unit, contact in self.heads(contacts):
            if unit not in calendar.units:
                continue
            recipient_key = f"user:{contact['username']}"
            for variant in VARIANTS:
                at = calendar.send_time(unit, today, variant, self.config.site.zone)
                key = f"digest:{variant}:{today.isoformat()}:{unit}:{recipient_key}"
                if at is None or at > moment or key in claimed:
                    continue
                if moment < at + until:
                    due.append((variant, unit, contact, key))
                else:
                    missed.append((variant, unit, contact, key, at))
            if self.notify.weekly and calendar.children.get(unit):
                key = f"weekly:{week}:{unit}:{recipient_key}"
                at = calendar.send_time(unit, today, "morning", self.config.site.zone, switched_off=True)
                first_working = next((week_first + timedelta(days=7 + n) for n in range(7)
                                      if calendar.is_working_day(unit, week_first + timedelta(days=7 + n))), None)
                if at is not None and first_working == today and at <= moment < at + until and key not in claimed:
                    weekly.append((unit, contact, key))
        if due and self.before_digests is not None:
            self.before_digests()
        digests: dict[tuple[str, str], Any] = {}
        memo: dict[str, Any] = {}
        with store.write():
            for variant, unit, contact, key in due:
                digest = digests.get((unit, variant))
                if digest is None:
                    digest = digests[(unit, variant)] = build_digest(store, self.config, calendar, unit, today, moment, variant,
                                                                      memo=memo)
                    outbox.queue_webhooks(key=f"digest:{variant}:{today.isoformat()}:{unit}", kind=DIGEST_KINDS[variant],
                                          subject=digest.subject("vi"), body=digest.webhook_body(self.config.site.name))
                recipient = user_recipient(contact, self.notify.language)
                message = digest.render(recipient.language, self.settings_link)
                if outbox.queue_email(key=key, kind=DIGEST_KINDS[variant], recipient=recipient, message=message) is not None:
                    report.digests += 1
            for variant, unit, contact, key, at in missed:
                store.claim_notification(
                    key=key, kind=DIGEST_KINDS[variant], channel="email", recipient=f"user:{contact['username']}",
                    address=contact.get("email"), subject=f"{variant} digest {unit} {today.isoformat()}", payload=None,
                    status="skipped", error=f"not sent: nothing ran the notifications between {at:%H:%M} and "
                                            f"{at + until:%H:%M} (is 'monitor run' running?)",
                )
                report.missed += 1
            for unit, contact, key in weekly:
                recipient = user_recipient(contact, self.notify.language)
                message = build_weekly(store, self.config, calendar, unit, week_first, week_last, recipient.language,
                                       self.settings_link)
                if outbox.queue_email(key=key, kind="weekly", recipient=recipient, message=message) is not None:
                    report.weekly += 1

    # --- reminders --------------------------------------------------------------------

    def resolve(self, store: Store, reminder: Reminder, contacts: list[dict[str, Any]]) -> list[Recipient]:
        """The people a reminder's :class:`RecipientRef` names."""
        target = reminder.to
        if target.kind == "user":
            return [user_recipient(c, self.notify.language) for c in contacts if c["username"] == target.name]
        if target.kind == "role":
            return [user_recipient(c, self.notify.language) for c in contacts if c["role"] == target.name]
        if target.kind == "employee":
            person = store.employee(target.name)
            return [Recipient(key=f"employee:{person['code']}", name=person["full_name"], address=person.get("email"),
                              language=self.notify.language)]
        raise ValueError(f"unknown recipient kind {target.kind!r} in reminder {reminder.key}")

    def _reminders(self, store: Store, outbox: Outbox, calendar: UnitCalendar, contacts: list[dict[str, Any]],
                   moment: datetime, report: TickReport) -> None:
        providers = list(REMINDERS.filled())
        if not providers:
            return
        context = ReminderContext(store=store, policy=self.config.policy, notify=self.notify, day=moment.date(), moment=moment,
                                  config=self.config, calendar=calendar)
        for name, provide in providers:
            for reminder in provide(context):
                for recipient in self.resolve(store, reminder, contacts):
                    key = f"reminder:{name}:{reminder.key}:{recipient.key}"
                    if store.notification_claimed(key):
                        continue
                    message = build_reminder(reminder, recipient.language, self.settings_link)
                    with store.write():
                        if outbox.queue_email(key=key, kind="reminder", recipient=recipient, message=message) is not None:
                            report.reminders += 1

    # --- alerts -----------------------------------------------------------------------

    def it_recipients(self, contacts: list[dict[str, Any]]) -> list[Recipient]:
        """``[notify.alerts] to``, else every admin (with their address and opt-outs)."""
        if self.notify.alerts_to:
            return [Recipient(key=f"address:{a}", name=None, address=a, language=self.notify.language)
                    for a in self.notify.alerts_to]
        return [user_recipient(c, self.notify.language) for c in contacts if c["role"] == "admin"]

    def _alerts(self, store: Store, outbox: Outbox, contacts: list[dict[str, Any]], moment: datetime,
                report: TickReport) -> None:
        context = AlertContext(store=store, notify=self.notify, devices=self.config.devices, moment=moment,
                               config=self.config)
        found = {name: list(check(context)) for name, check in ALERT_CHECKS.filled()}
        stamp = moment.isoformat(timespec="seconds")
        with store.write():
            outcome = settle(store, found, moment, self.notify.repeat_minutes)
            if not outcome:
                return
            for recipient in self.it_recipients(contacts):
                message = build_alert(self.config, outcome, recipient.language, self.settings_link)
                if outbox.queue_email(key=f"alert:{stamp}:{recipient.key}", kind="alert", recipient=recipient,
                                      message=message) is not None:
                    report.alerts += 1
            summary = build_alert(self.config, outcome, self.notify.language, None)
            outbox.queue_webhooks(key=f"alert:{stamp}", kind="alert", subject=summary.subject,
                                  body={"site": self.config.site.name, "text": summary.text,
                                        "problems": len(outcome.new) + len(outcome.repeated),
                                        "recovered": len(outcome.recovered), "link": page_link(self.config, "/devices")})

    # --- one-off commands -------------------------------------------------------------

    def send_test(self, address: str, *, language: str | None = None) -> tuple[str, str | None]:
        """Send a test message to ``address`` now; (status, error) as recorded."""
        with self.store() as store:
            moment = self.now()
            outbox = Outbox(store, self.notify, now=self.now)
            lang = language or self.notify.language
            recipient = Recipient(key=f"address:{address}", name=None, address=address, language=lang)
            key = f"test:{moment.isoformat(timespec='seconds')}:{address}"
            with store.write():
                claimed = outbox.queue_email(key=key, kind="test", recipient=recipient, message=build_test(self.config, moment, lang))
            if claimed is None:
                return "skipped", "a test to this address was sent this very second"
            outbox.send_due(only=claimed)
            row = store.notification(key)
            return row["status"], row["error"]

    def preview(self, unit_code: str, day: date, variant: str = "morning", *, language: str | None = None):
        """The digest of ``unit_code`` on ``day`` as it would be sent (at its unit's time
        on that day), or the reason there is none; nothing is recorded."""
        with self.store() as store:
            calendar = UnitCalendar(store, self.config.policy, self.notify)
            store.unit(unit_code)
            verdict = calendar.day(unit_code, day)
            lang = language or self.notify.language
            if verdict.kind != "required":
                return None, f"no digest for {unit_code} on {day.isoformat()}: {verdict.kind}" + (
                    f" ({verdict.name})" if verdict.name else "")
            at = calendar.send_time(unit_code, day, variant, self.config.site.zone, switched_off=True)
            if at is None:
                return None, f"no {variant} session for {unit_code} on {day.isoformat()}"
            digest = build_digest(store, self.config, calendar, unit_code, day, at, variant)
            return digest.render(lang, self.settings_link), f"{variant} digest, sent at {at:%H:%M}"
