"""What the collector knows about each device: status, download cursor, clock offset."""

from __future__ import annotations

import json
from typing import Any

from monitor.store.base import StoreBase


class DeviceStore(StoreBase):
    def ensure_device(self, device_id: str, **fields: Any) -> None:
        """Create the device row if missing, and refresh descriptive fields."""
        allowed = {"name", "protocol", "unit_code", "port", "model", "serial_number", "firmware"}
        values = {k: v for k, v in fields.items() if k in allowed and v is not None}
        with self.write():
            self.db.conn.execute("INSERT OR IGNORE INTO devices(id) VALUES (?)", (device_id,))
            if values:
                sets = ", ".join(f"{k} = ?" for k in values)
                self.db.conn.execute(f"UPDATE devices SET {sets} WHERE id = ?", (*values.values(), device_id))

    def device_row(self, device_id: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM devices WHERE id = ?", (device_id,))
        return rows[0] if rows else None

    def device_rows(self) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM devices ORDER BY id")

    def set_device_status(self, device_id: str, status: str, reason: str | None = None) -> None:
        """``status`` is ``online``, ``offline`` or ``error``; ``reason`` says why."""
        with self.write():
            self.db.conn.execute("INSERT OR IGNORE INTO devices(id) VALUES (?)", (device_id,))
            self.db.conn.execute(
                "UPDATE devices SET status = ?, status_reason = ?, status_at = ? WHERE id = ?",
                (status, reason, self.now_text(), device_id),
            )

    def load_cursor(self, device_id: str) -> dict[str, Any] | None:
        text = self.scalar("SELECT cursor FROM devices WHERE id = ?", (device_id,))
        return json.loads(text) if text else None

    def save_cursor(self, device_id: str, cursor: dict[str, Any]) -> None:
        """Store the download cursor; call after the punches it covers are committed."""
        with self.write():
            self.db.conn.execute("INSERT OR IGNORE INTO devices(id) VALUES (?)", (device_id,))
            self.db.conn.execute(
                "UPDATE devices SET cursor = ?, last_pull_at = ? WHERE id = ?",
                (json.dumps(cursor, sort_keys=True), self.now_text(), device_id),
            )

    def record_clock_offset(self, device_id: str, offset_seconds: float) -> None:
        """Device clock minus host clock, in seconds (positive: the device is ahead)."""
        with self.write():
            self.db.conn.execute("INSERT OR IGNORE INTO devices(id) VALUES (?)", (device_id,))
            self.db.conn.execute(
                "UPDATE devices SET clock_offset_seconds = ?, clock_checked_at = ? WHERE id = ?",
                (offset_seconds, self.now_text(), device_id),
            )

    def device_activity(self, device_id: str, since: str) -> dict[str, Any]:
        """The newest punch of a device and how many it stored since ``since`` (ISO local).

        Both are index range reads, so the devices page stays fast on a province's log.
        """
        newest = self.scalar("SELECT MAX(punched_at) FROM punches WHERE device_id = ?", (device_id,))
        recent = self.scalar(
            "SELECT COUNT(*) FROM punches WHERE device_id = ? AND punched_at >= ?", (device_id, since)
        )
        return {"last": newest, "since": recent or 0}

    # --- requests from the web process (it never opens a port itself) --------------------

    def queue_device_command(self, device_id: str, command: str, *, requested_by: str) -> int:
        with self.write():
            cursor = self.db.conn.execute(
                "INSERT INTO device_commands(device_id, command, requested_by, requested_at) VALUES (?,?,?,?)",
                (device_id, command, requested_by, self.now_text()),
            )
            return int(cursor.lastrowid)

    def pending_device_commands(self) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM device_commands WHERE done_at IS NULL ORDER BY id")

    def finish_device_command(self, command_id: int, result: str) -> None:
        with self.write():
            self.db.conn.execute(
                "UPDATE device_commands SET done_at = ?, result = ? WHERE id = ?", (self.now_text(), result, command_id)
            )

    def device_commands(self, device_id: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        if device_id:
            return self.query("SELECT * FROM device_commands WHERE device_id = ? ORDER BY id DESC LIMIT ?", (device_id, limit))
        return self.query("SELECT * FROM device_commands ORDER BY id DESC LIMIT ?", (limit,))
