"""Whom each audit row concerns (an employee, a unit), recorded with every change and
filled in for rows written before the audit page existed; and the filtered reading."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlite_utils import Database

from monitor.store import Store
from monitor.store.schema import migrations
from tests.conftest import ZONE


def _subjects(store: Store) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    return {(row["entity"], row["entity_key"]): (row["employee_code"], row["unit_code"]) for row in store.audit_log(limit=1000)}


def test_every_change_records_its_employee_and_unit(directory: Store) -> None:
    leave_id = directory.add_leave("NV002", date(2026, 11, 27), date(2026, 11, 27), part="full", kind="P",
                                   reason="phép", actor="hr")
    directory.upsert_units([{"code": "PTC", "name": "Phòng Tổ chức cán bộ", "parent_code": "SNV"}], actor="hr")
    directory.add_user("chamcong", "mat-khau-dai", role="timekeeper", units=["SNV"], actor="admin")
    subjects = _subjects(directory)
    assert subjects[("leave", str(leave_id))] == ("NV002", "PTC")
    assert subjects[("employee", "NV003")] == ("NV003", "STC")
    assert subjects[("enrollment", "*/1")] == ("NV001", "SNV")
    assert subjects[("unit", "PTC")] == (None, "PTC")
    assert subjects[("user", "chamcong")] == (None, None)


def test_rows_written_before_the_migration_are_filled_in(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m009_calendar_audit")
    old.execute("INSERT INTO units(code, name, updated_at) VALUES ('SNV', 'Sở Nội vụ', 'x')")
    old.execute("INSERT INTO employees(code, full_name, unit_code, updated_at) VALUES ('NV001', 'A', 'SNV', 'x')")
    old.execute("INSERT INTO devices(id, unit_code) VALUES ('gate', 'SNV')")
    rows = [("leave", "1", None, '{"employee_code": "NV001", "kind": "P"}'), ("month", "SNV/2026-10", None, None),
            ("device", "gate", '{"offset_seconds": 3}', '{"offset_seconds": 0}')]
    for entity, key, before, after in rows:
        old.execute("INSERT INTO audit(at, actor, action, entity, entity_key, before, after) VALUES ('2026-11-01', 'a', 'x',"
                    " ?, ?, ?, ?)", (entity, key, before, after))
    old.conn.commit()
    old.close()
    with Store(path, zone=ZONE) as store:  # opening applies the pending migration
        assert _subjects(store) == {("leave", "1"): ("NV001", "SNV"), ("month", "SNV/2026-10"): (None, "SNV"),
                                    ("device", "gate"): (None, "SNV")}


def test_reading_a_page_with_filters(directory: Store) -> None:
    rows, total = directory.audit_entries(entity="employee", unit_codes=directory.unit_and_below("SNV"), limit=1)
    assert total == 2 and len(rows) == 1 and rows[0]["entity_key"] == "NV002"  # newest first
    everything, count = directory.audit_entries(limit=None)
    assert len(everything) == count == directory.scalar("SELECT COUNT(*) FROM audit")
    assert directory.audit_choices()["entity"] == ["employee", "enrollment", "unit"]

