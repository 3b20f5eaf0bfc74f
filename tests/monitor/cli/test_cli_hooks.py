"""The request commands refuse a day of a locked month with one line naming the lock
(exit 2), as the leave commands do."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from monitor.engine.requests import RequestPolicy
from monitor.service import month_close
from monitor.service.hooks import pending_requests_of_month
from monitor.service.requests import Actor, Draft, RequestDesk
from monitor.store import Store
from tests.monitor.engine_helpers import OFFICE_TOML, parse_policy
from tests.monitor.month_helpers import NOW, bring_to

LOCK = ("Error: NV001: 2026-10 of unit SNV is locked (by nhansu on 2026-11-26 09:00); nothing in a locked month"
        " changes. Ask HR to reopen it first (monitor month reopen --month 2026-10 --unit SNV --reason ...)\n")


def test_request_commands_refuse_a_locked_month(run, tmp_path: Path, db_path: Path, october_copy: Store,
                                                monkeypatch) -> None:
    desk = RequestDesk(october_copy, parse_policy(OFFICE_TOML), RequestPolicy(), NOW)
    hr = Actor("nhansu", "hr")
    approved = desk.file(hr, Draft("NV001", "leave", date(2026, 10, 2), "Nghỉ phép", leave_kind="P"))
    desk.decide(Actor("truongsnv", "manager", ("SNV",)), approved, approve=True)
    # a database locked before requests blocked the submit may still hold a pending one
    monkeypatch.setattr(month_close, "PENDING_SOURCES",
                        [s for s in month_close.PENDING_SOURCES if s is not pending_requests_of_month])
    pending = desk.file(hr, Draft("NV001", "leave", date(2026, 10, 6), "Nghỉ phép", leave_kind="P"))
    bring_to(october_copy, "locked")
    config = tmp_path / "engine.toml"
    config.write_text(f'[storage]\ndatabase = "{db_path.name}"\n' + OFFICE_TOML, encoding="utf-8")

    filed = run("explain", "NV001", "--date", "2026-10-05", "--reason", "Họp giao ban", "--category", "hop", config=config)
    assert (filed.exit_code, filed.stderr) == (2, LOCK)
    revoked = run("requests", "revoke", str(approved), "--reason", "Duyệt nhầm", config=config)
    assert (revoked.exit_code, revoked.stderr) == (2, LOCK)
    withdrawn = run("requests", "withdraw", str(pending), config=config)
    assert (withdrawn.exit_code, withdrawn.stderr) == (2, LOCK)
    approve = run("requests", "approve", str(pending), config=config)
    assert (approve.exit_code, approve.stderr) == (2, LOCK)
    assert [october_copy.request(i)["status"] for i in (approved, pending)] == ["approved", "pending"]
