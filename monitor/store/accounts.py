"""Web accounts after creation: revocable sessions, login attempts, and the audited
changes an admin makes to a user (disable, enable, role and units, password).

A session is a random token kept in the signed cookie; the database keeps only its
SHA-256, so a copy of the file hands out no live session. Every change that alters what
a user may do ends that user's sessions in the same transaction as the change.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from werkzeug.security import generate_password_hash

from monitor.errors import N_, NotFound, Refused
from monitor.store.base import StoreBase

# last_seen_at is written at most this often per session: a write per page would make
# every reader queue behind SQLite's single writer
TOUCH_EVERY = timedelta(seconds=60)
MIN_PASSWORD = 8


def session_key(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AccountStore(StoreBase):
    # --- users ------------------------------------------------------------------------

    def user(self, username: str, *, active_only: bool = False) -> dict[str, Any]:
        """One user row without its password hash, ``units`` decoded; :class:`NotFound`
        if none (or, with ``active_only``, if disabled). The one user lookup of the store."""
        where = "username = ? AND active = 1" if active_only else "username = ?"
        row = self.one(
            f"SELECT * FROM users WHERE {where}",
            (username,),
            f"no {'active ' if active_only else ''}user {username!r} (list them with 'monitor users list')",
        )
        row.pop("password_hash", None)
        row["units"] = json.loads(row["units"])
        return row

    def _other_active_admins(self, username: str) -> int:
        return int(self.scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1 AND username != ?",
                               (username,)))

    def set_user_active(self, username: str, active: bool, *, actor: str, reason: str | None = None) -> bool:
        """Disable or enable a user; disabling ends their sessions. False when unchanged."""
        with self.write():
            user = self.user(username)
            if bool(user["active"]) == active:
                return False
            if not active and user["role"] == "admin" and not self._other_active_admins(username):
                raise Refused(N_("'%(user)s' is the last active admin: enable or add another admin first",
                                 user=username))
            self.db.conn.execute("UPDATE users SET active = ?, updated_at = ? WHERE username = ?",
                                 (int(active), self.now_text(), username))
            self.audit(actor, "enable" if active else "disable", "user", username,
                       {"active": bool(user["active"])}, {"active": active}, reason)
            if not active:
                self.end_user_sessions(username, actor=actor, reason="user disabled")
        return True

    def set_user_role(self, username: str, role: str, units: Iterable[str] = (), *, actor: str,
                      roles: Iterable[str], reason: str | None = None) -> bool:
        """Give a user another role or other units; ends their sessions. False when unchanged.

        ``roles`` are the roles the caller accepts (the store's ``ROLES``)."""
        roles = tuple(roles)
        if role not in roles:
            raise Refused(N_("role '%(role)s' is not one of %(known)s", role=role, known=", ".join(roles)))
        units = sorted(set(units))
        for unit in units:
            self.unit(unit)  # type: ignore[attr-defined]
        if role == "manager" and not units:
            raise Refused(N_("a manager needs at least one unit (--unit CODE)"))
        if role in ("admin", "hr"):
            units = []  # they see every unit; stale codes would only confuse a later reader
        with self.write():
            user = self.user(username)
            if user["role"] == role and user["units"] == units:
                return False
            if user["role"] == "admin" and role != "admin" and not self._other_active_admins(username):
                raise Refused(N_("'%(user)s' is the last active admin: make another user admin first", user=username))
            self.db.conn.execute("UPDATE users SET role = ?, units = ?, updated_at = ? WHERE username = ?",
                                 (role, json.dumps(units), self.now_text(), username))
            self.audit(actor, "set-role", "user", username, {"role": user["role"], "units": user["units"]},
                       {"role": role, "units": units}, reason)
            self.end_user_sessions(username, actor=actor, reason="role changed")
        return True

    def set_password(self, username: str, password: str, *, actor: str, keep_session: str | None = None) -> None:
        """A new password; every session of the user ends except ``keep_session`` (the
        token of the user changing their own password)."""
        if len(password) < MIN_PASSWORD:
            raise Refused(N_("the password must have at least %(count)s characters", count=MIN_PASSWORD))
        digest = generate_password_hash(password)
        with self.write():
            self.user(username)
            self.db.conn.execute(
                "UPDATE users SET password_hash = ?, must_change_password = 0, updated_at = ? WHERE username = ?",
                (digest, self.now_text(), username),
            )
            self.audit(actor, "set-password", "user", username)
            self.end_user_sessions(username, actor=actor, reason="password changed", keep=keep_session)

    # --- sessions ---------------------------------------------------------------------

    def open_session(self, username: str, *, address: str | None, user_agent: str | None) -> str:
        """A new session for a user who just proved their password; returns its token."""
        token = secrets.token_urlsafe(32)
        now = self.now_text()
        with self.write():
            self.db.conn.execute(
                "INSERT INTO web_sessions(id, username, created_at, last_seen_at, address, user_agent) VALUES (?,?,?,?,?,?)",
                (session_key(token), username, now, now, address, (user_agent or "")[:200]),
            )
        return token

    def session_user(self, token: str, *, idle: timedelta) -> dict[str, Any] | None:
        """The active user of a live session, or ``None`` (ended, idle too long, user
        disabled). Notes the session as seen."""
        row = self.query(
            "SELECT s.id, s.last_seen_at, u.username, u.full_name, u.role, u.units, u.employee_code,"
            " u.must_change_password FROM web_sessions s"
            " JOIN users u ON u.username = s.username WHERE s.id = ? AND s.ended_at IS NULL AND u.active = 1",
            (session_key(token),),
        )
        if not row:
            return None
        user = row[0]
        now = self.now()
        seen = datetime.fromisoformat(user.pop("last_seen_at"))
        if now - seen > idle:
            with self.write():
                self._end("id = ?", (user["id"],), actor="system", reason="idle")
            return None
        if now - seen >= TOUCH_EVERY:
            with self.write():
                self.db.conn.execute("UPDATE web_sessions SET last_seen_at = ? WHERE id = ?", (self.now_text(), user["id"]))
        user["units"] = json.loads(user["units"])
        return user

    def _end(self, where: str, params: tuple[Any, ...], *, actor: str, reason: str) -> int:
        return self.db.conn.execute(
            f"UPDATE web_sessions SET ended_at = ?, ended_by = ?, ended_reason = ? WHERE ended_at IS NULL AND {where}",
            (self.now_text(), actor, reason, *params),
        ).rowcount

    def end_session(self, token: str, *, actor: str, reason: str = "logout") -> None:
        """End one session by its token (logout)."""
        with self.write():
            self._end("id = ?", (session_key(token),), actor=actor, reason=reason)

    def end_session_by_id(self, username: str, session_id: str, *, actor: str) -> None:
        """End one of a user's sessions by its stored id (the admin's session list)."""
        with self.write():
            if not self._end("id = ? AND username = ?", (session_id, username), actor=actor, reason="ended by admin"):
                raise NotFound(f"no open session {session_id[:12]}… of {username!r}")
            self.audit(actor, "end-session", "user", username, after={"session": session_id[:12]})

    def end_user_sessions(self, username: str, *, actor: str, reason: str, keep: str | None = None,
                          audited: bool = False) -> int:
        """End every open session of a user (but ``keep``, a token); how many ended.
        ``audited``: record it (when ending them is the change itself, not a part of one)."""
        with self.write():
            if keep is None:
                ended = self._end("username = ?", (username,), actor=actor, reason=reason)
            else:
                ended = self._end("username = ? AND id != ?", (username, session_key(keep)), actor=actor, reason=reason)
            if audited:
                self.audit(actor, "end-sessions", "user", username, after={"ended": ended}, reason=reason)
            return ended

    def user_sessions(self, username: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """A user's sessions, open ones first, newest first."""
        return self.query(
            "SELECT id, created_at, last_seen_at, address, user_agent, ended_at, ended_by, ended_reason"
            " FROM web_sessions WHERE username = ? ORDER BY ended_at IS NOT NULL, created_at DESC LIMIT ?",
            (username, limit),
        )

    def open_session_counts(self) -> dict[str, int]:
        """username → open sessions."""
        return dict(self.db.conn.execute(
            "SELECT username, COUNT(*) FROM web_sessions WHERE ended_at IS NULL GROUP BY username"))

    # --- login attempts ---------------------------------------------------------------

    def record_login_attempt(self, username: str, address: str, succeeded: bool) -> None:
        with self.write():
            self.db.conn.execute("INSERT INTO login_attempts(at, username, address, succeeded) VALUES (?,?,?,?)",
                                 (self.now_text(), username, address, int(succeeded)))

    def recent_failures(self, column: str, value: str, since: datetime) -> tuple[int, str | None]:
        """Failed logins for a username or an address (``column``) since ``since``:
        (count, time of the last one). For a username only the failures after its last
        success count; an address is not forgiven by a success (an intruder could log
        in to an account of their own between guesses)."""
        if column not in ("username", "address"):
            raise ValueError(column)
        sql = f"SELECT COUNT(*), MAX(at) FROM login_attempts WHERE {column} = ? AND succeeded = 0 AND at >= ?"
        params: tuple[Any, ...] = (value, since.isoformat(timespec="seconds"))
        if column == "username":
            sql += " AND id > COALESCE((SELECT MAX(id) FROM login_attempts WHERE username = ? AND succeeded = 1), 0)"
            params += (value,)
        row = self.db.conn.execute(sql, params).fetchone()
        return int(row[0]), row[1]

    def login_attempts(self, username: str | None = None, *, limit: int = 50) -> list[dict[str, Any]]:
        if username:
            return self.query("SELECT * FROM login_attempts WHERE username = ? ORDER BY id DESC LIMIT ?", (username, limit))
        return self.query("SELECT * FROM login_attempts ORDER BY id DESC LIMIT ?", (limit,))
