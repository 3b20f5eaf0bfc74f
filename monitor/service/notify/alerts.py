"""Conditions IT must hear about, and the state that rate-limits them.

A check reports the conditions that hold *now* (:class:`Condition`); :func:`settle`
compares them with what was seen before (``alert_states``) and decides what to tell:
a condition is told once it has lasted its delay, told again at most every
``[notify.alerts] repeat_minutes`` while it lasts, and followed by one "back to normal"
when it is gone. Conditions never told (gone before their delay) end silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.service.notify.contracts import AlertContext, Condition
from monitor.service.notify.words import minutes_text
from monitor.store import Store

FAILED_WINDOW = timedelta(days=7)  # failed deliveries older than this are not told any more


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def device_offline(ctx: AlertContext) -> Iterable[Condition]:
    """A configured, enabled device the collector cannot reach. It counts from the last
    successful download when there was one (else from when it was first seen offline)."""
    rows = {row["id"]: row for row in ctx.store.device_rows()}
    for device in ctx.devices:
        row = rows.get(device.id)
        if not device.enabled or row is None or row["status"] not in ("offline", "error"):
            continue
        name = device.settings.name or device.id
        reason = row["status_reason"] or row["status"]
        yield Condition(
            key=f"device_offline:{device.id}",
            summary=(f"{name} ({device.id}) mất kết nối: {reason}", f"{name} ({device.id}) is offline: {reason}"),
            since=_moment(row["last_pull_at"]),
            delay_minutes=ctx.notify.offline_minutes,
        )


def clock_skew(ctx: AlertContext) -> Iterable[Condition]:
    """A device clock further off the host than its ``max_clock_offset_seconds``."""
    rows = {row["id"]: row for row in ctx.store.device_rows()}
    for device in ctx.devices:
        row = rows.get(device.id)
        offset = None if row is None else row["clock_offset_seconds"]
        if not device.enabled or not device.clock_suspect(offset):
            continue
        name = device.settings.name or device.id
        yield Condition(
            key=f"clock_skew:{device.id}",
            summary=(
                f"{name} ({device.id}) lệch giờ {minutes_text(offset, 'vi')} (giới hạn {device.max_clock_offset_seconds} giây);"
                f" chỉnh giờ: monitor devices sync-time {device.id}",
                f"{name} ({device.id}) clock off by {minutes_text(offset, 'en')} (limit {device.max_clock_offset_seconds} s);"
                f" set it: monitor devices sync-time {device.id}",
            ),
        )


def delivery_failed(ctx: AlertContext) -> Iterable[Condition]:
    """A message that failed after its retries, or whose sending was cut off (it may or
    may not have arrived): told once. Alerts themselves are left out, so a mail server
    that is down does not feed a loop; they stay in the log."""
    since = (ctx.moment - FAILED_WINDOW).isoformat(timespec="seconds")
    for status in ("failed", "uncertain"):
        for row in ctx.store.notification_log(status=status, since=since, limit=1000):
            if row["kind"] == "alert":
                continue
            where = row["address"] or row["channel"]
            if status == "failed":
                summary = (f"Không gửi được {row['kind']} tới {where} sau {row['attempts']} lần: {row['error']}",
                           f"Could not deliver {row['kind']} to {where} after {row['attempts']} attempts: {row['error']}")
            else:
                summary = (f"Việc gửi {row['kind']} tới {where} bị ngắt giữa chừng; có thể chưa tới (không gửi lại để tránh trùng)",
                           f"Sending {row['kind']} to {where} was cut off; it may not have arrived (not re-sent, to avoid a duplicate)")
            yield Condition(key=f"delivery_failed:{row['id']}", summary=summary, recovers=False)


@dataclass
class Outcome:
    """What to tell now: conditions newly told, told again, and gone."""

    new: list[Condition] = field(default_factory=list)
    repeated: list[Condition] = field(default_factory=list)
    recovered: list[tuple[str, str]] = field(default_factory=list)  # summaries as told

    def __bool__(self) -> bool:
        return bool(self.new or self.repeated or self.recovered)


def settle(store: Store, found: Mapping[str, Iterable[Condition]], moment: datetime, repeat_minutes: int) -> Outcome:
    """Update ``alert_states`` with the conditions ``found`` (check name → conditions)
    and return what to tell. Call inside the transaction that records the messages,
    so a restart can neither lose nor repeat them."""
    now_text = moment.isoformat(timespec="seconds")
    states = store.alert_states()
    outcome = Outcome()
    seen: set[str] = set()
    repeat = timedelta(minutes=repeat_minutes)
    for check_name, conditions in found.items():
        for condition in conditions:
            if condition.key in seen:
                continue
            seen.add(condition.key)
            state = states.get(condition.key)
            first_seen = state["first_seen"] if state else now_text
            since = condition.since or datetime.fromisoformat(first_seen)
            alerted = _moment(state["alerted_at"]) if state else None
            if moment - since >= timedelta(minutes=condition.delay_minutes):
                if alerted is None:
                    outcome.new.append(condition)
                    alerted = moment
                elif condition.recovers and moment - alerted >= repeat:
                    outcome.repeated.append(condition)
                    alerted = moment
            store.save_alert_state(
                condition.key, check_name, first_seen=first_seen, last_seen=now_text,
                alerted_at=alerted.isoformat(timespec="seconds") if alerted else None,
                summary=json.dumps({"summary": list(condition.summary), "recovers": condition.recovers}, ensure_ascii=False),
            )
    for key, state in states.items():
        if key in seen:
            continue
        told: dict[str, Any] = json.loads(state["summary"])
        if state["alerted_at"] and told["recovers"]:
            outcome.recovered.append(tuple(told["summary"]))  # type: ignore[arg-type]
        store.drop_alert_state(key)
    return outcome
