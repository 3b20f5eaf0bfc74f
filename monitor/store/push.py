"""Clocks that push (ADMS/iclock): onboarding by serial number, held uploads, the
operation log and its tamper signals, and the command queue as heartbeats read it.

A push clock is known by its serial number (``push_devices.sn``). Until an
administrator accepts it, it is ``waiting`` and what it uploads is kept apart
(``push_held``), attributed to nobody. Accepting gives it a device id (the one its
punches carry) and a unit; rejecting discards what it held. Both are audited.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from monitor.errors import NotFound, Refused
from monitor.store.base import StoreBase

PUSH_STATES = ("waiting", "accepted", "rejected")
PUSH_PROTOCOL = "adms"


class PushStore(StoreBase):
    # --- onboarding ---------------------------------------------------------------------

    def push_device(self, sn: str) -> dict[str, Any] | None:
        """The push clock with serial number ``sn``, or ``None`` when it never called in."""
        rows = self.query("SELECT * FROM push_devices WHERE sn = ?", (sn,))
        return rows[0] if rows else None

    def push_device_for(self, device_id: str) -> dict[str, Any] | None:
        """The accepted push clock that carries ``device_id``, or ``None``."""
        rows = self.query("SELECT * FROM push_devices WHERE device_id = ? AND state = 'accepted'", (device_id,))
        return rows[0] if rows else None

    def push_devices(self, state: str | None = None) -> list[dict[str, Any]]:
        """Push clocks, newest contact first; only those in ``state`` when given."""
        if state is not None and state not in PUSH_STATES:
            raise ValueError(f"state must be one of {PUSH_STATES}")
        where, params = ("WHERE p.state = ?", (state,)) if state else ("", ())
        return self.query(
            "SELECT p.*, (SELECT COUNT(*) FROM push_held h WHERE h.sn = p.sn) AS held_uploads,"
            " (SELECT COALESCE(SUM(h.size), 0) FROM push_held h WHERE h.sn = p.sn) AS held_bytes"
            f" FROM push_devices p {where} ORDER BY p.last_seen_at DESC, p.sn",
            params,
        )

    def push_device_ids(self) -> set[str]:
        """Device ids of accepted push clocks (their commands are not the collector's)."""
        return {row[0] for row in self.db.conn.execute("SELECT device_id FROM push_devices WHERE state = 'accepted'")}

    def register_push_contact(self, sn: str, *, address: str | None, push_version: str | None,
                              max_waiting: int) -> dict[str, Any]:
        """The clock's row, recorded as ``waiting`` when this is its first call.

        Raises :class:`Refused` when ``max_waiting`` clocks already wait: a flood of
        made-up serial numbers must not fill the database."""
        row = self.push_device(sn)
        if row is not None:
            return row
        with self.write():
            row = self.push_device(sn)
            if row is not None:
                return row
            waiting = self.scalar("SELECT COUNT(*) FROM push_devices WHERE state = 'waiting'")
            if waiting >= max_waiting:
                raise Refused(f"{waiting} clocks already wait for approval; accept or reject them first")
            now = self.now_text()
            self.db.conn.execute(
                "INSERT INTO push_devices(sn, state, first_seen_at, last_seen_at, last_address, push_version)"
                " VALUES (?, 'waiting', ?, ?, ?, ?)",
                (sn, now, now, address, push_version),
            )
        return self.push_device(sn)  # type: ignore[return-value]

    def touch_push_device(self, sn: str, *, address: str | None = None, push_version: str | None = None,
                          info: Mapping[str, Any] | None = None, status_reason: str | None = None) -> None:
        """Record a contact: when, from where, what the clock said about itself. An
        accepted clock's device row becomes ``online`` (``status_reason`` says why not quite)."""
        with self.write():
            now = self.now_text()
            self.db.conn.execute(
                "UPDATE push_devices SET last_seen_at = ?, last_address = COALESCE(?, last_address),"
                " push_version = COALESCE(?, push_version), info = COALESCE(?, info) WHERE sn = ?",
                (now, address, push_version, None if info is None else json.dumps(info, ensure_ascii=False, sort_keys=True), sn),
            )
            device_id = self.scalar("SELECT device_id FROM push_devices WHERE sn = ? AND state = 'accepted'", (sn,))
            if device_id is not None:
                self.db.conn.execute(
                    "UPDATE devices SET status = 'online', status_reason = ?, status_at = ?, last_pull_at = ? WHERE id = ?",
                    (status_reason, now, now, device_id),
                )

    def mark_silent_push_devices(self, silent_since: str) -> list[str]:
        """Accepted push clocks not heard since ``silent_since`` (ISO local) become
        ``offline``; returns their device ids (only those that changed)."""
        with self.write():
            rows = self.query(
                "SELECT p.device_id, p.last_seen_at FROM push_devices p JOIN devices d ON d.id = p.device_id"
                " WHERE p.state = 'accepted' AND p.last_seen_at < ? AND d.status != 'offline'",
                (silent_since,),
            )
            for row in rows:
                self.db.conn.execute(
                    "UPDATE devices SET status = 'offline', status_reason = ?, status_at = ? WHERE id = ?",
                    (f"no contact since {row['last_seen_at']}", self.now_text(), row["device_id"]),
                )
        return [row["device_id"] for row in rows]

    def accept_push_device(self, sn: str, device_id: str, unit: str, *, comm_key: str | None, actor: str,
                           reason: str | None = None) -> dict[str, Any]:
        """Assign a waiting (or rejected) clock a device id and a unit; audited.

        Raises :class:`NotFound` for a serial number that never called in and
        :class:`Refused` when the clock is already accepted or the id is taken."""
        with self.write():
            row = self.push_device(sn)
            if row is None:
                raise NotFound(f"no clock with serial number {sn} has called in (check the SN on the clock's "
                               "System Info screen and its Cloud Server Setting)")
            if row["state"] == "accepted":
                raise Refused(f"clock {sn} is already accepted as {row['device_id']}")
            if self.scalar("SELECT 1 FROM units WHERE code = ?", (unit,)) is None:
                raise NotFound(f"no unit {unit!r} (import units first: monitor import units FILE)")
            if self.scalar("SELECT 1 FROM devices WHERE id = ?", (device_id,)) is not None:
                raise Refused(f"device id {device_id!r} is already used by another device: choose another --id")
            now = self.now_text()
            self.db.conn.execute(
                "UPDATE push_devices SET state = 'accepted', device_id = ?, comm_key = ?, decided_by = ?,"
                " decided_at = ?, decision_reason = ? WHERE sn = ?",
                (device_id, comm_key, actor, now, reason, sn),
            )
            self.db.conn.execute(
                "INSERT INTO devices(id, name, protocol, unit_code, port, serial_number, status, status_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 'online', ?)",
                (device_id, device_id, PUSH_PROTOCOL, unit, f"push SN {sn}", sn, now),
            )
            self.audit(actor, "accept", "push-device", sn, {"state": row["state"]},
                       {"state": "accepted", "device_id": device_id, "unit": unit, "comm_key": comm_key is not None},
                       reason)
        return self.push_device(sn)  # type: ignore[return-value]

    def reject_push_device(self, sn: str, *, actor: str, reason: str) -> int:
        """Refuse a clock and discard what it held; audited. Returns the uploads discarded."""
        with self.write():
            row = self.push_device(sn)
            if row is None:
                raise NotFound(f"no clock with serial number {sn} has called in")
            if row["state"] == "accepted":
                raise Refused(f"clock {sn} is accepted as {row['device_id']}; its punches are stored and stay")
            held = self.query("SELECT COUNT(*) AS uploads, COALESCE(SUM(size), 0) AS bytes FROM push_held WHERE sn = ?",
                              (sn,))[0]
            self.db.conn.execute("DELETE FROM push_held WHERE sn = ?", (sn,))
            self.db.conn.execute(
                "UPDATE push_devices SET state = 'rejected', decided_by = ?, decided_at = ?, decision_reason = ? WHERE sn = ?",
                (actor, self.now_text(), reason, sn),
            )
            self.audit(actor, "reject", "push-device", sn, {"state": row["state"], "held_uploads": held["uploads"],
                                                            "held_bytes": held["bytes"]},
                       {"state": "rejected", "held_uploads": 0}, reason)
        return int(held["uploads"])

    # --- what a waiting clock sent ------------------------------------------------------

    def hold_push_upload(self, sn: str, table: str, stamp: str | None, body: str, *, max_bytes: int) -> bool:
        """Keep an upload as sent (a waiting clock's, or an accepted clock's batch until
        the upload worker stores it); ``False`` (nothing kept) when it would take the
        clock over ``max_bytes`` held (sizes in characters)."""
        with self.write():
            held = self.scalar("SELECT COALESCE(SUM(size), 0) FROM push_held WHERE sn = ?", (sn,))
            if held + len(body) > max_bytes:
                return False
            self.db.conn.execute(
                "INSERT INTO push_held(sn, table_name, stamp, body, received_at, size) VALUES (?, ?, ?, ?, ?, ?)",
                (sn, table, stamp, body, self.now_text(), len(body)),
            )
        return True

    def held_push_uploads(self, sn: str) -> list[dict[str, Any]]:
        """What a clock sent while it waited, oldest first."""
        return self.query("SELECT * FROM push_held WHERE sn = ? ORDER BY id", (sn,))

    def next_spooled_upload(self) -> dict[str, Any] | None:
        """The oldest upload held for an accepted clock (received, answered, not yet
        stored), or ``None``."""
        rows = self.query(
            "SELECT h.* FROM push_held h JOIN push_devices p ON p.sn = h.sn WHERE p.state = 'accepted' ORDER BY h.id LIMIT 1"
        )
        return rows[0] if rows else None

    def spooled_uploads(self) -> tuple[int, int]:
        """Uploads held for accepted clocks, and their size in characters."""
        row = self.db.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(h.size), 0) FROM push_held h JOIN push_devices p ON p.sn = h.sn"
            " WHERE p.state = 'accepted'"
        ).fetchone()
        return int(row[0]), int(row[1])

    def drop_held_push_upload(self, held_id: int) -> None:
        """Delete one held upload once what it holds is stored."""
        with self.write():
            self.db.conn.execute("DELETE FROM push_held WHERE id = ?", (held_id,))

    # --- uploads ------------------------------------------------------------------------

    def set_push_stamp(self, sn: str, table: str, stamp: str) -> None:
        """Keep the ``Stamp`` of an upload once it is stored: the init reply hands the
        newest back (``ATTLOGStamp``). A re-post of older records never moves it back."""
        column = {"ATTLOG": "attlog_stamp", "OPERLOG": "operlog_stamp"}[table]
        with self.write():
            current = self.scalar(f"SELECT {column} FROM push_devices WHERE sn = ?", (sn,))
            if current is None or _stamp_key(stamp) > _stamp_key(current):
                self.db.conn.execute(f"UPDATE push_devices SET {column} = ? WHERE sn = ?", (stamp, sn))

    def note_push_refusals(self, sn: str, count: int, summary: str) -> None:
        """Count lines a clock sent that were refused, and keep the latest reasons."""
        with self.write():
            self.db.conn.execute(
                "UPDATE push_devices SET lines_refused = lines_refused + ?, last_refusal = ? WHERE sn = ?",
                (count, f"{self.now_text()} {summary}", sn),
            )

    def add_device_operations(self, device_id: str, operations: Iterable[Mapping[str, Any]], *, actor: str) -> tuple[int, int]:
        """Store OPLOG lines (``done_at``, ``code``, ``name``, ``admin``, ``objects``,
        ``tamper``, ``raw``); one already stored is skipped, so a resend adds nothing.
        Each new tamper signal is also written to the audit trail. Returns (new, new tamper)."""
        new = tamper = 0
        with self.write():
            received = self.now_text()
            for op in operations:
                objects = json.dumps(list(op["objects"]), ensure_ascii=False)
                cursor = self.db.conn.execute(
                    "INSERT OR IGNORE INTO device_operations(device_id, done_at, code, name, admin, objects, tamper, raw,"
                    " received_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (device_id, op["done_at"], op["code"], op["name"], op["admin"], objects, int(op["tamper"]),
                     op.get("raw"), received),
                )
                if cursor.rowcount != 1:
                    continue
                new += 1
                if op["tamper"]:
                    tamper += 1
                    self.audit(actor, f"tamper:{op['name']}", "device", device_id, None,
                               {"code": op["code"], "admin": op["admin"], "done_at": op["done_at"]},
                               f"the clock's operation log: {op['name']} (code {op['code']}) by admin {op['admin']}")
        return new, tamper

    def tamper_signals(self, device_id: str | None = None, since: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Operations that change what a clock records or when (set time, delete
        records, clear data, factory reset), newest first; for pages and alerts."""
        clauses, params = ["tamper = 1"], []
        if device_id:
            clauses.append("device_id = ?")
            params.append(device_id)
        if since:
            clauses.append("done_at >= ?")
            params.append(since)
        return self.query(
            f"SELECT * FROM device_operations WHERE {' AND '.join(clauses)} ORDER BY done_at DESC, id DESC LIMIT ?",
            (*params, limit),
        )

    def device_operations(self, device_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """A clock's operation log, newest first."""
        return self.query("SELECT * FROM device_operations WHERE device_id = ? ORDER BY done_at DESC, id DESC LIMIT ?",
                          (device_id, limit))

    # --- commands as heartbeats read them -------------------------------------------------

    def has_open_device_commands(self, device_id: str) -> bool:
        """Whether any command of the device awaits sending or its result (a heartbeat
        with none has nothing to write: it answers from this one read)."""
        return self.scalar("SELECT 1 FROM device_commands WHERE device_id = ? AND done_at IS NULL LIMIT 1",
                           (device_id,)) is not None

    def unsent_device_commands(self, device_id: str) -> list[dict[str, Any]]:
        """Queued commands of a device not yet handed to it, oldest first."""
        return self.query(
            "SELECT * FROM device_commands WHERE device_id = ? AND done_at IS NULL AND sent_at IS NULL ORDER BY id",
            (device_id,),
        )

    def mark_device_commands_sent(self, command_ids: Iterable[int]) -> None:
        """The commands went out in a heartbeat reply: their results come by POST."""
        ids = list(command_ids)
        if not ids:
            return
        with self.write():
            self.db.conn.executemany("UPDATE device_commands SET sent_at = ? WHERE id = ? AND sent_at IS NULL",
                                     [(self.now_text(), command_id) for command_id in ids])

    def sent_device_command(self, device_id: str, command_id: int) -> dict[str, Any] | None:
        """A command handed to ``device_id`` and still awaiting its result (a clock can
        only answer its own commands)."""
        rows = self.query(
            "SELECT * FROM device_commands WHERE id = ? AND device_id = ? AND sent_at IS NOT NULL AND done_at IS NULL",
            (command_id, device_id),
        )
        return rows[0] if rows else None

    def expire_device_commands(self, device_id: str, sent_before: str, result: str) -> int:
        """Close commands handed over before ``sent_before`` that never got a result."""
        due = self.scalar("SELECT 1 FROM device_commands WHERE device_id = ? AND done_at IS NULL AND sent_at IS NOT NULL"
                          " AND sent_at < ? LIMIT 1", (device_id, sent_before))
        if due is None:
            return 0  # a heartbeat every few seconds: no write transaction for nothing
        with self.write():
            cursor = self.db.conn.execute(
                "UPDATE device_commands SET done_at = ?, result = ? WHERE device_id = ? AND done_at IS NULL"
                " AND sent_at IS NOT NULL AND sent_at < ?",
                (self.now_text(), result, device_id, sent_before),
            )
        return cursor.rowcount


def _stamp_key(stamp: str) -> tuple[int, int, str]:
    """Sequence numbers compare as numbers, times as text (ISO sorts), and a number
    never beats a time: clocks send one kind or the other."""
    text = stamp.strip()
    return (0, int(text), "") if text.isdigit() and len(text) < 19 else (1, 0, text)
