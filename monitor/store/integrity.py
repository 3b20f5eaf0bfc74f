"""``monitor verify``: one read snapshot checked for every kind of tampering.

* SQLite's own ``PRAGMA integrity_check`` (a damaged page is named, never a traceback);
* the punch chain and its signed head (:meth:`PunchStore.verify_chain`);
* the audit chain and its signed head;
* the signed digests of enrollments, units, employees, users and leave;
* the names each month lock froze, against the digest its audit row carries;
* each unit-month's close state and step rows (who signed, when), against their audit rows;
* with ``expect``, that both logs still extend a head noted earlier (``verify --head``),
  which catches truncation and rewriting even by someone holding the key.

Everything is read inside one transaction, so rows written meanwhile by the collector or
the web are simply not seen: a check never mixes two moments and never cries wolf.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from monitor.errors import Refused
from monitor.store.base import StoreBase
from monitor.store.seals import (
    AUDIT_COLUMNS,
    AUDIT_HEAD,
    GENESIS,
    PROTECTED,
    chain_hash,
    digest_key,
    head_value,
    parse_head,
    signed,
    table_digest,
    unseal,
)

# P<punch rows>-<hash prefix>.A<audit rows>-<hash prefix>: short enough to copy onto a
# signed timesheet, long enough (128 bits each) that no rewrite can match it
HEAD_PREFIX = 32
HEAD_PATTERN = re.compile(r"^P(\d+)-([0-9a-f]{16,64})\.A(\d+)-([0-9a-f]{16,64})$")


@dataclass(frozen=True)
class Finding:
    """One problem: where (``punches``, ``audit``, a table, ``database``) and what."""

    where: str
    problem: str


@dataclass
class IntegrityReport:
    """What :meth:`IntegrityStore.verify_integrity` found."""

    punches: int = 0
    audit_rows: int = 0
    head: str = ""
    keyed: bool = False  # heads and digests were checked against the key
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def format_head(punch_rows: int, punch_hash: str, audit_rows: int, audit_hash: str) -> str:
    return f"P{punch_rows}-{punch_hash[:HEAD_PREFIX]}.A{audit_rows}-{audit_hash[:HEAD_PREFIX]}"


def parse_expected_head(text: str) -> tuple[tuple[int, str], tuple[int, str]]:
    """``((punch row, hash prefix), (audit row, hash prefix))`` of a head printed by
    ``monitor verify --head``; :class:`Refused` for anything else."""
    match = HEAD_PATTERN.match(text.strip())
    if not match:
        raise Refused(
            f"{text[:80]!r} is not a head printed by 'monitor verify --head' (it looks like P1234-3f9a….A56-9c1e…)"
        )
    return (int(match.group(1)), match.group(2)), (int(match.group(3)), match.group(4))


class IntegrityStore(StoreBase):
    """The whole check, and re-signing after a new key is made."""

    def verify_integrity(
        self, *, expect: str | None = None, progress: Callable[[int], None] | None = None
    ) -> IntegrityReport:
        """Check the database, both chains, their heads and the digests in one snapshot."""
        expected = parse_expected_head(expect) if expect else None
        report = IntegrityReport(keyed=self.key is not None)
        with self.snapshot():
            try:
                problems = [row[0] for row in self.db.conn.execute("PRAGMA integrity_check(5)")]
            except sqlite3.DatabaseError as exc:
                problems = [str(exc)]
            if problems != ["ok"]:
                report.findings.append(Finding("database", f"SQLite finds the file damaged: {'; '.join(problems)}"))
            chain = self.verify_chain(progress, expect=expected[0] if expected else None)  # type: ignore[attr-defined]
            report.punches = chain.rows
            if not chain.ok:
                report.findings.append(Finding("punches", str(chain.problem)))
            try:
                audit_rows, audit_hash, audit_problem = self._walk_audit(expected[1] if expected else None)
            except sqlite3.DatabaseError as exc:
                audit_rows, audit_hash, audit_problem = 0, GENESIS, f"the audit trail cannot be read: {exc}"
            report.audit_rows = audit_rows
            if audit_problem:
                report.findings.append(Finding("audit", audit_problem))
            for table, order in PROTECTED.values():
                problem = self._check_digest(table, order)
                if problem:
                    report.findings.append(Finding(table, problem))
            try:
                roster_problems = self.month_roster_problems()  # type: ignore[attr-defined]
            except (sqlite3.DatabaseError, ValueError) as exc:
                roster_problems = [f"the names frozen by month locks cannot be read: {exc}"]
            report.findings += [Finding("month_roster", problem) for problem in roster_problems]
            try:
                close_problems = self.month_close_problems()  # type: ignore[attr-defined]
            except (sqlite3.DatabaseError, ValueError) as exc:
                close_problems = [f"the month close cannot be read: {exc}"]
            report.findings += [Finding("month_close", problem) for problem in close_problems]
        report.head = format_head(chain.rows, chain.head, audit_rows, audit_hash)
        return report

    def current_head(self) -> str:
        """The head to write on a signed timesheet: both chains' last rows, one snapshot."""
        with self.snapshot():
            conn = self.db.conn
            punch = conn.execute("SELECT id, hash FROM punches ORDER BY id DESC LIMIT 1").fetchone() or (0, GENESIS)
            audit = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone() or (0, GENESIS)
        return format_head(punch[0], punch[1], audit[0], audit[1] or GENESIS)

    def sign_heads(self) -> None:
        """Sign the current heads and digests with the store's key (after a new key is
        made). The caller verifies first: signing blesses what is there."""
        if self.key is None:
            raise Refused("no key to sign with")
        with self.write():
            conn = self.db.conn
            for name, table in (("chain_head", "punches"), (AUDIT_HEAD, "audit")):
                row = conn.execute(f"SELECT id, hash FROM {table} ORDER BY id DESC LIMIT 1").fetchone()  # noqa: S608
                if row is not None:
                    self.set_meta(name, signed(self.key, name, head_value(row[0], row[1])))
            for table, order in PROTECTED.values():
                name = digest_key(table)
                self.set_meta(name, signed(self.key, name, table_digest(conn, table, order)))

    # --- the parts --------------------------------------------------------------------

    def _walk_audit(self, expect: tuple[int, str] | None) -> tuple[int, str, str | None]:
        """(rows, last hash, problem or None) of the audit chain."""
        previous, expected_id, count = GENESIS, 1, 0
        sql = f"SELECT {', '.join(AUDIT_COLUMNS)}, hash FROM audit ORDER BY id"
        for row in self.db.conn.execute(sql):
            row_id, stored = row[0], row[-1]
            if row_id != expected_id:
                return count, previous, f"audit row {expected_id} missing before row {row_id} (deleted by hand)"
            if chain_hash(previous, row[:-1]) != stored:
                what = f"audit row {row_id} ({row[3]} {row[4]} {row[5]} by {row[2]} at {row[1]})"
                return count, previous, f"{what} does not match its hash: it was edited, inserted or moved by hand"
            if expect is not None and row_id == expect[0] and not stored.startswith(expect[1]):
                return count, previous, f"audit row {row_id} is not the row of the expected head: the trail was rewritten"
            previous, expected_id, count = stored, expected_id + 1, count + 1
        if expect is not None and expect[0] > count:
            return count, previous, f"the expected head is audit row {expect[0]} but the trail ends at row {count}: it was truncated"
        head = unseal(self.get_meta(AUDIT_HEAD))
        if count and head is None:
            return count, previous, "no head of the audit trail is recorded: it was removed by hand"
        if head is not None:
            try:
                recorded = parse_head(head.value)[0]
            except ValueError:
                return count, previous, "the recorded head of the audit trail is unreadable: it was edited by hand"
            if head.value != head_value(count, previous):
                what = "rows were deleted from the end" if recorded > count else "rows were added after it by hand"
                return count, previous, f"the audit trail ends at row {count} but the recorded head is row {recorded}: {what}"
            if head.check(self.key, AUDIT_HEAD) is False:
                return count, previous, (
                    "the recorded head of the audit trail is not signed with this site's key: the trail was"
                    " rewritten or appended to without it"
                )
        return count, previous, None

    def _check_digest(self, table: str, order: str) -> str | None:
        name = digest_key(table)
        try:
            recorded = unseal(self.get_meta(name))
            actual = table_digest(self.db.conn, table, order)
        except sqlite3.DatabaseError as exc:
            return f"{table} cannot be read: {exc}"
        if recorded is None:
            return f"no digest of {table} is recorded: it was removed by hand"
        if actual != recorded.value:
            return (
                f"{table} differ from their last audited state: a row was edited, added or removed by hand"
                " (outside the monitor, so without an audit record)"
            )
        if recorded.check(self.key, name) is False:
            return f"the digest of {table} is not signed with this site's key: it was recomputed without it"
        return None
