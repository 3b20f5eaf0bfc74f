"""Closing the month: every step by every role, illegal steps, what blocks a submit,
signatures, reopen with history."""

from __future__ import annotations

import pytest

from monitor.errors import Refused
from monitor.reports.period import Month
from monitor.reports.sign_off import sign_off
from monitor.service.month_close import (
    STATES,
    STEPS,
    month_overview,
    pending_items,
    steps_for_all,
    take_step,
)
from monitor.store import Store
from tests.monitor.engine_helpers import add_punches
from monitor.service.evaluation import Evaluation
from tests.monitor.month_helpers import (
    NOW,
    OCTOBER,
    TODAY,
    bring_to,
)


@pytest.fixture
def october(october_copy) -> Store:
    return october_copy


# (step, user, unit, allowed) — the role rules of the issue as a table
ROLE_TABLE = [
    ("submit", "chamcong", "SNV", True),
    ("submit", "nhansu", "SNV", True),
    ("submit", "chamcong", "PTC", True),  # a timekeeper of SNV keeps the units below it
    ("submit", "chamcong", "STC", False),
    ("submit", "truongsnv", "SNV", False),
    ("submit", "quantri", "SNV", False),
    ("confirm", "truongsnv", "SNV", True),
    ("confirm", "truongubnd", "SNV", False),  # the head of the unit above is not this unit's head
    ("confirm", "nhansu", "SNV", False),
    ("confirm", "chamcong", "SNV", False),
    ("confirm", "quantri", "SNV", False),
    ("confirm", "truongstc", "SNV", False),
    ("approve", "nhansu", "SNV", True),
    ("approve", "truongubnd", "SNV", True),  # the parent unit's head
    ("approve", "truongsnv", "SNV", False),
    ("approve", "chamcong", "SNV", False),
    ("approve", "quantri", "SNV", False),
    ("lock", "nhansu", "SNV", True),
    ("lock", "quantri", "SNV", True),
    ("lock", "truongubnd", "SNV", False),
    ("lock", "chamcong", "SNV", False),
    ("reopen", "nhansu", "SNV", True),
    ("reopen", "quantri", "SNV", True),
    ("reopen", "truongsnv", "SNV", False),
    ("reopen", "truongubnd", "SNV", False),
    ("reopen", "chamcong", "SNV", False),
]
BEFORE = {"submit": "open", "confirm": "submitted", "approve": "confirmed", "lock": "approved", "reopen": "locked"}


@pytest.mark.parametrize(("step", "user", "unit", "allowed"), ROLE_TABLE,
                         ids=[f"{s}-{u}-{unit}-{'ok' if a else 'refused'}" for s, u, unit, a in ROLE_TABLE])
def test_who_may_take_each_step(october: Store, step: str, user: str, unit: str, allowed: bool) -> None:
    bring_to(october, BEFORE[step], unit)
    if allowed:
        result = take_step(october, step, unit, OCTOBER, user, today=TODAY, reason="sửa công")
        assert result.to_state == STEPS[step][1]
        assert october.month_state(unit, "2026-10") == STEPS[step][1]
    else:
        with pytest.raises(Refused, match=f"{user} .*may not") as refused:
            take_step(october, step, unit, OCTOBER, user, today=TODAY, reason="sửa công")
        assert unit in str(refused.value)
        assert october.month_state(unit, "2026-10") == BEFORE[step]


ILLEGAL = [(step, state) for step, (sources, _to) in STEPS.items() for state in STATES if state not in sources]


@pytest.mark.parametrize(("step", "state"), ILLEGAL, ids=[f"{step}-from-{state}" for step, state in ILLEGAL])
def test_illegal_steps_are_refused_with_the_state_named(october: Store, step: str, state: str) -> None:
    bring_to(october, state)
    with pytest.raises(Refused) as refused:
        take_step(october, step, "SNV", OCTOBER, "nhansu", today=TODAY, reason="x")
    message = str(refused.value)
    assert "SNV 2026-10" in message and (f"it is {state}" in message or "is locked" in message)
    assert october.month_state("SNV", "2026-10") == state


def test_the_one_who_confirmed_does_not_also_approve(october: Store) -> None:
    october.add_user("truong2", "mat-khau-thu-nghiem", role="manager", units=["SNV", "UBND"], actor="test")
    bring_to(october, "submitted")
    take_step(october, "confirm", "SNV", OCTOBER, "truong2", today=TODAY)
    with pytest.raises(Refused, match="confirmed SNV and may not also approve it"):
        take_step(october, "approve", "SNV", OCTOBER, "truong2", today=TODAY)


