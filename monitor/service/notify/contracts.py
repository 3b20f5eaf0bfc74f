"""The values that pass between the notification jobs and their sources (see
:mod:`.sources`): what a source is given, and what it returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from monitor.config import Config, DeviceConfig, NotifyConfig
from monitor.engine.policy import OfficePolicy
from monitor.store import Store

Pair = tuple[str, str]  # (Vietnamese, English)


class OfficeHours(Protocol):
    """Whether a unit's office is open at a moment (the digest's ``UnitCalendar`` is one)."""

    def office_open(self, unit_code: str | None, local: datetime) -> bool: ...


@dataclass(frozen=True)
class DigestContext:
    """What a digest section is given: one unit, one day, one moment."""

    store: Store
    policy: OfficePolicy
    notify: NotifyConfig
    devices: tuple[DeviceConfig, ...]
    unit: Mapping[str, Any]  # the units row
    unit_codes: tuple[str, ...]  # the unit and every unit below it
    unit_chain: tuple[str, ...]  # the unit and every unit above it
    day: date
    moment: datetime
    variant: str  # morning or afternoon
    rows: tuple[Mapping[str, Any], ...]  # day_report rows of the unit on the day
    previous_day: date | None  # the unit's previous working day
    head: str | None = None  # the username of the head it is for (None: a preview of the unit)
    # shared by every digest of one run: a section computes an organisation-wide figure
    # once (the month-to-date counts) instead of once per unit
    memo: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    """A digest section's content; ``name`` picks its templates (``sections/<name>.*``)."""

    name: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Condition:
    """Something IT should hear about while it lasts.

    ``key`` identifies it across runs (``device_offline:gate``); ``since`` is when it
    began when the source knows (else when it was first seen); ``delay_minutes`` how long
    it must last before anyone is told; ``recovers``: whether a "back to normal" message
    follows (an event such as a failed delivery does not recover, it is told once)."""

    key: str
    summary: Pair
    since: datetime | None = None
    delay_minutes: int = 0
    recovers: bool = True


@dataclass(frozen=True)
class AlertContext:
    store: Store
    notify: NotifyConfig
    devices: tuple[DeviceConfig, ...]
    moment: datetime
    # the whole config, for checks that read beyond [notify] (the spool folder)
    config: Config | None = None


@dataclass(frozen=True)
class RecipientRef:
    """Whom a reminder is for: ``("user", username)``, ``("employee", code)`` or
    ``("role", "hr")`` (every active user of the role with an address)."""

    kind: str
    name: str


@dataclass(frozen=True)
class Reminder:
    """One reminder; ``key`` must name the occasion uniquely (it is recorded, and an
    occasion is reminded once): ``explain:NV001:2026-11-25:2d``."""

    key: str
    to: RecipientRef
    title: Pair
    lines: tuple[Pair, ...] = ()
    link: str | None = None


@dataclass(frozen=True)
class ReminderContext:
    store: Store
    policy: OfficePolicy
    notify: NotifyConfig
    day: date
    moment: datetime
    # the whole config, for reminders that read beyond [notify] (the [requests] deadline)
    config: Config | None = None
    # each unit's working days and office hours: reminders go out on working days, in hours
    calendar: OfficeHours | None = None
