"""Telling people: users' and staff's e-mail addresses and opt-outs, the notification
log (an outbox: claimed, sending, sent or retried) and the states of IT alerts.

A notification's ``key`` names what it is for (``digest:morning:2026-11-26:SNV:hung``);
it is claimed (inserted, unique) before anything is sent, so a digest already claimed is
never composed or sent again, whatever restarts in between. Statuses:

``queued``    claimed, not tried yet (a crash here: the next run sends it);
``sending``   handed to the server now (a crash here: nobody can know whether it went,
              so it becomes ``uncertain`` and is never re-sent; IT is told);
``sent``      accepted by the server or the receiver;
``retry``     failed, tried again at ``next_attempt_at`` (back-off);
``failed``    failed after the last attempt (IT is told);
``uncertain`` interrupted while sending (see above);
``skipped``   nothing sent, ``error`` says why (no address, opted out).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from email.headerregistry import Address
from email.errors import HeaderParseError
from typing import Any

from monitor.errors import NotFound, Refused
from monitor.store.base import StoreBase

NOTIFY_KINDS = ("digest", "digest_afternoon", "weekly", "alert", "reminder")
STATUSES = ("queued", "sending", "sent", "retry", "failed", "uncertain", "skipped")
LANGUAGES = ("vi", "en")
_UNSET: Any = object()


def check_email(text: str, where: str) -> str:
    """A single plain address (``ten@so.gov.vn``), trimmed; :class:`Refused` otherwise."""
    address = text.strip()
    try:
        parsed = Address(addr_spec=address)
    except (HeaderParseError, ValueError, IndexError):
        parsed = None
    if parsed is None or not parsed.domain or "." not in parsed.domain or not parsed.username:
        raise Refused(f"{where}: {text!r} is not an e-mail address (write it like ten@donvi.gov.vn)")
    return address


def _contact(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["units"] = json.loads(row.get("units") or "[]")
    row["opt_out"] = json.loads(row.pop("notify_opt_out", None) or "[]")
    return row


class NotifyStore(StoreBase):
    # --- who is told, and how ---------------------------------------------------------

    def set_user_contact(
        self,
        username: str,
        *,
        actor: str,
        email: str | None = _UNSET,
        language: str | None = _UNSET,
        opt_out: Iterable[str] = _UNSET,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Change a user's e-mail address (``None`` or "" removes it), language or the
        kinds of notification they do not want; audited. Returns the new contact."""
        changes: dict[str, Any] = {}
        if email is not _UNSET:
            changes["email"] = check_email(email, f"user {username}") if email else None
        if language is not _UNSET:
            if language not in (None, *LANGUAGES):
                raise Refused(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
            changes["language"] = language
        if opt_out is not _UNSET:
            kinds = sorted(set(opt_out))
            unknown = [k for k in kinds if k not in NOTIFY_KINDS]
            if unknown:
                raise Refused(f"unknown notification kind {unknown[0]!r} (kinds: {', '.join(NOTIFY_KINDS)})")
            changes["notify_opt_out"] = json.dumps(kinds)
        with self.write():
            before = self.one(
                "SELECT email, language, notify_opt_out FROM users WHERE username = ?",
                (username,),
                f"no user {username!r} (list them with 'monitor users list')",
            )
            changed = {k: v for k, v in changes.items() if before[k] != v}
            if changed:
                sets = ", ".join(f"{k} = ?" for k in changed)
                self.db.conn.execute(
                    f"UPDATE users SET {sets}, updated_at = ? WHERE username = ?", (*changed.values(), self.now_text(), username)
                )
                self.audit(actor, "update", "user", username, {k: before[k] for k in changed}, changed, reason)
        return self.user_contact(username)

    def user_contact(self, username: str) -> dict[str, Any]:
        """username, full_name, role, units, active, email, language and opt_out (kinds)."""
        row = self.one(
            "SELECT username, full_name, role, units, active, email, language, notify_opt_out FROM users WHERE username = ?",
            (username,),
            f"no user {username!r} (list them with 'monitor users list')",
        )
        return _contact(row)

    def user_contacts(self) -> list[dict[str, Any]]:
        """Every active user with their contact details, by username."""
        rows = self.query(
            "SELECT username, full_name, role, units, active, email, language, notify_opt_out FROM users"
            " WHERE active = 1 ORDER BY username"
        )
        return [_contact(row) for row in rows]

    def employee_emails(self, codes: Iterable[str]) -> dict[str, str]:
        """employee code → e-mail address, for those of ``codes`` that have one."""
        codes = list(codes)
        found: dict[str, str] = {}
        for start in range(0, len(codes), 900):
            chunk = codes[start:start + 900]
            found.update(self.db.conn.execute(
                f"SELECT code, email FROM employees WHERE email IS NOT NULL AND code IN ({','.join('?' * len(chunk))})",
                chunk,
            ))
        return found

    # --- the notification log (outbox) ------------------------------------------------

    def claim_notification(
        self,
        *,
        key: str,
        kind: str,
        channel: str,
        recipient: str,
        address: str | None,
        subject: str,
        payload: dict[str, Any] | None,
        status: str = "queued",
        error: str | None = None,
    ) -> int | None:
        """Record a notification under its unique ``key``; its id, or ``None`` when the
        key is already recorded (then nothing may be sent again)."""
        cursor = self.db.conn.execute(
            "INSERT OR IGNORE INTO notifications(key, kind, channel, recipient, address, subject, payload, status,"
            " created_at, error) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (key, kind, channel, recipient, address, subject,
             None if payload is None else json.dumps(payload, ensure_ascii=False), status, self.now_text(), error),
        )
        return int(cursor.lastrowid) if cursor.rowcount == 1 else None

    def notification_claimed(self, key: str) -> bool:
        return self.scalar("SELECT 1 FROM notifications WHERE key = ?", (key,)) is not None

    def claimed_keys(self, prefix: str) -> set[str]:
        """Keys recorded that start with ``prefix`` (one query for a whole morning)."""
        return {row[0] for row in self.db.conn.execute(
            "SELECT key FROM notifications WHERE key >= ? AND key < ?", (prefix, prefix + "\uffff"))}

    def start_sending(self, notification_id: int) -> bool:
        """Mark a queued or retried notification ``sending``; ``False`` when another
        process took it first (so two senders never send one message twice)."""
        with self.write():
            cursor = self.db.conn.execute(
                "UPDATE notifications SET status = 'sending', attempts = attempts + 1, next_attempt_at = ?"
                " WHERE id = ? AND status IN ('queued', 'retry')",
                (self.now_text(), notification_id),
            )
            return cursor.rowcount == 1

    def finish_notification(self, notification_id: int, status: str, *, error: str | None = None,
                            next_attempt_at: str | None = None) -> None:
        """``sent``, ``retry`` (with ``next_attempt_at``), ``failed`` or ``uncertain``."""
        if status not in STATUSES:
            raise Refused(f"status {status!r} is not one of {', '.join(STATUSES)}")
        with self.write():
            self.db.conn.execute(
                "UPDATE notifications SET status = ?, error = ?, next_attempt_at = ?,"
                " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?",
                (status, error, next_attempt_at, status, self.now_text(), notification_id),
            )

    def due_notifications(self, now_text: str) -> list[dict[str, Any]]:
        """Queued ones, and retries whose time has come, oldest first."""
        return self.query(
            "SELECT * FROM notifications WHERE status = 'queued' OR (status = 'retry' AND next_attempt_at <= ?)"
            " ORDER BY id",
            (now_text,),
        )

    def stale_sending(self, before_text: str) -> list[dict[str, Any]]:
        """Notifications left ``sending`` since before ``before_text``: the process that
        was sending them stopped (``next_attempt_at`` holds when the attempt began)."""
        return self.query(
            "SELECT * FROM notifications WHERE status = 'sending' AND next_attempt_at < ? ORDER BY id", (before_text,)
        )

    def notification(self, key: str) -> dict[str, Any]:
        return self.one("SELECT * FROM notifications WHERE key = ?", (key,), f"no notification {key!r}")

    def notification_log(
        self, *, limit: int = 100, kind: str | None = None, status: str | None = None, since: str | None = None
    ) -> list[dict[str, Any]]:
        """The newest notifications first (without their bodies)."""
        clauses, params = [], []
        for column, value in (("kind", kind), ("status", status)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if since:
            clauses.append("created_at >= ?")
            params.append(since)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return self.query(
            "SELECT id, key, kind, channel, recipient, address, subject, status, attempts, created_at, sent_at,"
            f" next_attempt_at, error FROM notifications {where} ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )

    def notification_payload(self, notification_id: int) -> dict[str, Any]:
        text = self.scalar("SELECT payload FROM notifications WHERE id = ?", (notification_id,))
        if text is None:
            raise NotFound(f"notification #{notification_id} has nothing to send")
        return json.loads(text)

    # --- alert states -----------------------------------------------------------------

    def alert_states(self) -> dict[str, dict[str, Any]]:
        return {row["key"]: row for row in self.query("SELECT * FROM alert_states ORDER BY key")}

    def save_alert_state(self, key: str, check_name: str, *, first_seen: str, last_seen: str,
                         alerted_at: str | None, summary: str) -> None:
        self.db.conn.execute(
            "INSERT INTO alert_states(key, check_name, first_seen, last_seen, alerted_at, summary) VALUES (?,?,?,?,?,?)"
            " ON CONFLICT(key) DO UPDATE SET last_seen = excluded.last_seen, alerted_at = excluded.alerted_at,"
            " summary = excluded.summary",
            (key, check_name, first_seen, last_seen, alerted_at, summary),
        )

    def drop_alert_state(self, key: str) -> None:
        self.db.conn.execute("DELETE FROM alert_states WHERE key = ?", (key,))
