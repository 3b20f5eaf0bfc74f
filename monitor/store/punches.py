"""The append-only punch log and its hash chain.

Each row's ``hash`` is SHA-256 over the previous row's hash and this row's canonical
content (its id and every raw field; not ``employee_code``, which is the enrollment
mapping attached later and is audited through enrollments). The newest id and hash
are also kept in ``meta`` so that deleting the last rows is caught too.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from drivers.base import Punch
from monitor.store.base import StoreBase, fewer_collections
from monitor.store.seals import GENESIS, PUNCH_HEAD, SEP, canonical, chain_hash, head_value, parse_head, signed, unseal

COLUMNS = (
    "id",
    "device_id",
    "device_user_id",
    "punched_at",
    "verify_mode",
    "state",
    "work_code",
    "source",
    "raw",
    "received_at",
    "clock_suspect",
)
SOURCES = ("file", "device", "manual")


__all__ = ["AddResult", "ChainReport", "PunchStore", "COLUMNS", "GENESIS", "SEP", "canonical", "chain_hash"]


@dataclass
class AddResult:
    """What :meth:`PunchStore.add_punches` did."""

    new: int = 0
    existing: int = 0
    unknown_users: set[tuple[str, str]] = field(default_factory=set)  # (device, user id)
    newest: str | None = None  # newest punched_at among the new punches
    dirty_days: int = 0

    def merge(self, other: AddResult) -> None:
        self.new += other.new
        self.existing += other.existing
        self.unknown_users |= other.unknown_users
        if other.newest and (self.newest is None or other.newest > self.newest):
            self.newest = other.newest
        self.dirty_days += other.dirty_days


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    problem: str | None = None
    row_id: int | None = None
    head: str = GENESIS  # the last row's hash, when the chain verified


class _LocalIso:
    """Turns naive local datetimes into ISO-8601 text with the site's UTC offset.

    The offset is looked up once per local hour: cheap for a million punches, right for
    zones with daylight saving (Vietnam has none, but a site setting may name one).
    """

    def __init__(self, zone: Any):
        self.zone = zone
        self.offsets: dict[str, str] = {}  # "YYYY-MM-DDTHH" (local) -> "+07:00"

    def __call__(self, moment: datetime) -> str:
        if moment.microsecond:
            moment = moment.replace(microsecond=0)
        if moment.tzinfo is not None:
            return moment.astimezone(self.zone).isoformat()
        text = moment.isoformat()
        offset = self.offsets.get(text[:13])  # keyed by local date and hour
        if offset is None:
            offset = moment.replace(tzinfo=self.zone).isoformat()[-6:]
            self.offsets[text[:13]] = offset
        return text + offset


class _Enrolled:
    """Device user id -> employee code, per device, with ``*`` enrollments merged in."""

    def __init__(self, rows: Iterable[tuple[str, str, str]]):
        self._by_device: dict[str, dict[str, str]] = {}
        for device, user, employee in rows:
            self._by_device.setdefault(device, {})[user] = employee
        self._merged: dict[str, dict[str, str]] = {}

    def for_device(self, device_id: str) -> dict[str, str]:
        table = self._merged.get(device_id)
        if table is None:
            table = {**self._by_device.get("*", {}), **self._by_device.get(device_id, {})}
            self._merged[device_id] = table
        return table


class PunchStore(StoreBase):
    """Appending punches, verifying the chain, attaching unknown punches."""

    # rows per transaction: a batch holds the write lock for tens of milliseconds, so a
    # card reader never waits long behind a million-punch import
    BATCH = 4000
    # a loaded machine writes a batch more slowly: batches shrink (down to MIN_BATCH rows)
    # until one holds the lock for about this long (seconds), and grow back to BATCH
    BATCH_HOLD = 0.1
    MIN_BATCH = 250
    # an append of at most this many punches reads only the enrollments of its own users
    # (a realtime punch must not read a province's enrollment table); a bigger one reads
    # the table once
    FEW = 1000

    # --- append -----------------------------------------------------------------------

    def add_punches(
        self,
        device_id: str,
        punches: Iterable[Punch],
        *,
        source: str,
        clock_suspect: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> AddResult:
        """Store punches of one device; an identity already stored is skipped.

        Each batch is one transaction, so an interrupted import keeps what it committed
        and a re-run completes it (identities make re-running safe).
        """
        if isinstance(punches, (list, tuple)) and len(punches) <= self.FEW:
            items: Iterable[tuple[str, Punch]] = [(device_id, punch) for punch in punches]
        else:
            items = ((device_id, punch) for punch in punches)
        return self.add_device_punches(items, source=source, clock_suspect=clock_suspect, progress=progress)

    def add_device_punches(
        self,
        items: Iterable[tuple[str, Punch]],
        *,
        source: str,
        clock_suspect: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> AddResult:
        """Like :meth:`add_punches` for ``(device id, punch)`` pairs of several devices."""
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}")
        to_iso = _LocalIso(self.zone)
        enrolled = self._enrollment_lookup(items if isinstance(items, list) and len(items) <= self.FEW else None)
        received_at = self.now_text()
        suspect = 1 if clock_suspect else 0
        total = AddResult()
        iterator = iter(items)
        size = self.BATCH
        with fewer_collections(), ExitStack() as stack:
            while True:
                batch = list(islice(iterator, size))
                if not batch:
                    break
                if len(batch) == size and not self._bulk_depth:
                    # more batches may follow: checkpoint between them, not inside their
                    # commits (a single punch keeps SQLite's auto-checkpoint)
                    stack.enter_context(self.bulk())
                rows, duplicates = self._prepare_batch(batch, source, suspect, received_at, to_iso)
                result = self._commit_batch(rows, source, suspect, received_at, enrolled)
                if self.last_write > 0:  # the next batch's size from this one's hold
                    size = max(self.MIN_BATCH, int(min(self.BATCH, size * self.BATCH_HOLD / self.last_write)))
                result.existing += duplicates
                total.merge(result)
                if progress:
                    progress(len(batch))
        return total

    def _prepare_batch(
        self, batch: list[tuple[str, Punch]], source: str, suspect: int, received_at: str, to_iso: _LocalIso
    ) -> tuple[dict[tuple[str, str, str], tuple[Any, ...]], int]:
        """Rows keyed by identity (the first of in-batch duplicates wins), and the duplicates count."""
        rows: dict[tuple[str, str, str], tuple[Any, ...]] = {}
        duplicates = 0
        offsets = to_iso.offsets
        for device_id, punch in batch:
            user_id, moment, verify, state, work, raw = punch
            # the common case of to_iso() inline (a naive whole second whose hour was
            # seen): this loop runs once per punch of every upload and import
            if moment.tzinfo is None and not moment.microsecond:
                text = moment.isoformat()
                offset = offsets.get(text[:13])
                stamp = to_iso(moment) if offset is None else text + offset
            else:
                stamp = to_iso(moment)
            key = (device_id, stamp, user_id)
            if key in rows:
                duplicates += 1
                continue
            rows[key] = (
                device_id,
                user_id,
                stamp,
                verify,
                state,
                work,
                source,
                raw.hex() if isinstance(raw, bytes) else raw,
                received_at,
                suspect,
            )
        return rows, duplicates

    def _commit_batch(
        self,
        rows: dict[tuple[str, str, str], tuple[Any, ...]],
        source: str,
        suspect: int,
        received_at: str,
        enrolled: _Enrolled,
    ) -> AddResult:
        result = AddResult()
        conn = self.db.conn
        with self.write():
            self._drop_stored(rows, result)
            if not rows:
                return result
            head_id, previous = self._head()
            inserts = []
            dirty: set[tuple[str, str]] = set()
            unknown = result.unknown_users
            next_id = head_id + 1
            sha256 = hashlib.sha256
            tail = f"{SEP}{source}{SEP}"
            last_device, employees = None, {}
            # rows keep their arrival order: the chain records what was appended when
            for row in rows.values():
                device_id, user_id, stamp, verify, state, work, _src, raw, _rcv, _sus = row
                if device_id != last_device:
                    last_device, employees = device_id, enrolled.for_device(device_id)
                # the same text as canonical(), built inline: this loop runs a million times per big import
                content = (
                    f"{next_id}{SEP}{device_id}{SEP}{user_id}{SEP}{stamp}{SEP}{'' if verify is None else verify}{SEP}"
                    f"{'' if state is None else state}{SEP}{'' if work is None else work}{tail}"
                    f"{'' if raw is None else raw}{SEP}{received_at}{SEP}{suspect}"
                )
                previous = sha256((previous + content).encode("utf-8")).hexdigest()
                employee = employees.get(user_id)
                if employee is None:
                    unknown.add((device_id, user_id))
                else:
                    dirty.add((employee, stamp[:10]))
                inserts.append((next_id, *row, employee, previous))
                next_id += 1
            conn.executemany(
                "INSERT INTO punches (id, device_id, device_user_id, punched_at, verify_mode, state, work_code,"
                " source, raw, received_at, clock_suspect, employee_code, hash)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                inserts,
            )
            self._set_head(next_id - 1, previous)
            if dirty:
                conn.executemany("INSERT OR IGNORE INTO dirty_days(employee_code, day) VALUES (?, ?)", dirty)
            result.new = len(inserts)
            result.newest = max(k[1] for k in rows)
            result.dirty_days = len(dirty)
        return result

    def _drop_stored(self, rows: dict[tuple[str, str, str], tuple[Any, ...]], result: AddResult) -> None:
        """Remove from ``rows`` the identities already stored (one range scan per device)."""
        by_device: dict[str, list[str]] = {}
        for device_id, stamp, _user in rows:
            by_device.setdefault(device_id, []).append(stamp)
        conn = self.db.conn
        for device_id, stamps in by_device.items():
            low, high = min(stamps), max(stamps)
            hit = conn.execute(
                "SELECT 1 FROM punches WHERE device_id = ? AND punched_at BETWEEN ? AND ? LIMIT 1",
                (device_id, low, high),
            ).fetchone()
            if not hit:
                continue
            for stamp, user in conn.execute(
                "SELECT punched_at, device_user_id FROM punches WHERE device_id = ? AND punched_at BETWEEN ? AND ?",
                (device_id, low, high),
            ):
                if rows.pop((device_id, stamp, user), None) is not None:
                    result.existing += 1

    def _head(self) -> tuple[int, str]:
        row = self.db.conn.execute("SELECT id, hash FROM punches ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return 0, GENESIS
        return row[0], row[1]

    def _set_head(self, row_id: int, digest: str) -> None:
        self.set_meta(PUNCH_HEAD, signed(self.key, PUNCH_HEAD, head_value(row_id, digest)))

    def _enrollment_lookup(self, items: list[tuple[str, Punch]] | None = None) -> _Enrolled:
        """The enrollments the punches of ``items`` can need (``*`` ones included), or all."""
        sql = "SELECT device_id, device_user_id, employee_code FROM enrollments"
        if items is None:
            return _Enrolled(self.db.conn.execute(sql))
        devices = sorted({device_id for device_id, _punch in items} | {"*"})
        users = sorted({punch.user_id for _device, punch in items})
        return _Enrolled(self.db.conn.execute(
            f"{sql} WHERE device_id IN ({', '.join('?' * len(devices))}) AND device_user_id IN ({', '.join('?' * len(users))})",
            (*devices, *users),
        ))

    # --- verify -----------------------------------------------------------------------

    def verify_chain(self, progress: Callable[[int], None] | None = None, *, expect: tuple[int, str] | None = None) -> ChainReport:
        """Walk the chain in one read snapshot; name the first row whose content, order
        or presence is wrong, or a recorded head that does not match the log or its
        signature. ``expect`` = (row id, hash prefix): that row must still be there
        with that hash (a head noted earlier: the log must extend it)."""
        with self.snapshot():
            try:
                return self._walk_chain(progress, expect)
            except sqlite3.DatabaseError as exc:
                return ChainReport(False, 0, f"the punch log cannot be read: {exc}")

    def _walk_chain(self, progress: Callable[[int], None] | None, expect: tuple[int, str] | None) -> ChainReport:
        previous = GENESIS
        expected_id = 1
        count = 0
        sql = f"SELECT {', '.join(COLUMNS)}, hash FROM punches ORDER BY id"
        for row in self.db.conn.execute(sql):
            row_id = row[0]
            content, stored = row[:-1], row[-1]
            if row_id != expected_id:
                missing = f"row {expected_id}" if row_id == expected_id + 1 else f"rows {expected_id}-{row_id - 1}"
                return ChainReport(False, count, f"{missing} missing before row {row_id} (deleted from the punch log)", expected_id)
            digest = chain_hash(previous, content)
            if digest != stored:
                what = f"row {row_id} (device {row[1]}, user {row[2]}, {row[3]})"
                return ChainReport(
                    False,
                    count,
                    f"{what} does not match its hash: it was edited, inserted or moved by hand",
                    row_id,
                )
            if expect is not None and row_id == expect[0] and not stored.startswith(expect[1]):
                return ChainReport(
                    False, count, f"row {row_id} is not the row of the expected head: the log was rewritten since", row_id
                )
            previous = stored
            expected_id += 1
            count += 1
            if progress and count % 10000 == 0:
                progress(10000)
        if expect is not None and expect[0] > count:
            return ChainReport(
                False, count, f"the expected head is row {expect[0]} but the log ends at row {count}: it was truncated", count + 1
            )
        head = unseal(self.get_meta(PUNCH_HEAD))
        if head is not None or count:
            expected_head = head_value(count, previous) if count else None
            if head is None:
                return ChainReport(False, count, "no head of the punch log is recorded: it was removed by hand", count)
            if head.value != expected_head:
                recorded = parse_head(head.value)[0]
                what = "rows were deleted from the end" if recorded > count else "rows were added after it by hand"
                return ChainReport(
                    False,
                    count,
                    f"the log ends at row {count} but the recorded head is row {recorded}: {what}",
                    count + 1,
                )
            if head.check(self.key, PUNCH_HEAD) is False:
                return ChainReport(
                    False,
                    count,
                    "the recorded head of the punch log is not signed with this site's key: the log was rewritten"
                    " or appended to without it",
                    count,
                )
        return ChainReport(True, count, head=previous)

    # --- unknown users and attaching --------------------------------------------------

    def unknown_punches(self) -> list[dict[str, Any]]:
        """Device user ids with punches but no enrollment, with counts and date span."""
        return self.query(
            "SELECT device_id, device_user_id, COUNT(*) AS punches, MIN(punched_at) AS first, MAX(punched_at) AS last"
            " FROM punches WHERE employee_code IS NULL"
            " GROUP BY device_id, device_user_id ORDER BY device_id, CAST(device_user_id AS INTEGER), device_user_id"
        )

    def attach_unknown(self, device_id: str, device_user_id: str, employee_code: str) -> int:
        """Give punches of a newly enrolled id their employee; marks their days dirty.

        Only punches with no employee are touched: a badge re-issued to someone else
        must not move the old holder's punches.
        """
        conn = self.db.conn
        if device_id == "*":
            where, params = "device_user_id = ? AND employee_code IS NULL", (device_user_id,)
        else:
            where, params = "device_id = ? AND device_user_id = ? AND employee_code IS NULL", (device_id, device_user_id)
        days = [row[0] for row in conn.execute(f"SELECT DISTINCT substr(punched_at, 1, 10) FROM punches WHERE {where}", params)]
        cursor = conn.execute(f"UPDATE punches SET employee_code = ? WHERE {where}", (employee_code, *params))
        conn.executemany(
            "INSERT OR IGNORE INTO dirty_days(employee_code, day) VALUES (?, ?)", [(employee_code, d) for d in days]
        )
        return cursor.rowcount

    # --- reading ----------------------------------------------------------------------

    def punch_count(self) -> int:
        return self.scalar("SELECT COUNT(*) FROM punches") or 0

