"""Push clocks as an administrator handles them: accept or reject a clock that called
in, and ask a clock to set its time, describe itself, reboot or post a period again.

Both the CLI (``monitor devices accept|reject|backfill|ask``) and the devices page call
these functions; the receiver carries the commands out on the clock's next heartbeat.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from drivers.adms import Command, CommandResult, UnsafeCommand, query_attlog, set_time
from monitor.config import PushConfig, PushDeviceSettings
from monitor.config.core import ID_PATTERN
from monitor.errors import MonitorError, NotFound
from monitor.service.push_ingest import UploadReport, parse_attlog_for, store_attlog, store_operlog
from monitor.store import Store

SYNC_TIME = "sync-time"  # the same request the web queues for pulled clocks
# what an administrator may ask of a push clock, and the queued text of each
PUSH_REQUESTS = {"sync-time": SYNC_TIME, "info": "INFO", "reboot": "REBOOT"}
MAX_BACKFILL_DAYS = 366
_COMM_KEY_CHARS = 64


class BadRequest(MonitorError):
    """A request to a push clock that cannot be sent (bad period, bad id, bad key)."""


@dataclass
class Acceptance:
    """What accepting a clock did with what it had sent while waiting."""

    sn: str
    device_id: str
    held_uploads: int
    stored: UploadReport


def accept(store: Store, push: PushConfig, sn: str, device_id: str, unit: str, *, comm_key: str | None,
           actor: str, today: date, reason: str | None = None) -> Acceptance:
    """Accept a waiting (or once rejected) clock as ``device_id`` in ``unit``, then store
    what it sent while waiting, through the same append as live uploads."""
    if not ID_PATTERN.match(device_id):
        raise BadRequest(f"{device_id!r} is not a valid device id (letters, digits, '-', '_', '.'; at most 64)")
    if comm_key is not None and not (0 < len(comm_key) <= _COMM_KEY_CHARS and comm_key.isascii()
                                     and comm_key.isprintable() and " " not in comm_key):
        raise BadRequest(f"the comm key must be 1-{_COMM_KEY_CHARS} printable ASCII characters without spaces")
    store.accept_push_device(sn, device_id, unit, comm_key=comm_key, actor=actor, reason=reason)
    held = len(store.held_push_uploads(sn))
    return Acceptance(sn, device_id, held, store_held_uploads(store, sn, device_id, push.settings(device_id), today=today))


def store_held_uploads(store: Store, sn: str, device_id: str, settings: PushDeviceSettings, *, today: date) -> UploadReport:
    """Store, oldest first, what an accepted clock sent while it waited; each held
    upload is deleted once stored, so an interrupted run simply goes on next time."""
    total = UploadReport()
    for held in store.held_push_uploads(sn):
        if held["table_name"] == "ATTLOG":
            # a clock's offset while it waited is unknown: its punches are stored as recorded
            total.merge(store_attlog(store, sn, device_id, parse_attlog_for(held["body"], settings, today)))
        elif held["table_name"] == "OPERLOG":
            total.merge(store_operlog(store, sn, device_id, held["body"], today=today))
        if held["stamp"]:
            store.set_push_stamp(sn, held["table_name"], held["stamp"])
        store.drop_held_push_upload(held["id"])
    return total


def reject(store: Store, sn: str, *, reason: str, actor: str) -> int:
    """Refuse a clock; what it sent while waiting is discarded. Returns the uploads discarded."""
    if not reason.strip():
        raise BadRequest("say why the clock is rejected (--reason), for the audit trail")
    return store.reject_push_device(sn, actor=actor, reason=reason.strip())


def _accepted(store: Store, device_id: str) -> dict:
    row = store.push_device_for(device_id)
    if row is None:
        raise NotFound(f"no accepted push clock {device_id!r} (see 'monitor devices push-list')")
    return row


def ask(store: Store, device_id: str, request: str, *, actor: str) -> int:
    """Queue ``sync-time``, ``info`` or ``reboot`` for a push clock; returns the command id."""
    if request not in PUSH_REQUESTS:
        raise BadRequest(f"{request!r} is not a request for a push clock (one of {', '.join(PUSH_REQUESTS)})")
    _accepted(store, device_id)
    return store.queue_device_command(device_id, PUSH_REQUESTS[request], requested_by=actor)


def ask_if_push_clock(store: Store, device_id: str, request: str, *, actor: str) -> int | None:
    """:func:`ask` when ``device_id`` is an accepted push clock; ``None`` otherwise."""
    if store.push_device_for(device_id) is None:
        return None
    return ask(store, device_id, request, actor=actor)


def backfill(store: Store, device_id: str, first: date, last: date, *, actor: str) -> int:
    """Queue ``DATA QUERY ATTLOG`` for the days ``first``..``last``: the clock posts
    those punches again (the store keeps each once). Returns the command id."""
    if last < first:
        raise BadRequest(f"--to {last} is before --from {first}")
    if (last - first).days >= MAX_BACKFILL_DAYS:
        raise BadRequest(f"ask for at most {MAX_BACKFILL_DAYS} days at a time (a clock answers a query in one go)")
    _accepted(store, device_id)
    command = query_attlog(datetime.combine(first, time()), datetime.combine(last, time(23, 59, 59)))
    return store.queue_device_command(device_id, command.text, requested_by=actor)


# --- on the wire ------------------------------------------------------------------------


def wire_command(text: str, settings: PushDeviceSettings, local_now: datetime) -> Command:
    """The command to send for a queued text: ``sync-time`` becomes ``SET OPTION
    DateTime=`` with the server's second at the moment of sending; anything else must
    pass the driver's whitelist again (:class:`UnsafeCommand` otherwise), so a row
    written into the queue by hand can never reach a clock as ``SHELL``."""
    if text == SYNC_TIME:
        moment = (local_now + timedelta(milliseconds=500)).replace(microsecond=0, tzinfo=None)
        return set_time(moment, style=settings.set_time_style)
    return Command(text)


def result_text(result: CommandResult) -> str:
    """What the devices page shows for a command's result."""
    if not result.ok:
        return f"failed: return {result.return_code} ({result.meaning})"
    if result.details:
        shown = ", ".join(f"{key}={value}" for key, value in list(result.details.items())[:8])
        return f"done: {shown}"
    return "done"


def record_results(store: Store, device_id: str, results: Iterable[CommandResult]) -> int:
    """Close the queued commands a clock reports on; a result for a command that is not
    this clock's (or not awaited) is ignored. A time set is audited under the name of
    whoever asked for it. Returns how many commands were closed."""
    closed = 0
    for result in results:
        command = store.sent_device_command(device_id, result.id)
        if command is None:
            continue
        text = result_text(result)
        with store.write():
            store.finish_device_command(command["id"], text)
            if command["command"] == SYNC_TIME and result.ok:
                store.audit(command["requested_by"], "sync-time", "device", device_id,
                            {"offset_seconds": (store.device_row(device_id) or {}).get("clock_offset_seconds")},
                            {"set_to": "server time"}, "set on the clock's heartbeat (SET OPTION DateTime)")
        if result.ok and result.cmd == "INFO" and result.details:
            details = {key.lstrip("~"): value for key, value in result.details.items()}
            store.ensure_device(device_id, model=details.get("DeviceName"), firmware=details.get("FWVersion"))
        closed += 1
    return closed


def unsent_result(error: UnsafeCommand) -> str:
    """The result recorded for a queued text the whitelist refused (never sent)."""
    return f"failed: not sent ({error.message})"

