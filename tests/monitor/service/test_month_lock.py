"""A locked month does not move: one test for each kind of change it must resist."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from monitor.errors import Refused
from monitor.service.evaluation import Evaluation
from monitor.service.month_close import take_step, unit_month
from monitor.store import Store
from tests.monitor.engine_helpers import OFFICE_TOML, ZONE, add_punches, parse_policy
from tests.monitor.month_helpers import NOW, OCTOBER, TODAY, bring_to, day_row

LOCK_NAMED = r"2026-10 of unit SNV is locked \(by nhansu on 2026-11-26 09:00\)"


@pytest.fixture
def locked(october_copy: Store) -> Store:
    bring_to(october_copy, "locked")
    return october_copy


def _snapshot(store: Store, unit: str = "SNV") -> list[tuple]:
    """Every October row judged under the unit, as stored (the time it was judged included)."""
    return list(store.db.conn.execute(
        "SELECT * FROM day_results WHERE substr(day, 1, 7) = '2026-10' AND unit_code = ? ORDER BY employee_code, day",
        (unit,)))


def test_leave_is_refused_naming_the_lock(locked: Store) -> None:
    with pytest.raises(Refused, match=LOCK_NAMED + ".*monitor month reopen --month 2026-10 --unit SNV"):
        locked.add_leave("NV001", date(2026, 10, 30), date(2026, 11, 2), part="full", kind="P", reason="phép", actor="hr")
    assert locked.leave_records() == []
    # leave in an open month (November) is still recorded
    locked.add_leave("NV001", date(2026, 11, 2), date(2026, 11, 2), part="full", kind="P", reason="phép", actor="hr")


def test_removing_leave_of_a_locked_month_is_refused(october_copy: Store) -> None:
    leave_id = october_copy.add_leave("NV001", date(2026, 10, 6), date(2026, 10, 6), part="full", kind="P",
                                      reason="phép", actor="hr")
    Evaluation(october_copy, parse_policy(OFFICE_TOML), NOW).run()
    bring_to(october_copy, "locked")
    with pytest.raises(Refused, match=LOCK_NAMED):
        october_copy.remove_leave(leave_id, reason="nhầm", actor="hr")
    assert october_copy.leave_record(leave_id)["removed_at"] is None


def test_leave_from_the_command_line_and_imports_are_refused(locked: Store, run, tmp_path) -> None:
    result = run("leave", "add", "NV001", "--from", "2026-10-12", "--kind", "P", "--reason", "phép")
    assert result.exit_code == 2
    assert "Error: NV001: 2026-10 of unit SNV is locked (by nhansu on 2026-11-26 09:00)" in result.output
    sheet = tmp_path / "leave.csv"
    sheet.write_text("employee,from,to,part,kind,reason\nNV001,2026-10-14,2026-10-14,full,P,phép\n", encoding="utf-8")
    result = run("import", "leave", str(sheet))
    assert result.exit_code == 2
    assert "2026-10 of unit SNV is locked (by nhansu on 2026-11-26 09:00)" in result.output
    assert locked.leave_records() == []


def test_a_late_punch_is_stored_listed_and_applied_only_after_a_reopen(locked: Store, policy) -> None:
    before = _snapshot(locked)
    add_punches(locked, "NV001 2026-10-07 07:31", "NV001 2026-10-07 17:05")  # a clock that was offline
    summary = Evaluation(locked, policy, NOW).run()
    assert _snapshot(locked) == before
    assert summary.locked == 1 and "kept as they were" in summary.warnings[-1] and "SNV 2026-10" in summary.warnings[-1]
    shown = unit_month(locked, {"code": "SNV", "name": "Sở Nội vụ"}, OCTOBER)
    assert [(p["employee_code"], p["punched_at"][:16]) for p in shown.after_lock] == [
        ("NV001", "2026-10-07T07:31"), ("NV001", "2026-10-07T17:05")]
    assert shown.waiting == 1
    take_step(locked, "reopen", "SNV", OCTOBER, "nhansu", today=TODAY, reason="máy chấm công gửi muộn")
    Evaluation(locked, policy, NOW).run()
    assert day_row(locked, "NV001", "2026-10-07")["status"] == "present"


def test_an_enrollment_attaching_old_punches_waits_for_a_reopen(locked: Store, policy) -> None:
    add_punches(locked, "NV009 2026-10-08 07:30", "NV009 2026-10-08 17:00")  # an unknown badge
    before = _snapshot(locked)
    locked.upsert_enrollments([{"device_id": "*", "device_user_id": "9", "employee_code": "NV001"}], actor="hr")
    Evaluation(locked, policy, NOW).run()
    assert _snapshot(locked) == before
    assert day_row(locked, "NV001", "2026-10-08")["status"] == "absent"
    assert locked.dirty_count(["NV001"], "2026-10") == 1  # judged when the month is reopened


def test_an_office_hours_change_applies_to_unlocked_days_only(locked: Store, policy) -> None:
    add_punches(locked, "NV001 2026-11-03 07:45", "NV001 2026-11-03 17:00")
    Evaluation(locked, policy, NOW).run()
    before = _snapshot(locked)
    assert day_row(locked, "NV001", "2026-10-05")["late_minutes"] == 15
    assert day_row(locked, "NV001", "2026-11-03")["late_minutes"] == 15
    later = parse_policy(OFFICE_TOML.replace("grace_in_minutes = 5\ngrace_out_minutes = 5\n\n[schedules.strict]",
                                             "grace_in_minutes = 20\ngrace_out_minutes = 5\n\n[schedules.strict]"))
    summary = Evaluation(locked, later, datetime(2026, 11, 26, 10, 0, tzinfo=ZONE)).run()
    assert _snapshot(locked) == before
    assert day_row(locked, "NV001", "2026-11-03")["late_minutes"] == 0  # 07:45 is within the new grace
    assert summary.locked > 0 and "in locked months kept as they were" in summary.warnings[-1]


def test_a_calendar_change_applies_to_unlocked_days_only(locked: Store) -> None:
    before = _snapshot(locked)
    later = parse_policy(OFFICE_TOML.replace(
        'days_off = [{date = 2026-01-02,',
        'days_off = [{date = 2026-10-09, name = "Nghỉ"}, {date = 2026-11-09, name = "Nghỉ"}, {date = 2026-01-02,'))
    Evaluation(locked, later, NOW).run()
    assert _snapshot(locked) == before
    assert day_row(locked, "NV001", "2026-11-09")["status"] == "holiday"
    assert day_row(locked, "NV001", "2026-10-09")["status"] == "absent"


def test_a_directory_change_does_not_delete_or_rejudge_locked_days(locked: Store, policy) -> None:
    before = _snapshot(locked)
    # hired later: the October days would no longer be judged, but a locked month keeps them
    locked.upsert_employees([{"code": "NV001", "full_name": "Nguyễn Thị Hoa", "unit_code": "SNV",
                              "hired_on": "2026-10-20"}], actor="hr")
    Evaluation(locked, policy, NOW).run()
    assert _snapshot(locked) == before


def test_rejudging_a_locked_month_is_refused_naming_the_lock(locked: Store, run) -> None:
    before = _snapshot(locked)
    result = run("evaluate", "--from", "2026-10-01", "--to", "2026-10-31")
    assert result.exit_code == 0, result.output
    assert ("warning: re-judging refused for locked months: SNV 2026-10 (locked by nhansu on 2026-11-26 09:00)"
            in result.output)
    assert _snapshot(locked) == before
    # PTC's October is not locked: it was judged again (under the config's own hours)
    assert day_row(locked, "NV002", "2026-10-02")["evaluated_at"] == "2026-11-26T09:00:00+07:00"