def test_a_month_not_over_is_not_submitted(october: Store) -> None:
    with pytest.raises(Refused, match="2026-11 is not over yet .* from 2026-12-01"):
        take_step(october, "submit", "SNV", Month(2026, 11), "nhansu", today=TODAY)


def test_pending_days_block_the_submit_and_are_listed(october: Store) -> None:
    add_punches(october, "NV001 2026-10-07 07:30")  # a clock that synced late: the day waits to be judged
    items = pending_items(october, "SNV", OCTOBER)
    assert [(item.kind, item.count) for item in items] == [("changed", 1)]
    with pytest.raises(Refused, match="SNV 2026-10 cannot be submitted yet: 1 employee-days changed"):
        take_step(october, "submit", "SNV", OCTOBER, "chamcong", today=TODAY)
    assert pending_items(october, "PTC", OCTOBER) == []  # another unit's month is not held up


def test_days_not_judged_yet_block_the_submit(october: Store) -> None:
    october.db.conn.execute("UPDATE judged_through SET through = '2026-10-20' WHERE employee_code = 'NV001'")
    [item] = pending_items(october, "SNV", OCTOBER)
    assert (item.kind, item.count) == ("not_judged", 1)
    assert "NV001" in item.detail and "monitor evaluate" in item.detail


def test_unknown_badges_on_the_units_clock_block_the_submit(october: Store) -> None:
    october.db.conn.execute("INSERT INTO devices(id, unit_code) VALUES ('cong-snv', 'SNV')")
    add_punches(october, "NV099 2026-10-08 07:30", device="cong-snv")
    [item] = pending_items(october, "SNV", OCTOBER)
    assert (item.kind, item.count) == ("unknown_badges", 1)
    assert "cong-snv/99" in item.detail


def test_each_step_records_who_and_when_and_the_lock_the_chain_head(october: Store, clock) -> None:
    bring_to(october, "locked")
    signed = sign_off(october, "SNV", "2026-10")
    assert (signed.submitted.name, signed.confirmed.name, signed.approved.name, signed.locked.name) == (
        "Hoàng Thị Chấm", "Phạm Quốc Hùng", "Ngô Văn Duyệt", "Đỗ Thị Nhân")
    assert signed.locked.at == clock.now
    assert signed.chain_head == october.get_meta("chain_head")
    audit = october.audit_log(entity="month", key="SNV/2026-10")
    assert [row["action"] for row in reversed(audit)] == ["submit", "confirm", "approve", "lock"]


def test_reopen_needs_a_reason_and_keeps_the_history_of_locks(october: Store, policy) -> None:
    bring_to(october, "locked")
    with pytest.raises(Refused, match="give a reason to reopen SNV 2026-10"):
        take_step(october, "reopen", "SNV", OCTOBER, "nhansu", today=TODAY, reason="  ")
    take_step(october, "reopen", "SNV", OCTOBER, "quantri", today=TODAY, reason="sửa công ngày 07/10")
    assert october.month_state("SNV", "2026-10") == "open"
    assert sign_off(october, "SNV", "2026-10").submitted is None  # signed again from the start
    assert october.dirty_count(["NV001"], "2026-10") == 31  # judged again before it is submitted again
    Evaluation(october, policy, NOW).run()
    bring_to(october, "locked")
    steps = [(row["step"], row["username"]) for row in october.month_steps("SNV", "2026-10")]
    assert steps.count(("lock", "nhansu")) == 2 and ("reopen", "quantri") in steps
    [reopen] = october.audit_log(entity="month", key="SNV/2026-10", limit=100)[4:5]
    assert (reopen["action"], reopen["reason"]) == ("reopen", "sửa công ngày 07/10")


def test_without_a_unit_a_step_is_taken_on_every_unit_ready_for_it(october: Store) -> None:
    for unit in ("SNV", "PTC"):
        bring_to(october, "approved", unit)
    done, skipped = steps_for_all(october, "lock", OCTOBER, "nhansu", today=TODAY)
    assert [result.unit for result in done] == ["PTC", "SNV"] and skipped == []
    with pytest.raises(Refused, match="no unit's 2026-10 is ready for nhansu to lock"):
        steps_for_all(october, "lock", OCTOBER, "nhansu", today=TODAY)


def test_the_overview_shows_state_pending_and_signatures(october: Store) -> None:
    bring_to(october, "confirmed")
    overview = {item.unit: item for item in month_overview(october, OCTOBER)}
    assert overview["SNV"].state == "confirmed" and overview["SNV"].sign_off.confirmed.username == "truongsnv"
    assert overview["PTC"].state == "open" and overview["PTC"].pending == []
