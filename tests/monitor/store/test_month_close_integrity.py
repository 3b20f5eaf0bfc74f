"""``monitor verify`` and the month close: a state set, a signer's name or a date edited,
a step deleted or added with plain sqlite3 is reported; each step's audit row carries a
digest of the step row, and the month's state must be the one its last step left."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.monitor.month_helpers import locked_october, run_sql, verify_findings

KEY = bytes.fromhex("33" * 32)


@pytest.fixture
def locked_db(tmp_path: Path) -> Path:
    """October judged, SNV locked (four steps), PTC submitted (one step)."""
    return locked_october(tmp_path / "attendance.db", KEY, ("submitted", "PTC"))


def _findings(path: Path) -> list[tuple[str, str]]:
    return verify_findings(path, KEY)


def _step_id(path: Path, unit: str, step: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id FROM month_close_steps WHERE unit_code = ? AND step = ?", (unit, step)).fetchone()[0]
    finally:
        conn.close()


def test_an_untouched_month_close_verifies(locked_db: Path) -> None:
    assert _findings(locked_db) == []


@pytest.mark.parametrize(("statement", "problem"), [
    ("UPDATE month_close SET state = 'approved' WHERE unit_code = 'SNV'",
     "the month close of SNV 2026-10 is 'approved', but its last step left it 'locked': it was changed by hand"),
    ("UPDATE month_close SET state = 'locked' WHERE unit_code = 'PTC'",
     "the month close of PTC 2026-10 is 'locked', but its last step left it 'submitted': it was changed by hand"),
    ("DELETE FROM month_close WHERE unit_code = 'PTC'",
     "the month close of PTC 2026-10 is gone, but the audit trail left it 'submitted': it was deleted by hand"),
    ("INSERT INTO month_close VALUES ('SNV', '2026-09', 'locked', '2026-10-05T09:00:00+07:00')",
     "the month close of SNV 2026-09 is 'locked', but no step in the audit trail put it there: it was set by hand"),
], ids=["unlocked by hand", "locked by hand", "row deleted", "row added"])
def test_a_month_state_changed_by_hand_is_caught(locked_db: Path, statement: str, problem: str) -> None:
    run_sql(locked_db, statement)
    assert _findings(locked_db) == [("month_close", problem)]


@pytest.mark.parametrize("statement", [
    "UPDATE month_close_steps SET full_name = 'Người Khác' WHERE unit_code = 'SNV' AND step = 'approve'",
    "UPDATE month_close_steps SET at = '2026-11-01T09:00:00+07:00' WHERE unit_code = 'SNV' AND step = 'approve'",
    "UPDATE month_close_steps SET username = 'admin' WHERE unit_code = 'SNV' AND step = 'approve'",
], ids=["signer renamed", "date moved", "signer replaced"])
def test_a_signature_edited_by_hand_is_caught(locked_db: Path, statement: str) -> None:
    step = _step_id(locked_db, "SNV", "approve")
    run_sql(locked_db, statement)
    assert _findings(locked_db) == [("month_close", f"month close step #{step} differs from what its audit row"
                                                     " recorded: who signed, when or why was edited by hand")]


def test_a_step_deleted_or_added_by_hand_is_caught(locked_db: Path) -> None:
    step = _step_id(locked_db, "SNV", "confirm")
    run_sql(locked_db, f"DELETE FROM month_close_steps WHERE id = {step}")
    run_sql(locked_db, "INSERT INTO month_close_steps(unit_code, month, step, from_state, to_state, username, role, at)"
                       " VALUES ('PTC', '2026-10', 'confirm', 'submitted', 'confirmed', 'truong-ptc', 'manager',"
                       " '2026-11-20T09:00:00+07:00')")
    findings = _findings(locked_db)
    assert ("month_close", f"month close step #{step} is gone: it was deleted by hand") in findings
    added = [problem for where, problem in findings if problem.endswith("has no audit row: it was added by hand")]
    assert len(added) == 1 and len(findings) == 2


def test_steps_from_before_the_digest_are_checked_for_their_state_only(locked_db: Path) -> None:
    # audit rows as an older version wrote them: the state, no digest of the step row (done
    # here by editing the trail, which its own chain reports; the month close is judged apart)
    run_sql(locked_db, "UPDATE audit SET after = json_remove(after, '$.step') WHERE entity = 'month'")
    assert {where for where, _problem in _findings(locked_db)} == {"audit"}
    run_sql(locked_db, "UPDATE month_close_steps SET full_name = 'Người Khác' WHERE step = 'approve'")
    assert [f for f in _findings(locked_db) if f[0] == "month_close"] == []  # not provable without the digest
    run_sql(locked_db, "UPDATE month_close SET state = 'open' WHERE unit_code = 'SNV'")
    assert [f for f in _findings(locked_db) if f[0] == "month_close"] == [
        ("month_close", "the month close of SNV 2026-10 is 'open', but its last step left it 'locked':"
                        " it was changed by hand")]
