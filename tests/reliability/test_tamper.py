"""Every way an insider with plain sqlite3 (and no key) might rewrite history is caught,
and a head noted earlier catches even someone holding the key."""

from __future__ import annotations

import secrets
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from drivers.base import Punch
from monitor.store import Store
from monitor.store.punches import COLUMNS
from monitor.store.seals import AUDIT_COLUMNS, chain_hash, head_value
from tests.conftest import FIXED_NOW, ZONE

KEY = bytes.fromhex("11" * 32)


@pytest.fixture
def signed_db(tmp_path: Path) -> Path:
    """Ten punches, a unit, two employees and an enrollment, all written with the key."""
    path = tmp_path / "attendance.db"
    with Store(path, zone=ZONE, now=lambda: FIXED_NOW, create=True, key=KEY) as store:
        store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ"}], actor="hr")
        store.upsert_employees([{"code": "NV1", "full_name": "Nguyễn Thị Lan", "unit_code": "SNV"},
                                {"code": "NV2", "full_name": "Trần Văn Bình", "unit_code": "SNV"}], actor="hr")
        store.upsert_enrollments([{"device_id": "gate", "device_user_id": "1", "employee_code": "NV1"}], actor="hr")
        start = datetime(2026, 3, 2, 7, 0)
        store.add_punches("gate", [Punch(str(i), start + timedelta(minutes=i)) for i in range(1, 11)], source="file")
        assert store.verify_integrity().ok
    return path


def sql(path: Path, *statements: tuple[str, tuple]) -> None:
    conn = sqlite3.connect(path)
    for statement, params in statements:
        conn.execute(statement, params)
    conn.commit()
    conn.close()


def findings(path: Path, key: bytes | None = KEY, expect: str | None = None) -> list[tuple[str, str]]:
    with Store(path, zone=ZONE, key=key) as store:
        return [(f.where, f.problem) for f in store.verify_integrity(expect=expect).findings]


def recompute_punch_chain(path: Path, from_id: int = 1) -> None:
    """What someone without the key can do: rehash every row and fix the recorded head."""
    conn = sqlite3.connect(path)
    previous = conn.execute("SELECT hash FROM punches WHERE id = ?", (from_id - 1,)).fetchone()
    previous = previous[0] if previous else "0" * 64
    for row in conn.execute(f"SELECT {', '.join(COLUMNS)} FROM punches WHERE id >= ? ORDER BY id", (from_id,)).fetchall():
        previous = chain_hash(previous, row)
        conn.execute("UPDATE punches SET hash = ? WHERE id = ?", (previous, row[0]))
    last = conn.execute("SELECT MAX(id) FROM punches").fetchone()[0]
    conn.execute("UPDATE meta SET value = ? WHERE key = 'chain_head'", (head_value(last, previous),))
    conn.commit()
    conn.close()


def test_untouched_database_verifies(signed_db: Path) -> None:
    assert findings(signed_db) == []


def test_edit_is_caught(signed_db: Path) -> None:
    sql(signed_db, ("UPDATE punches SET punched_at = '2026-03-02T07:03:00+07:00' WHERE id = 4", ()))
    assert findings(signed_db) == [("punches", "row 4 (device gate, user 4, 2026-03-02T07:03:00+07:00) does not match"
                                                " its hash: it was edited, inserted or moved by hand")]


def test_delete_is_caught(signed_db: Path) -> None:
    sql(signed_db, ("DELETE FROM punches WHERE id = 6", ()))
    assert findings(signed_db) == [("punches", "row 6 missing before row 7 (deleted from the punch log)")]


def test_insert_is_caught(signed_db: Path) -> None:
    sql(signed_db, ("UPDATE punches SET id = id + 100 WHERE id > 5", ()),
        ("INSERT INTO punches (id, device_id, device_user_id, punched_at, source, received_at, hash)"
         " VALUES (6, 'gate', '1', '2026-03-02T07:20:00+07:00', 'manual', '2026-03-02T08:00:00+07:00', ?)", ("f" * 64,)))
    assert findings(signed_db)[0][0] == "punches"


def test_reorder_is_caught(signed_db: Path) -> None:
    sql(signed_db, ("UPDATE punches SET id = 100 WHERE id = 2", ()), ("UPDATE punches SET id = 2 WHERE id = 3", ()),
        ("UPDATE punches SET id = 3 WHERE id = 100", ()))
    assert "row 2 " in findings(signed_db)[0][1]


def test_tail_delete_with_the_head_fixed_is_caught(signed_db: Path) -> None:
    conn = sqlite3.connect(signed_db)
    nine = conn.execute("SELECT hash FROM punches WHERE id = 9").fetchone()[0]
    conn.close()
    sql(signed_db, ("DELETE FROM punches WHERE id = 10", ()),
        ("UPDATE meta SET value = ? WHERE key = 'chain_head'", (head_value(9, nine),)))
    assert findings(signed_db) == [("punches", "the recorded head of the punch log is not signed with this site's key:"
                                                " the log was rewritten or appended to without it")]


