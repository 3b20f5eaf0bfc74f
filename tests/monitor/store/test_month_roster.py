"""m012_month_roster: the names a lock froze are checked by ``monitor verify`` (a frozen
name edited, deleted or added with plain sqlite3 is reported), and a database from
before the table, with a month locked then, upgrades and still exports that month live."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlite_utils import Database

from monitor.engine.policy import OfficePolicy
from monitor.reports.timesheet_export import export_timesheet
from monitor.service.evaluation import Evaluation
from monitor.service.month_close import take_step
from monitor.store import Store
from monitor.store.month_roster import roster_digest
from monitor.store.schema import migrations
from tests.conftest import ZONE
from tests.monitor.month_helpers import (
    NOW,
    OCTOBER,
    TODAY,
    bring_to,
    judged_october,
    locked_october,
    run_sql,
    verify_findings,
)

KEY = bytes.fromhex("22" * 32)


@pytest.fixture
def locked_db(tmp_path: Path) -> Path:
    """October judged, SNV locked, everything written with the site's key."""
    return locked_october(tmp_path / "attendance.db", KEY)


def _findings(path: Path) -> list[tuple[str, str]]:
    return verify_findings(path, KEY)


def test_an_untouched_lock_verifies(locked_db: Path) -> None:
    assert _findings(locked_db) == []


@pytest.mark.parametrize(("statement", "problem"), [
    ("UPDATE month_roster SET name = 'Nguyễn Thị Hoà' WHERE code = 'NV001'",
     "the names frozen at the lock of SNV 2026-10 differ from what the lock recorded: a name or grade was edited by hand"),
    ("UPDATE month_roster SET detail = 'Chuyên viên chính' WHERE code = 'NV001'",
     "the names frozen at the lock of SNV 2026-10 differ from what the lock recorded: a name or grade was edited by hand"),
    ("UPDATE month_roster SET name = 'Sở Nội vụ (cũ)' WHERE kind = 'unit'",
     "the names frozen at the lock of SNV 2026-10 differ from what the lock recorded: a name or grade was edited by hand"),
    ("DELETE FROM month_roster WHERE code = 'NV001'",
     "the names frozen at the lock of SNV 2026-10 differ from what the lock recorded: a name or grade was edited by hand"),
    ("DELETE FROM month_roster",
     "the names frozen at the lock of SNV 2026-10 are gone (deleted by hand, not by a reopen)"),
    ("INSERT INTO month_roster VALUES ('PTC', '2026-10', 'unit', 'PTC', 'Phòng Tổ chức', 'Sở Nội vụ')",
     "the names frozen at the lock of PTC 2026-10 are there, but no lock in the audit trail froze them:"
     " they were added by hand"),
], ids=["employee renamed", "grade changed", "unit renamed", "employee removed", "all removed", "added for an open month"])
def test_a_frozen_name_changed_by_hand_is_caught(locked_db: Path, statement: str, problem: str) -> None:
    run_sql(locked_db, statement)
    assert _findings(locked_db) == [("month_roster", problem)]


def test_monitor_verify_reports_it(locked_db: Path, run, config_file: Path) -> None:
    config_file.write_text(config_file.read_text(encoding="utf-8").replace(
        '"attendance.db"', f'"{locked_db.name}"'), encoding="utf-8")
    run_sql(locked_db, "UPDATE month_roster SET name = 'Nguyễn Thị Hoà' WHERE code = 'NV001'")
    result = run("verify")  # no key in this config: the digest in the audit row needs none
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "TAMPERED: the names frozen at the lock of SNV 2026-10 differ from what the lock recorded: a name or grade was"
        " edited by hand.",
        "1 problem(s); 6 punches verify before the first.",
    ]


def test_rewriting_the_digest_in_the_lock_breaks_the_audit_chain(locked_db: Path) -> None:
    run_sql(locked_db, "UPDATE month_roster SET name = 'Nguyễn Thị Hoà' WHERE code = 'NV001'")
    with Store(locked_db, zone=ZONE, key=KEY) as store:
        [lock] = store.audit_log("month", "SNV/2026-10", limit=1)
        # what someone without the key can do: recompute the digest and write it into the lock
        digest = roster_digest(store.db.conn.execute(
            "SELECT unit_code, month, kind, code, name, detail FROM month_roster ORDER BY kind, code").fetchall())
    run_sql(locked_db, "UPDATE audit SET after = json_set(after, '$.roster', ?) WHERE id = ?", (digest, lock["id"]))
    assert [where for where, _problem in _findings(locked_db)] == ["audit"]


def _old_database(path: Path, policy: OfficePolicy) -> None:
    """A database from before m012, with SNV's October locked the way locks were taken then."""
    old = Database(path)
    migrations.apply(old, stop_before="m012_month_roster")
    old.close()
    with Store(path, zone=ZONE, now=lambda: NOW, migrate=False) as store:
        judged_october(store, policy)
        bring_to(store, "approved", "SNV")
        user = store.user("nhansu", active_only=True)
        # the lock step of the time: the state, the step with the chain head, the audit row
        store.record_month_step("SNV", "2026-10", step="lock", from_state="approved", to_state="locked", user=user,
                                with_chain_head=True)
        assert "month_roster" not in store.db.table_names()


def _sheet_texts(store: Store, policy: OfficePolicy) -> list[str]:
    data, _ = export_timesheet(store, OCTOBER, policy.leave, file_format="xlsx", organisation="UBND tỉnh", now=NOW,
                               unit="SNV")
    book = load_workbook(BytesIO(data))
    try:
        return [str(c.value) for row in book["SNV"].iter_rows() for c in row if c.value is not None]
    finally:
        book.close()


def test_a_month_locked_before_the_upgrade_still_exports_live(tmp_path: Path, policy: OfficePolicy) -> None:
    path = tmp_path / "old.db"
    _old_database(path, policy)
    with Store(path, zone=ZONE, now=lambda: NOW) as store:  # opening applies the pending migration
        assert "month_roster" in store.db.table_names()
        assert store.month_state("SNV", "2026-10") == "locked"
        assert store.month_rosters("2026-10", ["SNV"]) == {}  # nothing invented for the old lock
        assert store.verify_integrity().ok
        store.upsert_employees([{"code": "NV001", "unit_code": "SNV", "full_name": "Nguyễn Thị Hoa Mai"}], actor="hr")
        assert "Nguyễn Thị Hoa Mai" in _sheet_texts(store, policy)  # live, as before the upgrade
        # a reopen and a new lock freeze the names from then on
        take_step(store, "reopen", "SNV", OCTOBER, "nhansu", today=TODAY, reason="khoá lại sau nâng cấp")
        Evaluation(store, policy, NOW).run()
        bring_to(store, "locked", "SNV")
        store.upsert_employees([{"code": "NV001", "unit_code": "SNV", "full_name": "Nguyễn Thị Hoa"}], actor="hr")
        texts = _sheet_texts(store, policy)
        assert "Nguyễn Thị Hoa Mai" in texts and "Nguyễn Thị Hoa" not in texts
        assert store.verify_integrity().ok
