"""What makes tampering visible: chain hashes, keyed heads and table digests.

Two append-only logs are hash chains: the punches and the audit trail. Each row's hash
covers the previous row's hash and the row's content, so editing, inserting, deleting or
moving a row breaks the chain from that row on. The newest row of each chain (its
*head*) is also kept in ``meta``; the head is signed with HMAC-SHA-256 under a key kept
outside the database (the key file named in the config), so whoever edits the file
without the key can neither recompute a chain nor move a head.

Tables that are changed in place but decide what the log means (enrollments decide whose
punch is whose; units, employees, users and leave) get a *digest*: a hash over every row,
refreshed and signed in the same transaction as each audited change. An edit made with
plain sqlite3 leaves the digest behind.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from typing import Any, NamedTuple

GENESIS = "0" * 64
SEP = "\x1f"

PUNCH_HEAD = "chain_head"
AUDIT_HEAD = "audit_head"
AUDIT_COLUMNS = ("id", "at", "actor", "action", "entity", "entity_key", "before", "after", "reason")

# audited entity -> (table, ORDER BY of its digest); every change to them is audited
PROTECTED: dict[str, tuple[str, str]] = {
    "enrollment": ("enrollments", "device_id, device_user_id"),
    "unit": ("units", "code"),
    "employee": ("employees", "code"),
    "user": ("users", "username"),
    "leave": ("leave", "id"),
}


def digest_key(table: str) -> str:
    """The ``meta`` key holding a table's signed digest."""
    return f"digest:{table}"


def canonical(row: tuple[Any, ...]) -> bytes:
    """The hashed content of a row, its values joined by the unit separator."""
    return SEP.join("" if value is None else str(value) for value in row).encode("utf-8")


def chain_hash(previous: str, row: tuple[Any, ...]) -> str:
    """The hash of a row chained to the previous row's hash."""
    return hashlib.sha256(previous.encode("ascii") + canonical(row)).hexdigest()


def sign(key: bytes | None, name: str, value: str) -> str | None:
    """HMAC of ``value`` under ``key``, bound to the meta key ``name`` (a signature of
    one head cannot be pasted onto another); ``None`` without a key."""
    if key is None:
        return None
    return hmac.new(key, f"{name}|{value}".encode("utf-8"), hashlib.sha256).hexdigest()


def signed(key: bytes | None, name: str, value: str) -> str:
    """``value`` with its signature appended after ``|``, as stored in ``meta``."""
    mac = sign(key, name, value)
    return value if mac is None else f"{value}|{mac}"


class Sealed(NamedTuple):
    """A stored head or digest split into its value and signature (``None``: unsigned)."""

    value: str
    mac: str | None

    def check(self, key: bytes | None, name: str) -> bool | None:
        """True when the signature matches the key, False when it does not or is
        missing, ``None`` when there is no key to check with."""
        if key is None:
            return None
        expected = sign(key, name, self.value)
        return self.mac is not None and hmac.compare_digest(self.mac, expected or "")


def unseal(text: str | None) -> Sealed | None:
    if text is None:
        return None
    value, _, mac = text.partition("|")
    return Sealed(value, mac or None)


def head_value(row_id: int, digest: str) -> str:
    return f"{row_id}:{digest}"


def parse_head(value: str) -> tuple[int, str]:
    """``(row id, hash)`` of a head; the legacy form ``id:hash`` is the same text."""
    row_id, _, digest = value.partition(":")
    return int(row_id), digest


def table_digest(conn: sqlite3.Connection, table: str, order: str) -> str:
    """SHA-256 over every row of ``table`` in a fixed order (column names included)."""
    digest = hashlib.sha256()
    cursor = conn.execute(f"SELECT * FROM {table} ORDER BY {order}")  # noqa: S608 - names from PROTECTED
    digest.update(json.dumps([d[0] for d in cursor.description or ()]).encode("utf-8"))
    for row in cursor:
        digest.update(json.dumps(row, ensure_ascii=False, default=str).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
