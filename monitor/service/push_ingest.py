"""Storing what a push clock uploads: punches through the same store append as every
other driver, the operation log with its tamper signals, and the clock's offset.

Used by the receiver for accepted clocks, and by acceptance for what a clock sent
while it waited. Parsing is :mod:`drivers.adms`; here only what to keep and how.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from drivers.adms import AttlogBatch, LineError, parse_attlog, parse_operlog
from drivers.base import Punch
from monitor.config import PushDeviceSettings
from monitor.engine.clock import in_zone
from monitor.store import Store

# a punch stamped this many seconds after the server's clock proves the clock is ahead
AHEAD_TOLERANCE_SECONDS = 2
REFUSALS_SHOWN = 3


@dataclass
class UploadReport:
    """What one upload gave."""

    lines: int = 0
    new: int = 0
    existing: int = 0
    refused: list[LineError] = field(default_factory=list)
    unknown_users: set[str] = field(default_factory=set)
    operations: int = 0
    tamper: int = 0

    def merge(self, other: UploadReport) -> None:
        self.lines += other.lines
        self.new += other.new
        self.existing += other.existing
        self.refused += other.refused
        self.unknown_users |= other.unknown_users
        self.operations += other.operations
        self.tamper += other.tamper

    @property
    def refusal_summary(self) -> str:
        """The first refused lines, one clause each (excerpts only: a log never holds a whole bad line)."""
        shown = "; ".join(str(error) for error in self.refused[:REFUSALS_SHOWN])
        more = f"; {len(self.refused) - REFUSALS_SHOWN} more" if len(self.refused) > REFUSALS_SHOWN else ""
        return f"{len(self.refused)} line(s) refused: {shown}{more}"


def plausible_years(today: date) -> tuple[int, int]:
    """The years a punch may carry: a clock at its factory date stamps 2000 or so, and no
    office keeps a clock's log for more than a few years."""
    return today.year - 10, today.year + 1


def measure_push_offset(punches: Sequence[Punch], received: datetime, *, realtime: bool) -> float | None:
    """The clock's offset from the server (seconds, positive: ahead) as far as an
    upload shows it, or ``None`` when it shows nothing.

    A punch stamped after the moment it was received proves the clock is ahead. A
    clock behind shows only in a realtime upload (one punch, sent as it happened, by a
    clock that was in touch a moment before): in a batch, old punches are just old."""
    if not punches:
        return None
    newest = max(punch.timestamp for punch in punches)
    offset = round((newest - received.replace(microsecond=0)).total_seconds())
    if offset > AHEAD_TOLERANCE_SECONDS or (realtime and len(punches) == 1):
        return float(offset)
    return None


def parse_attlog_for(body: str | bytes, settings: PushDeviceSettings, today: date) -> AttlogBatch:
    """An ATTLOG body read with one clock's settings (State table, verify codes) and
    the years a punch may carry around ``today``."""
    return parse_attlog(body, states=settings.states, verify_modes=settings.verify_modes or None,
                        years=plausible_years(today))


def store_attlog(store: Store, sn: str, device_id: str, batch: AttlogBatch, *, clock_suspect: bool = False,
                 between_batches: Callable[[], None] | None = None) -> UploadReport:
    """Append the good punches of a parsed upload through the store's one append (identity,
    chain, unknown badges); refused lines are counted on the clock and reported.
    ``between_batches`` runs after each transaction of a long upload (the receiver
    lets short writes in there)."""
    report = UploadReport(lines=batch.lines, refused=list(batch.errors))
    if batch.punches:
        progress = None if between_batches is None else (lambda _count: between_batches())
        added = store.add_punches(device_id, batch.punches, source="device", clock_suspect=clock_suspect,
                                  progress=progress)
        report.new, report.existing = added.new, added.existing
        report.unknown_users = {user for _device, user in added.unknown_users}
    if report.refused:
        store.note_push_refusals(sn, len(report.refused), report.refusal_summary)
    return report


def store_operlog(store: Store, sn: str, device_id: str, body: str | bytes, *, today: date) -> UploadReport:
    """Store the OPLOG lines of an OPERLOG body (users and fingerprints are counted,
    not kept: enrollment is HR's decision); tamper codes go to the audit trail too."""
    batch = parse_operlog(body, years=plausible_years(today))
    operations = [
        {"done_at": in_zone(op.timestamp, store.zone).isoformat(), "code": op.code, "name": op.name, "admin": op.admin,
         "objects": op.objects, "tamper": op.tamper, "raw": op.raw}
        for op in batch.operations
    ]
    new, tamper = store.add_device_operations(device_id, operations, actor=f"device:{device_id}")
    report = UploadReport(lines=batch.lines, refused=list(batch.errors), operations=new, tamper=tamper)
    if report.refused:
        store.note_push_refusals(sn, len(report.refused), report.refusal_summary)
    return report
