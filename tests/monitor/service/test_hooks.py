"""The wiring between requests, the month's close and the roll-call, against a real
database: a locked month refuses every step on its requests, pending requests block a
submit, approved requests are reasons (and corrections punches) on the roll-call."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from monitor.engine.requests import RequestPolicy
from monitor.errors import Refused
from monitor.reports.rollcall import rollcall
from monitor.service import month_close
from monitor.service.hooks import pending_requests_of_month
from monitor.service.month_close import pending_items, take_step
from monitor.service.requests import Actor, Draft, RequestDesk
from monitor.store import Store
from tests.monitor.month_helpers import NOW, OCTOBER, TODAY, bring_to

HR = Actor("nhansu", "hr")
HEAD_SNV = Actor("truongsnv", "manager", ("SNV",))
LOCKED = r"NV001: 2026-10 of unit SNV is locked \(by nhansu on 2026-11-26 09:00\); nothing in a locked month changes"


@pytest.fixture
def october(october_copy) -> Store:
    return october_copy


def desk(store: Store, policy) -> RequestDesk:
    return RequestDesk(store, policy, RequestPolicy(), NOW)


def leave(code: str, day: date, *, kind: str = "P", document: str | None = None) -> Draft:
    return Draft(code, "leave", day, "Nghỉ theo đơn", leave_kind=kind, document_no=document)


def test_every_step_on_a_request_in_a_locked_month_is_refused_naming_the_lock(october: Store, policy, monkeypatch) -> None:
    office = desk(october, policy)
    approved = office.file(HR, leave("NV001", date(2026, 10, 2)))
    office.decide(HEAD_SNV, approved, approve=True)
    # a database locked before this wiring may hold requests still pending in a locked month
    monkeypatch.setattr(month_close, "PENDING_SOURCES",
                        [s for s in month_close.PENDING_SOURCES if s is not pending_requests_of_month])
    pending = [office.file(HR, leave("NV001", date(2026, 10, d))) for d in (6, 7, 8)]
    bring_to(october, "locked")

    with pytest.raises(Refused, match=LOCKED):
        office.file(HR, leave("NV001", date(2026, 10, 9)))
    with pytest.raises(Refused, match=LOCKED):
        office.decide(HEAD_SNV, pending[0], approve=True)
    with pytest.raises(Refused, match=LOCKED):
        office.decide(HEAD_SNV, pending[0], approve=False, comment="Không đủ căn cứ")
    with pytest.raises(Refused, match=LOCKED):
        office.withdraw(HR, pending[1])
    with pytest.raises(Refused, match=LOCKED):
        office.revoke(HR, approved, "Duyệt nhầm")
    decided, refusals, _run = office.decide_many(HEAD_SNV, pending, approve=True)
    assert decided == [] and len(refusals) == 3 and all("2026-10 of unit SNV is locked" in r for r in refusals)
    assert [october.request(i)["status"] for i in (approved, *pending)] == ["approved", "pending", "pending", "pending"]
    # a leave request spanning into November is refused too: its October days are locked
    with pytest.raises(Refused, match=LOCKED):
        office.file(HR, Draft("NV001", "leave", date(2026, 10, 30), "Nghỉ phép", day_to=date(2026, 11, 3), leave_kind="P"))
    # November is open
    assert office.file(HR, leave("NV001", date(2026, 11, 27)))

    take_step(october, "reopen", "SNV", OCTOBER, "nhansu", today=TODAY, reason="Duyệt đơn còn treo")
    assert office.decide(HEAD_SNV, pending[0], approve=True).request["status"] == "approved"


def test_pending_requests_block_the_submit_and_are_listed(october: Store, policy) -> None:
    office = desk(october, policy)
    first = office.file(HR, leave("NV001", date(2026, 10, 2)))
    office.file(HR, Draft("NV001", "leave", date(2026, 9, 28), "Nghỉ phép", day_to=date(2026, 10, 1), leave_kind="P"))
    office.file(HR, leave("NV001", date(2026, 11, 2)))  # another month: not counted
    items = pending_items(october, "SNV", OCTOBER)
    assert [(i.kind, i.count, i.blocking) for i in items] == [("pending_requests", 2, True)]
    assert items[0].detail.startswith("2 requests still waiting for a decision (#1, #2)")
    with pytest.raises(Refused, match="SNV 2026-10 cannot be submitted yet: 2 requests still waiting"):
        take_step(october, "submit", "SNV", OCTOBER, "chamcong", today=TODAY)
    assert pending_items(october, "STC", OCTOBER) == []  # another unit's people

    office.decide(HEAD_SNV, first, approve=True)
    office.withdraw(HR, 2)
    assert pending_items(october, "SNV", OCTOBER) == []
    assert take_step(october, "submit", "SNV", OCTOBER, "chamcong", today=TODAY).to_state == "submitted"


def people(report: dict) -> dict[str, dict]:
    return {p["employee"]: p for unit in report["units"] for p in unit["people"]}


def test_the_roll_call_reads_approved_requests_and_corrections(october: Store, policy) -> None:
    office = desk(october, policy)
    at = datetime(2026, 10, 2, 9, 0)
    before = people(rollcall(october, policy, at))
    assert (before["NV001"]["group"], before["NV002"]["group"]) == ("absent", "absent")

    trip = office.file(HR, leave("NV001", date(2026, 10, 2), kind="CT", document="QĐ 12/QĐ-SNV"))
    office.decide(HEAD_SNV, trip, approve=True)
    meeting = office.file(HR, Draft("NV002", "explanation", date(2026, 10, 2), "Dự hội nghị tại tỉnh",
                                    violation="absent", category="hop", document_no="GM 7/GM-UBND"))
    office.decide(HR, meeting, approve=True)
    after = people(rollcall(october, policy, at))
    assert after["NV001"]["group"] == "excused"
    assert {k: after["NV001"]["leave"][k] for k in ("kind", "part", "document", "source", "record")} == {
        "kind": "CT", "part": "full", "document": "QĐ 12/QĐ-SNV", "source": "request", "record": f"#{trip}"}
    assert after["NV002"]["group"] == "excused"
    assert {k: after["NV002"]["leave"][k] for k in ("kind", "name", "document", "note")} == {
        "kind": "H", "name": "Hội nghị, học tập", "document": "GM 7/GM-UBND", "note": "Dự hội nghị tại tỉnh"}

    # a revoked approval is no reason any more
    office.revoke(HR, meeting, "Duyệt nhầm")
    assert people(rollcall(october, policy, at))["NV002"]["group"] == "absent"

    # an approved correction's arrival counts as a punch at the moment
    fixed = office.file(HR, Draft("NV002", "correction", date(2026, 10, 2), "Máy chấm công hỏng",
                                  claimed_in=time(7, 28)))
    office.decide(HR, fixed, approve=True)
    present = people(rollcall(october, policy, at))["NV002"]
    assert (present["group"], present["since"]) == ("present", "07:28:00")
