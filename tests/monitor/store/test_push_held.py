"""Uploads held as sent (``push_held``): a waiting clock's, and an accepted clock's
batches until the upload worker stores them (m013_push_spool gives each its size)."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from monitor.store import Store
from monitor.store.schema import migrations
from tests.conftest import ZONE

BODY = "1001\t2026-11-25 07:52:03\t0\t1\n" * 40


def _called_in(store: Store, sn: str) -> None:
    store.register_push_contact(sn, address="127.0.0.1", push_version="2.4.1", max_waiting=10)


def test_held_uploads_of_accepted_clocks_are_taken_oldest_first_and_waiting_ones_stay(store: Store) -> None:
    store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ"}], actor="test")
    for sn in ("WAITING01", "ACCEPTED1", "ACCEPTED2"):
        _called_in(store, sn)
    store.accept_push_device("ACCEPTED1", "sanh", "SNV", comm_key=None, actor="admin")
    store.accept_push_device("ACCEPTED2", "kho", "SNV", comm_key=None, actor="admin")
    assert store.hold_push_upload("WAITING01", "ATTLOG", "1", BODY, max_bytes=10**6)
    assert store.hold_push_upload("ACCEPTED2", "ATTLOG", "7", BODY, max_bytes=10**6)
    assert store.hold_push_upload("ACCEPTED1", "ATTLOG", "8", BODY + BODY, max_bytes=10**6)
    assert store.spooled_uploads() == (2, 3 * len(BODY))  # the waiting clock's is not the worker's
    first = store.next_spooled_upload()
    assert (first["sn"], first["stamp"], first["size"]) == ("ACCEPTED2", "7", len(BODY))
    store.drop_held_push_upload(first["id"])
    assert store.next_spooled_upload()["sn"] == "ACCEPTED1"
    store.drop_held_push_upload(store.next_spooled_upload()["id"])
    assert store.next_spooled_upload() is None and store.spooled_uploads() == (0, 0)
    assert [row["sn"] for row in store.held_push_uploads("WAITING01")] == ["WAITING01"]


def test_the_cap_counts_what_a_clock_holds_by_size(store: Store) -> None:
    _called_in(store, "WAITING01")
    assert store.hold_push_upload("WAITING01", "ATTLOG", None, BODY, max_bytes=2 * len(BODY))
    assert store.hold_push_upload("WAITING01", "ATTLOG", None, BODY, max_bytes=2 * len(BODY))
    assert not store.hold_push_upload("WAITING01", "ATTLOG", None, "x", max_bytes=2 * len(BODY))
    (row,) = [r for r in store.push_devices() if r["sn"] == "WAITING01"]
    assert (row["held_uploads"], row["held_bytes"]) == (2, 2 * len(BODY))


def test_m013_gives_the_uploads_held_before_it_their_size(db_path: Path) -> None:
    old = Database(db_path)
    migrations.apply(old, stop_before="m013_push_spool")
    old.execute("INSERT INTO push_devices (sn, state, first_seen_at, last_seen_at) VALUES ('OLD1', 'waiting', 'x', 'x')")
    old.execute("INSERT INTO push_held (sn, table_name, stamp, body, received_at) VALUES ('OLD1', 'ATTLOG', '1', ?, 'x')",
                ("Nguyễn\n" + BODY,))
    old.conn.commit()
    old.close()
    with Store(db_path, zone=ZONE) as store:
        assert store.scalar("SELECT size FROM push_held") == len("Nguyễn\n" + BODY)  # characters, as the cap counts
        assert "idx_push_held_size" in {index.name for index in store.db["push_held"].indexes}
