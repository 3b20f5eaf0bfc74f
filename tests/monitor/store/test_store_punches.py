"""The append-only punch log: identity, hash chain, tampering, attaching unknown ids."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.base import Punch
from monitor.store import Store
from tests.conftest import ZONE


def punch(user: str, stamp: str, state: int | None = 0) -> Punch:
    return Punch(user_id=user, timestamp=datetime.fromisoformat(stamp), state=state, verify_mode=1, raw=f"{user}\t{stamp}")


def seed_directory(store: Store) -> None:
    store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ"}], actor="t")
    store.upsert_employees(
        [
            {"code": "NV1", "full_name": "Nguyễn Thị Lan", "unit_code": "SNV"},
            {"code": "NV2", "full_name": "Trần Văn Bình", "unit_code": "SNV"},
        ],
        actor="t",
    )


def test_identity_makes_a_second_insert_a_no_op(store: Store) -> None:
    first = store.add_punches("gate", [punch("1", "2026-03-02 07:29:10"), punch("2", "2026-03-02 07:31:00")], source="file")
    again = store.add_punches("gate", [punch("1", "2026-03-02 07:29:10"), punch("2", "2026-03-02 07:31:00")], source="device")
    assert (first.new, first.existing) == (2, 0)
    assert (again.new, again.existing) == (0, 2)
    assert store.punch_count() == 2


def test_same_user_and_time_on_another_device_is_another_punch(store: Store) -> None:
    store.add_punches("gate", [punch("1", "2026-03-02 07:29:10")], source="file")
    result = store.add_punches("side-door", [punch("1", "2026-03-02 07:29:10")], source="file")
    assert result.new == 1


def test_duplicates_inside_one_batch_are_stored_once(store: Store) -> None:
    result = store.add_punches("gate", [punch("7", "2026-03-02 07:29:10")] * 3, source="file")
    assert (result.new, result.existing) == (1, 2)


def test_timestamps_carry_the_site_offset(store: Store) -> None:
    store.add_punches("gate", [punch("1", "2026-03-02 07:29:10")], source="file")
    assert store.scalar("SELECT punched_at FROM punches") == "2026-03-02T07:29:10+07:00"


def test_aware_timestamps_are_converted_to_site_time(store: Store) -> None:
    utc = datetime(2026, 3, 2, 0, 29, 10).replace(tzinfo=ZONE).astimezone(ZONE)
    store.add_punches("gate", [Punch(user_id="1", timestamp=utc)], source="device")
    assert store.scalar("SELECT punched_at FROM punches") == "2026-03-02T00:29:10+07:00"


def test_stored_row_keeps_every_raw_field(store: Store, clock) -> None:
    store.add_punches(
        "gate",
        [Punch(user_id="42", timestamp=datetime(2026, 3, 2, 7, 0), verify_mode=2, state=1, work_code=5, raw=b"\x01\x02")],
        source="device",
        clock_suspect=True,
    )
    row = store.query("SELECT * FROM punches")[0]
    assert row["device_user_id"] == "42"
    assert (row["verify_mode"], row["state"], row["work_code"]) == (2, 1, 5)
    assert row["raw"] == "0102"
    assert row["source"] == "device"
    assert row["clock_suspect"] == 1
    assert row["received_at"] == clock.now.isoformat()
    assert len(row["hash"]) == 64


def test_chain_verifies_across_batches(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Store, "BATCH", 7)
    start = datetime(2026, 3, 2, 7, 0)
    store.add_punches("gate", [Punch(str(i % 5), start + timedelta(minutes=i)) for i in range(40)], source="file")
    report = store.verify_chain()
    assert report.ok and report.rows == 40


# --- tampering, done the way an insider would: plain sqlite3 on the file ----------------


@pytest.fixture
def filled(store: Store, db_path: Path) -> Path:
    start = datetime(2026, 3, 2, 7, 0)
    store.add_punches("gate", [Punch(str(i), start + timedelta(minutes=i)) for i in range(1, 11)], source="file")
    assert store.verify_chain().ok
    store.close()
    return db_path


def tamper(path: Path, sql: str, params: tuple = ()) -> None:
    conn = sqlite3.connect(path)
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def verify(path: Path):
    store = Store(path, zone=ZONE)
    try:
        return store.verify_chain()
    finally:
        store.close()


def test_edited_time_is_caught(filled: Path) -> None:
    tamper(filled, "UPDATE punches SET punched_at = '2026-03-02T07:03:00+07:00' WHERE id = 4")
    report = verify(filled)
    assert not report.ok
    assert report.row_id == 4
    assert report.problem == "row 4 (device gate, user 4, 2026-03-02T07:03:00+07:00) does not match its hash: it was edited, inserted or moved by hand"


def test_edited_row_with_recomputed_own_hash_is_caught_at_the_next_row(filled: Path) -> None:
    from monitor.store.punches import COLUMNS, chain_hash

    conn = sqlite3.connect(filled)
    previous = conn.execute("SELECT hash FROM punches WHERE id = 3").fetchone()[0]
    conn.execute("UPDATE punches SET device_user_id = '99' WHERE id = 4")
    row = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM punches WHERE id = 4").fetchone()
    conn.execute("UPDATE punches SET hash = ? WHERE id = 4", (chain_hash(previous, row),))
    conn.commit()
    conn.close()
    report = verify(filled)
    assert not report.ok and report.row_id == 5


def test_deleted_row_is_caught(filled: Path) -> None:
    tamper(filled, "DELETE FROM punches WHERE id = 6")
    report = verify(filled)
    assert not report.ok
    assert report.problem == "row 6 missing before row 7 (deleted from the punch log)"


def test_deleted_last_row_is_caught(filled: Path) -> None:
    tamper(filled, "DELETE FROM punches WHERE id = 10")
    report = verify(filled)
    assert not report.ok
    assert report.problem == "the log ends at row 9 but the recorded head is row 10: rows were deleted from the end"


def test_inserted_row_is_caught(filled: Path) -> None:
    tamper(
        filled,
        "INSERT INTO punches (id, device_id, device_user_id, punched_at, source, received_at, hash)"
        " VALUES (11, 'gate', '3', '2026-03-02T07:20:00+07:00', 'manual', '2026-03-02T08:00:00+07:00', ?)",
        ("f" * 64,),
    )
    report = verify(filled)
    assert not report.ok and report.row_id == 11


def test_reordered_rows_are_caught(filled: Path) -> None:
    conn = sqlite3.connect(filled)
    conn.execute("UPDATE punches SET id = 100 WHERE id = 2")
    conn.execute("UPDATE punches SET id = 2 WHERE id = 3")
    conn.execute("UPDATE punches SET id = 3 WHERE id = 100")
    conn.commit()
    conn.close()
    report = verify(filled)
    assert not report.ok and report.row_id == 2


def test_verify_cli_names_the_row(run, initialized: Path) -> None:
    from monitor.service.keys import load_key

    store = Store(initialized, zone=ZONE, key=load_key(initialized.with_suffix(".key")))
    store.add_punches("gate", [punch("1", "2026-03-02 07:29:10"), punch("2", "2026-03-02 07:31:00")], source="file")
    store.close()
    assert run("verify").stdout.startswith("OK: 2 punches, hash chain intact.\n")
    tamper(initialized, "UPDATE punches SET state = 1 WHERE id = 2")
    result = run("verify")
    assert result.exit_code == 1
    assert "TAMPERED: row 2 (device gate, user 2, 2026-03-02T07:31:00+07:00) does not match its hash" in result.stderr


# --- unknown ids and attaching ----------------------------------------------------------


def test_unknown_ids_are_stored_and_attached_on_enrollment(store: Store) -> None:
    seed_directory(store)
    result = store.add_punches("gate", [punch("1", "2026-03-02 07:29:10"), punch("1", "2026-03-03 07:25:00")], source="file")
    assert result.unknown_users == {("gate", "1")}
    assert store.unknown_punches()[0]["punches"] == 2
    head_before = store.get_meta("chain_head")
    enrolled = store.upsert_enrollments([{"device_id": "gate", "device_user_id": "1", "employee_code": "NV1"}], actor="hr")
    assert enrolled.attached_punches == 2
    assert store.unknown_punches() == []
    assert {r["employee_code"] for r in store.query("SELECT employee_code FROM punches")} == {"NV1"}
    # attaching is not an edit of the raw log: the chain still verifies
    assert store.verify_chain().ok and store.get_meta("chain_head") == head_before
    assert store.query("SELECT employee_code, day FROM dirty_days ORDER BY day") == [
        {"employee_code": "NV1", "day": "2026-03-02"},
        {"employee_code": "NV1", "day": "2026-03-03"},
    ]
    audit = store.audit_log("enrollment")
    assert audit[0]["actor"] == "hr" and audit[0]["entity_key"] == "gate/1"


def test_enrolled_punches_get_their_employee_at_once(store: Store) -> None:
    seed_directory(store)
    store.upsert_enrollments([{"device_id": "*", "device_user_id": "0003887558", "employee_code": "NV2", "kind": "card"}], actor="hr")
    result = store.add_punches("reader-2", [punch("0003887558", "2026-03-02 07:29:10")], source="device")
    assert result.unknown_users == set()
    assert store.scalar("SELECT employee_code FROM punches") == "NV2"


def test_reassigned_badge_does_not_move_old_punches(store: Store) -> None:
    seed_directory(store)
    store.upsert_enrollments([{"device_id": "gate", "device_user_id": "5", "employee_code": "NV1"}], actor="hr")
    store.add_punches("gate", [punch("5", "2026-03-02 07:29:10")], source="file")
    store.upsert_enrollments([{"device_id": "gate", "device_user_id": "5", "employee_code": "NV2"}], actor="hr")
    store.add_punches("gate", [punch("5", "2026-04-02 07:29:10")], source="file")
    assert [r["employee_code"] for r in store.query("SELECT employee_code FROM punches ORDER BY id")] == ["NV1", "NV2"]


def test_a_small_append_reads_only_its_users_enrollments_and_attributes_alike(tmp_path: Path) -> None:
    # a list of few punches looks up its own users; a stream reads the whole table once:
    # both must give every punch the same employee (a device's own enrollment beats "*")
    punches = [punch("5", "2026-03-02 07:29:10"), punch("0003887558", "2026-03-02 07:30:00"),
               punch("7", "2026-03-02 07:31:00"), punch("9", "2026-03-02 07:32:00")]
    outcomes = []
    for name, items in (("few", list(punches)), ("stream", iter(punches))):
        with Store(tmp_path / f"{name}.db", zone=ZONE, create=True, now=lambda: datetime(2026, 3, 2, 8, tzinfo=ZONE)) as store:
            seed_directory(store)
            store.upsert_enrollments([
                {"device_id": "*", "device_user_id": "0003887558", "employee_code": "NV2", "kind": "card"},
                {"device_id": "*", "device_user_id": "5", "employee_code": "NV2", "kind": "card"},
                {"device_id": "gate", "device_user_id": "5", "employee_code": "NV1"},
                {"device_id": "hall", "device_user_id": "7", "employee_code": "NV1"},
            ], actor="hr")
            result = store.add_punches("gate", items, source="device")
            rows = store.query("SELECT device_user_id, employee_code, hash FROM punches ORDER BY id")
            outcomes.append((result.unknown_users, result.dirty_days, rows))
    assert outcomes[0] == outcomes[1]
    unknown, dirty, rows = outcomes[0]
    assert [(r["device_user_id"], r["employee_code"]) for r in rows] == [("5", "NV1"), ("0003887558", "NV2"), ("7", None), ("9", None)]
    assert unknown == {("gate", "7"), ("gate", "9")} and dirty == 2


# --- the property: any permutation, any number of times ---------------------------------

LINES = [f"{user}\t2026-03-{day:02d} {hour:02d}:{minute:02d}:00" for user in (1, 2, 3) for day in (2, 3) for hour, minute in ((7, 29), (17, 1))]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(orders=st.lists(st.permutations(LINES), min_size=1, max_size=3), batch=st.integers(min_value=1, max_value=7))
def test_any_permutation_any_number_of_times_gives_the_same_punches(tmp_path_factory, orders, batch) -> None:
    path = tmp_path_factory.mktemp("perm") / "a.db"
    store = Store(path, zone=ZONE, create=True)
    store.BATCH = batch
    try:
        for order in orders:
            store.add_punches("gate", [punch(*line.split("\t")) for line in order], source="file")
        rows = {(r["device_user_id"], r["punched_at"]) for r in store.query("SELECT device_user_id, punched_at FROM punches")}
        assert len(rows) == len(LINES) == store.punch_count()
        assert store.verify_chain().ok
    finally:
        store.close()
