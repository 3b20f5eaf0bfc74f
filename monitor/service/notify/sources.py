"""Where the digest, the alerts and the reminders get their content: three registries
of named slots.

A slot is either *built in* (filled here, from what the monitor has today) or a *hook*:
declared with what it must return and the feature that will fill it, and left empty
until then. Jobs read every filled slot in declaration order and skip empty ones, so a
feature that lands later adds its part with one call, without touching the jobs::

    from monitor.service.notify.sources import DIGEST_SECTIONS
    DIGEST_SECTIONS.provide("requests_waiting", requests_waiting_for_head)

Hooks declared (see ``docs/notifications.md``), all filled by
:mod:`monitor.service.hooks`:

* digest section ``requests_waiting`` — requests waiting for this head (#9);
* reminders ``unexplained_violations`` (#9), ``pending_requests`` (#9),
  ``month_submittable`` (#10);
* alert checks ``spool_backlog`` (#12), ``failed_backups`` (#12), ``tamper_signals`` (#13).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from monitor.errors import Refused
from monitor.service.notify import alerts, digest
from monitor.service.notify.contracts import (
    AlertContext,
    Condition,
    DigestContext,
    Reminder,
    ReminderContext,
    Section,
)

T = TypeVar("T")


@dataclass
class Slot(Generic[T]):
    name: str
    description: str
    issue: str | None = None  # the feature a hook waits for
    provider: T | None = None


@dataclass
class Registry(Generic[T]):
    """Named slots in a fixed order; a provider fills one."""

    what: str
    slots: dict[str, Slot[T]] = field(default_factory=dict)

    def declare(self, name: str, description: str, *, issue: str | None = None, provider: T | None = None) -> None:
        if name in self.slots:
            raise Refused(f"{self.what} {name!r} is declared twice")
        self.slots[name] = Slot(name, description, issue, provider)

    def provide(self, name: str, provider: T | None) -> None:
        """Fill (or, with ``None``, empty) the slot ``name``."""
        if name not in self.slots:
            raise Refused(f"no {self.what} {name!r} (declared: {', '.join(self.slots)})")
        self.slots[name].provider = provider

    def filled(self) -> Iterator[tuple[str, T]]:
        for slot in self.slots.values():
            if slot.provider is not None:
                yield slot.name, slot.provider

    def hooks(self) -> list[Slot[T]]:
        """The declared slots nothing fills yet."""
        return [slot for slot in self.slots.values() if slot.provider is None]


DigestSource = Callable[[DigestContext], Section | None]
AlertCheck = Callable[[AlertContext], Iterable[Condition]]
ReminderSource = Callable[[ReminderContext], Iterable[Reminder]]

DIGEST_SECTIONS: Registry[DigestSource] = Registry("digest section")
ALERT_CHECKS: Registry[AlertCheck] = Registry("alert check")
REMINDERS: Registry[ReminderSource] = Registry("reminder")


def _declare_builtins() -> None:
    DIGEST_SECTIONS.declare("late", "the late list, with minutes and the month-to-date count", provider=digest.late_section)
    DIGEST_SECTIONS.declare("absences", "absences with their leave kind and reason", provider=digest.absences_section)
    DIGEST_SECTIONS.declare("not_in_yet", "required today, no punch yet", provider=digest.not_in_yet_section)
    DIGEST_SECTIONS.declare("previous_day", "the previous working day's early departures and missing punches",
                            provider=digest.previous_day_section)
    DIGEST_SECTIONS.declare(
        "requests_waiting",
        "requests waiting for this head: return Section('requests_waiting', {'items': [((vi, en), count), ...],"
        " 'link': url or None}), or None when nothing waits",
        issue="#9 requests",
    )
    DIGEST_SECTIONS.declare("devices", "offline devices and clock skew of the unit's clocks", provider=digest.devices_section)

    ALERT_CHECKS.declare("device_offline", "a configured device offline longer than [notify.alerts] offline_minutes",
                         provider=alerts.device_offline)
    ALERT_CHECKS.declare("clock_skew", "a device clock further off than its max_clock_offset_seconds",
                         provider=alerts.clock_skew)
    ALERT_CHECKS.declare("delivery_failed", "a notification that failed after its retries, or whose sending was cut off",
                         provider=alerts.delivery_failed)
    ALERT_CHECKS.declare("spool_backlog", "punches waiting in the live readers' spool: Condition per device", issue="#12 spool")
    ALERT_CHECKS.declare("failed_backups", "a backup that failed: Condition(recovers=True) until one succeeds",
                         issue="#12 backups")
    ALERT_CHECKS.declare("tamper_signals", "a push clock's tamper or door alarm: Condition(recovers=False) per event",
                         issue="#13 push clocks")

    REMINDERS.declare(
        "unexplained_violations",
        "to a person with an e-mail address whose violation has no explanation, [notify.reminders]"
        " days_before_deadline days before the filing deadline",
        issue="#9 requests",
    )
    REMINDERS.declare("pending_requests", "to managers with requests waiting for them", issue="#9 requests")
    REMINDERS.declare("month_submittable", "to HR when a month's requests are settled and it can be submitted",
                      issue="#10 month close")


_declare_builtins()