def test_recomputed_chain_after_an_edit_is_caught(signed_db: Path) -> None:
    sql(signed_db, ("UPDATE punches SET device_user_id = '2' WHERE id = 1", ()))
    recompute_punch_chain(signed_db)
    assert [where for where, _ in findings(signed_db)] == ["punches"]
    assert "not signed with this site's key" in findings(signed_db)[0][1]


def test_forged_append_with_a_correct_hash_is_caught(signed_db: Path) -> None:
    conn = sqlite3.connect(signed_db)
    previous = conn.execute("SELECT hash FROM punches WHERE id = 10").fetchone()[0]
    row = (11, "gate", "1", "2026-03-02T07:30:00+07:00", None, None, None, "device", "", "2026-03-02T07:30:00+07:00", 0)
    conn.execute(f"INSERT INTO punches ({', '.join(COLUMNS)}, hash) VALUES ({', '.join('?' * 12)})",
                 (*row, chain_hash(previous, row)))
    conn.commit()
    conn.close()
    assert findings(signed_db) == [("punches", "the log ends at row 11 but the recorded head is row 10:"
                                                " rows were added after it by hand")]
    # ... and moving the head along without the key does not help
    recompute_punch_chain(signed_db, 11)
    assert "not signed with this site's key" in findings(signed_db)[0][1]


def test_audit_edit_is_caught(signed_db: Path) -> None:
    sql(signed_db, ("UPDATE audit SET actor = 'someone-else' WHERE id = 2", ()))
    assert findings(signed_db)[0][0] == "audit"
    assert findings(signed_db)[0][1].startswith("audit row 2 (")


def test_audit_rewritten_with_recomputed_hashes_is_caught(signed_db: Path) -> None:
    conn = sqlite3.connect(signed_db)
    conn.execute("DELETE FROM audit WHERE id = 1")
    previous = "0" * 64
    conn.execute("UPDATE audit SET id = id - 1")
    for row in conn.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit ORDER BY id").fetchall():
        previous = chain_hash(previous, row)
        conn.execute("UPDATE audit SET hash = ? WHERE id = ?", (previous, row[0]))
    last = conn.execute("SELECT MAX(id) FROM audit").fetchone()[0]
    conn.execute("UPDATE meta SET value = ? WHERE key = 'audit_head'", (head_value(last, previous),))
    conn.commit()
    conn.close()
    assert ("audit", "the recorded head of the audit trail is not signed with this site's key: the trail was"
                     " rewritten or appended to without it") in findings(signed_db)


def test_enrollment_edit_is_caught(signed_db: Path) -> None:
    # whose punch is whose: moving badge 1 to NV2 with plain sqlite3
    sql(signed_db, ("UPDATE enrollments SET employee_code = 'NV2' WHERE device_user_id = '1'", ()))
    assert findings(signed_db) == [("enrollments", "enrollments differ from their last audited state: a row was edited,"
                                                   " added or removed by hand (outside the monitor, so without an audit record)")]


@pytest.mark.parametrize("table, statement", [
    ("units", "UPDATE units SET name = 'X'"),
    ("employees", "UPDATE employees SET unit_code = 'SNV', full_name = 'Người khác' WHERE code = 'NV2'"),
    ("users", "INSERT INTO users(username, password_hash, role, created_at, updated_at) VALUES ('x', 'h', 'admin', '', '')"),
], ids=["unit", "employee", "user"])
def test_directory_edits_are_caught(signed_db: Path, table: str, statement: str) -> None:
    sql(signed_db, (statement, ()))
    assert [where for where, _ in findings(signed_db)] == [table]


def test_a_noted_head_catches_a_rewrite_even_with_the_key(signed_db: Path) -> None:
    with Store(signed_db, zone=ZONE, key=KEY) as store:
        noted = store.current_head()
    assert findings(signed_db, expect=noted) == []
    # someone holding the key truncates the log and re-signs it
    sql(signed_db, ("DELETE FROM punches WHERE id > 8", ()))
    with Store(signed_db, zone=ZONE, key=KEY) as store:
        store.sign_heads()
        assert store.verify_integrity().ok  # the key alone cannot tell ...
    assert findings(signed_db, expect=noted) == [  # ... the noted head can
        ("punches", "the expected head is row 10 but the log ends at row 8: it was truncated")
    ]


def test_a_wrong_key_fails_every_signature(signed_db: Path) -> None:
    wrong = [where for where, _ in findings(signed_db, key=secrets.token_bytes(32))]
    assert wrong == ["punches", "audit", "enrollments", "units", "employees", "users", "leave"]
