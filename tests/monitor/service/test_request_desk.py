"""Filing and deciding requests against a real database: routing, the deadline, the
effects on judged days and reports, attachments, refusals, and properties."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, datetime, time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.engine.requests import RequestPolicy
from monitor.errors import NotFound, Refused
from monitor.reports.attendance import day_report, employee_report, month_report
from monitor.reports.period import Month
from monitor.reports.timesheet import build_timesheets
from monitor.service.evaluation import Evaluation
from monitor.service.requests import (
    Actor,
    Draft,
    RequestDesk,
    files_dir,
    pending_for_approver,
    read_attachment,
)
from monitor.store import Store
from tests.conftest import FIXED_NOW
from tests.monitor.engine_helpers import ZONE, add_punches, fill_directory

NOVEMBER = Month(2026, 11)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HR = Actor("nhansu", "hr")
STAFF = Actor("nv001", "staff", (), "NV001")
HEAD_SNV = Actor("truongsnv", "manager", ("SNV",), None)
HEAD_PTC = Actor("truongptc", "manager", ("PTC",), "NV002")  # NV002 heads PTC
HEAD_STC = Actor("truongstc", "manager", ("STC",), None)
PASSWORD = "mat-khau-thu-nghiem"


def build(store: Store, policy) -> Store:
    """NV001 (SNV): late 11 min on 25/11, no departure on 23/11, absent on 20/11; NV002
    (PTC) on time; then users for each role."""
    fill_directory(store)
    stamps = []
    for day in ("2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-25", "2026-11-23"):
        for code in ("NV001", "NV002"):
            times = ["07:25", "17:05"]
            if code == "NV001" and day == "2026-11-25":
                times = ["07:41:10", "17:02"]
            if code == "NV001" and day == "2026-11-23":
                times = ["07:28"]
            stamps += [f"{code} {day} {t}" for t in times]
    stamps += ["NV002 2026-11-20 07:20", "NV002 2026-11-20 17:10"]
    add_punches(store, *stamps)
    Evaluation(store, policy, FIXED_NOW).run()
    for actor in (STAFF, HEAD_SNV, HEAD_PTC, HEAD_STC, HR):
        store.add_user(actor.username, PASSWORD, role=actor.role, units=actor.units, employee_code=actor.employee_code,
                       actor="test")
    return store


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, policy) -> Path:
    path = tmp_path_factory.mktemp("requests") / "template.db"
    store = Store(path, zone=ZONE, now=lambda: FIXED_NOW, create=True)
    build(store, policy)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture
def office(template: Path, tmp_path: Path, clock) -> Store:
    path = tmp_path / "office.db"
    shutil.copyfile(template, path)
    store = Store(path, zone=ZONE, now=clock)
    yield store
    store.close()


@pytest.fixture
def desk(office: Store, policy) -> RequestDesk:
    return RequestDesk(office, policy, RequestPolicy(), FIXED_NOW)


def day_of(store: Store, code: str, day: str) -> dict:
    return next(r for r in day_report(store, date.fromisoformat(day)) if r["employee"] == code)


def punch_log(store: Store) -> list[tuple]:
    return list(store.db.conn.execute("SELECT * FROM punches ORDER BY id"))


def explain_late(desk: RequestDesk, actor: Actor = STAFF, minutes: int | None = None) -> int:
    return desk.file(actor, Draft("NV001", "explanation", date(2026, 11, 25), "Họp giao ban tại UBND tỉnh",
                                  violation="late", minutes=minutes, category="hop", document_no="GM 45/GM-UBND"))


def test_an_approved_explanation_excuses_the_lateness_beside_the_judgement(desk: RequestDesk, office: Store, policy) -> None:
    log_before = punch_log(office)
    request_id = explain_late(desk)
    row = office.request(request_id)
    assert (row["status"], row["approver_unit"], row["filed_by"], row["on_behalf"]) == ("pending", "SNV", "nv001", 0)
    assert day_of(office, "NV001", "2026-11-25")["requests"] == [{"id": request_id, "kind": "explanation", "status": "pending"}]

    decision = desk.decide(HEAD_SNV, request_id, approve=True, comment="Đồng ý")
    assert decision.request["status"] == "approved" and decision.judged.judged >= 1
    day = day_of(office, "NV001", "2026-11-25")
    assert (day["late_minutes"], day["excused_late_minutes"], day["symbol"], day["approved_symbol"]) == (11, 11, "+", "+")
    assert day["requests"] == [{"id": request_id, "kind": "explanation", "status": "approved"}]
    month = month_report(office, policy, NOVEMBER, employee="NV001")[0]
    assert (month["late_count"], month["late_minutes"], month["late_count_after"], month["late_minutes_after"]) == (1, 11, 0, 0)
    assert punch_log(office) == log_before and office.verify_chain().ok
    actions = [(a["actor"], a["action"]) for a in reversed(office.audit_log("request", str(request_id)))]
    assert actions == [("nv001", "file"), ("truongsnv", "approve")]


def test_part_of_a_lateness_excused_still_counts_as_late(desk: RequestDesk, office: Store, policy) -> None:
    request_id = explain_late(desk, minutes=6)
    desk.decide(HEAD_SNV, request_id, approve=True)
    month = month_report(office, policy, NOVEMBER, employee="NV001")[0]
    assert (month["late_count_after"], month["late_minutes_after"]) == (1, 5)


def test_an_approved_correction_adds_a_manual_punch_and_rejudges_at_once(desk: RequestDesk, office: Store, policy) -> None:
    log_before = punch_log(office)
    assert day_of(office, "NV001", "2026-11-23")["missing_out"] == 1
    request_id = desk.file(STAFF, Draft("NV001", "correction", date(2026, 11, 23), "Quên chấm công ra",
                                        claimed_out=time(17, 5)))
    desk.decide(HEAD_SNV, request_id, approve=True)
    day = day_of(office, "NV001", "2026-11-23")
    assert (day["departure"], day["missing_out"], day["corrected"]) == ("17:05:00", 0, True)
    manual = office.manual_punches_between("NV001", date(2026, 11, 23), date(2026, 11, 23))
    assert [(m["direction"], m["author"], m["approver"], m["request_id"]) for m in manual] == [
        ("out", "nv001", "truongsnv", request_id)]
    assert punch_log(office) == log_before and office.verify_chain().ok
    sheet = build_timesheets(office, NOVEMBER, policy.leave, "SNV")[0]
    assert next(r for r in sheet.rows if r.employee == "NV001").symbols[23] == "+*"
    assert month_report(office, policy, NOVEMBER, employee="NV001")[0]["corrected_days"] == 1

    desk.revoke(HR, request_id, "Duyệt nhầm: camera cho thấy về lúc 15:00")
    day = day_of(office, "NV001", "2026-11-23")
    assert (day["missing_out"], day["corrected"]) == (1, False)
    assert office.manual_punches_between("NV001", date(2026, 11, 23), date(2026, 11, 23)) == []
    assert office.request(request_id)["status"] == "revoked"


def test_an_absence_excused_as_a_business_trip_shows_ct(desk: RequestDesk, office: Store, policy) -> None:
    request_id = desk.file(HEAD_SNV, Draft("NV001", "explanation", date(2026, 11, 20), "Đi công tác huyện",
                                           violation="absent", category="cong_tac", document_no="QĐ 123/QĐ-SNV"))
    assert office.request(request_id)["on_behalf"] == 1
    desk.decide(HR, request_id, approve=True)
    day = day_of(office, "NV001", "2026-11-20")
    assert (day["status"], day["symbol"], day["approved_symbol"], day["excused_absence"]) == ("absent", "KP", "CT", 1)
    month = month_report(office, policy, NOVEMBER, employee="NV001")[0]
    assert (month["absent_days"], month["absent_days_after"]) == (1, 0)
    sheet = build_timesheets(office, NOVEMBER, policy.leave, "SNV")[0]
    row = next(r for r in sheet.rows if r.employee == "NV001")
    assert row.symbols[20] == "CT" and row.paid_by_time == 7  # 16-20, 23, 25: a business trip is paid as work


def test_approved_leave_becomes_a_leave_record(desk: RequestDesk, office: Store) -> None:
    request_id = desk.file(STAFF, Draft("NV001", "leave", date(2026, 11, 30), "Nghỉ phép năm",
                                        day_to=date(2026, 12, 1), leave_kind="P"))
    desk.decide(HEAD_SNV, request_id, approve=True)
    leave = office.leave_records(["NV001"], date(2026, 11, 30), date(2026, 12, 1))
    assert [(r["kind"], r["date_from"], r["date_to"], r["request_id"]) for r in leave] == [
        ("P", "2026-11-30", "2026-12-01", request_id)]
    desk.revoke(HEAD_SNV, request_id, "Hủy kế hoạch")
    assert office.leave_records(["NV001"], date(2026, 11, 30), date(2026, 12, 1)) == []


def test_routing_a_managers_own_request_and_whole_days(office: Store, policy) -> None:
    desk = RequestDesk(office, policy, RequestPolicy(whole_day_to_parent={"PTC": True}), FIXED_NOW)
    own = desk.file(HEAD_PTC, Draft("NV002", "leave", date(2026, 11, 27), "Việc gia đình", leave_kind="P",
                                    part="morning"))
    assert office.request(own)["approver_unit"] == "SNV"  # NV002 heads PTC: goes above
    with pytest.raises(Refused, match="nobody decides their own request"):
        desk.decide(HEAD_PTC, own, approve=True)
    with pytest.raises(Refused, match="for the manager of SNV to decide"):
        desk.decide(HEAD_STC, own, approve=True)
    assert [r["id"] for r in pending_for_approver(office, "truongsnv")] == [own]
    assert pending_for_approver(office, "truongptc") == []


def test_deciding_twice_and_rejecting_without_a_comment_are_refused(desk: RequestDesk, office: Store) -> None:
    request_id = explain_late(desk)
    with pytest.raises(Refused, match="give a comment when rejecting"):
        desk.decide(HEAD_SNV, request_id, approve=False)
    desk.decide(HEAD_SNV, request_id, approve=False, comment="Không có giấy mời")
    with pytest.raises(Refused, match=r"request #\d+ is already rejected by truongsnv on .*; a decision is final"):
        desk.decide(HR, request_id, approve=True)
    with pytest.raises(Refused, match="only an approval can be revoked"):
        desk.revoke(HR, request_id, "x")
    with pytest.raises(Refused, match="nobody decides their own request"):
        desk.decide(STAFF, explain_late(desk, HR), approve=True)
    other = desk.file(HR, Draft("NV002", "correction", date(2026, 11, 25), "Quên", claimed_in=time(7, 25)))
    with pytest.raises(Refused, match="only a manager or HR decides requests"):
        desk.decide(STAFF, other, approve=True)


def test_the_deadline_binds_staff_and_managers_not_hr(desk: RequestDesk, office: Store) -> None:
    draft = Draft("NV001", "correction", date(2026, 11, 16), "Quên chấm công", claimed_in=time(7, 30))
    # 17, 18, 19, 20, 23 (24/11 is a holiday) are five working days: 16/11 closed on 23/11
    with pytest.raises(Refused, match="the deadline for requests about 2026-11-16 was 2026-11-23"):
        desk.file(STAFF, draft)
    with pytest.raises(Refused, match="the deadline"):
        desk.file(HEAD_SNV, draft)
    assert office.request(desk.file(HR, draft))["on_behalf"] == 1


@pytest.mark.parametrize(
    ("actor", "draft", "message"),
    [
        (STAFF, Draft("NV002", "correction", date(2026, 11, 25), "x", claimed_in=time(7, 0)), "may not file requests for NV002"),
        (HEAD_STC, Draft("NV001", "correction", date(2026, 11, 25), "x", claimed_in=time(7, 0)), "not in your units"),
        (STAFF, Draft("NV001", "explanation", date(2026, 11, 25), "x", violation="early", category="hop"), "has no early to explain"),
        (STAFF, Draft("NV001", "explanation", date(2026, 11, 25), "x", violation="late", minutes=30, category="hop"), "not between 1 and the 11 minutes"),
        (STAFF, Draft("NV001", "explanation", date(2026, 11, 25), "x", violation="late", category="picnic"), "unknown reason category"),
        (STAFF, Draft("NV001", "correction", date(2026, 11, 25), "x"), "claims an arrival"),
        (STAFF, Draft("NV001", "correction", date(2026, 11, 27), "x", claimed_in=time(7, 0)), "has not happened yet"),
        (STAFF, Draft("NV001", "leave", date(2026, 11, 30), "x", leave_kind="CT"), "carries the assignment's document number"),
        (STAFF, Draft("NV001", "leave", date(2026, 11, 30), "x", leave_kind="ZZ"), "unknown leave kind"),
        (STAFF, Draft("NV001", "leave", date(2026, 11, 30), "   ", leave_kind="P"), "give a reason"),
    ],
    ids=["staff-other", "other-unit-manager", "violation-not-held", "minutes-over", "bad-category", "no-times",
         "future-correction", "trip-without-document", "unknown-kind", "no-reason"],
)
def test_bad_requests_are_refused_with_one_clear_line(desk: RequestDesk, actor: Actor, draft: Draft, message: str) -> None:
    with pytest.raises(Refused, match=message):
        desk.file(actor, draft)


def test_withdrawing_a_pending_request(desk: RequestDesk, office: Store) -> None:
    request_id = explain_late(desk)
    with pytest.raises(Refused, match="only whoever filed"):
        desk.withdraw(HEAD_STC, request_id)
    assert desk.withdraw(STAFF, request_id)["status"] == "withdrawn"
    with pytest.raises(Refused, match="already withdrawn"):
        desk.decide(HEAD_SNV, request_id, approve=True)


def test_attachments_are_kept_by_sha256_and_checked(desk: RequestDesk, office: Store, policy) -> None:
    request_id = explain_late(desk)
    file_id = desk.attach(STAFF, request_id, "C:\\Users\\lan\\giay-moi.pdf", PDF)
    row = office.request_file(file_id)
    assert (row["file_name"], row["content_type"], row["size"]) == ("giay-moi.pdf", "application/pdf", len(PDF))
    assert row["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (files_dir(office) / row["sha256"][:2] / row["sha256"]).read_bytes() == PDF
    assert read_attachment(office, row) == PDF
    with pytest.raises(Refused, match="not a PDF, JPEG or PNG"):
        desk.attach(STAFF, request_id, "virus.pdf", b"MZ\x90\x00" + b"\x00" * 50)
    small = RequestDesk(office, policy, RequestPolicy(max_file_bytes=10), FIXED_NOW)
    with pytest.raises(Refused, match="over the limit of 10"):
        small.attach(STAFF, request_id, "big.pdf", PDF)
    (files_dir(office) / row["sha256"][:2] / row["sha256"]).write_bytes(PDF + b"tampered")
    with pytest.raises(Refused, match="changed on disk"):
        read_attachment(office, row)


def test_bulk_decisions_leave_the_refused_ones_and_rejudge_once(desk: RequestDesk, office: Store, policy) -> None:
    late = explain_late(desk)
    fix = desk.file(STAFF, Draft("NV001", "correction", date(2026, 11, 23), "Quên", claimed_out=time(17, 0)))
    decided, refusals, judged = desk.decide_many(HEAD_SNV, [late, fix, late, 999], approve=True, comment="OK")
    assert sorted(r["id"] for r in decided) == [late, fix]
    assert refusals == ["#999: no request #999 (list them with 'monitor requests list')"]
    report = employee_report(office, policy, "NV001", NOVEMBER)["employee"]
    assert (report["late_count_after"], report["missing_punches_after"], report["corrected_days"]) == (0, 0, 1)


def test_unknown_request_and_user(office: Store) -> None:
    with pytest.raises(NotFound, match=r"no request #42 \(list them with 'monitor requests list'\)"):
        office.request(42)
    with pytest.raises(NotFound, match="no user 'nobody'"):
        pending_for_approver(office, "nobody")


# --- properties ---------------------------------------------------------------------------

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["explain", "correct", "leave", "approve", "reject", "revoke", "withdraw"]),
        st.integers(min_value=0, max_value=5),
    ),
    min_size=1,
    max_size=10,
)


def _judged(store: Store) -> list[tuple]:
    columns = "employee_code, day, status, arrival, departure, late_minutes, missing_out, excused_late_minutes," \
              " excused_absent_fraction, approved_symbol, corrected, symbol, punch_ids"
    return list(store.db.conn.execute(f"SELECT {columns} FROM day_results ORDER BY employee_code, day"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_no_sequence_of_requests_changes_the_punch_log_and_rejudging_is_idempotent(
        template: Path, tmp_path_factory: pytest.TempPathFactory, policy, operations) -> None:
    path = tmp_path_factory.mktemp("property") / "p.db"
    shutil.copyfile(template, path)
    with Store(path, zone=ZONE, now=lambda: FIXED_NOW) as store:
        desk = RequestDesk(store, policy, RequestPolicy(), FIXED_NOW)
        log_before = punch_log(store)
        filed: list[int] = []
        for operation, pick in operations:
            target = filed[pick % len(filed)] if filed else None
            try:
                if operation == "explain":
                    filed.append(explain_late(desk, minutes=pick or None))
                elif operation == "correct":
                    filed.append(desk.file(STAFF, Draft("NV001", "correction", date(2026, 11, 23), "Quên",
                                                        claimed_out=time(16, 30 + pick))))
                elif operation == "leave":
                    filed.append(desk.file(STAFF, Draft("NV001", "leave", date(2026, 11, 20), "Ốm",
                                                        leave_kind="Ô", part=("full", "morning")[pick % 2])))
                elif target is None:
                    continue
                elif operation in ("approve", "reject"):
                    status = store.request(target)["status"]
                    try:
                        desk.decide(HEAD_SNV, target, approve=operation == "approve", comment="lý do")
                    except Refused:
                        # deciding twice is refused, and the refusal changes nothing
                        assert status != "pending" or operation == "approve"
                        assert store.request(target)["status"] == status
                    else:
                        assert status == "pending"
                elif operation == "revoke":
                    desk.revoke(HR, target, "nhầm")
                else:
                    desk.withdraw(STAFF, target)
            except Refused:
                continue
        assert punch_log(store) == log_before
        assert store.verify_chain().ok
        judged = _judged(store)
        Evaluation(store, policy, FIXED_NOW).run(day_from=date(2026, 11, 16), day_to=date(2026, 11, 26))
        assert _judged(store) == judged
