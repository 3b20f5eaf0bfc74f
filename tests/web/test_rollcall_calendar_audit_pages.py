"""The roll-call, calendar and audit pages: who may see them, their filters, the CSV, the
JSON twins; and the roll-call and calendar pages in a real Chromium, in Vietnamese."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from monitor.store import Store
from tests.conftest import FIXED_NOW, ZONE
from tests.web.conftest import PASSWORD
from tests.web.test_browser import log_in


@pytest.fixture
def with_timekeeper(web_config: Path) -> Path:
    with Store(web_config.parent / "web.db", zone=ZONE, now=lambda: FIXED_NOW) as store:
        store.add_user("chamcong", PASSWORD, role="timekeeper", units=["SNV"], actor="test")
    return web_config


@pytest.fixture
def cli_config(web_config: Path) -> Path:
    """A config for the CLI on the web's database (the ``run`` fixture writes its own
    config.toml beside web_config, so this one lives in a folder of its own)."""
    folder = web_config.parent / "cli"
    folder.mkdir()
    path = folder / "config.toml"
    path.write_text(f'[storage]\ndatabase = "{(web_config.parent / "web.db").as_posix()}"\n', encoding="utf-8")
    return path


# --- the audit page ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "status"),
    [("admin", 200), ("nhansu", 200), ("truongsnv", 403), ("chamcong", 403), (None, 302)],
    ids=["admin", "hr", "manager", "timekeeper", "anonymous"],
)
@pytest.mark.parametrize("path", ["/audit", "/audit.csv", "/api/audit", "/calendar", "/api/calendar"])
def test_who_may_see_the_audit_trail_and_the_calendar(with_timekeeper, auth_for, user, status, path) -> None:
    client, auth = auth_for(with_timekeeper)
    if user:
        auth.login(user)
    response = client.get(path)
    if user is None and path.startswith("/api/"):
        assert response.status_code == 401 and response.is_json  # the anonymous get JSON under /api/
        return
    assert response.status_code == status
    if user is None:
        assert response.headers["Location"].startswith("/login")


def _api(client, **filters) -> dict:
    response = client.get("/api/audit", query_string=filters)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_changes_from_the_cli_and_the_web_appear_with_before_after_and_reason(client, auth, run, cli_config) -> None:
    result = run("leave", "add", "NV002", "--from", "2026-11-27", "--kind", "P", "--reason", "Nghỉ phép năm",
                 config=cli_config)
    assert result.exit_code == 0, result.output
    auth.login("nhansu")
    token = auth.csrf("/close?month=2026-10")
    assert client.post("/close/SNV/submit", data={"csrf_token": token, "month": "2026-10"}).status_code == 303
    cli_rows = _api(client, actor="tester")["rows"]
    # 'leave add' is HR's file-and-approve shortcut: the request, its approval and the leave, newest first
    assert [(r["action"], r["entity"], r["employee"], r["unit"], r["reason"]) for r in cli_rows] == [
        ("approve", "request", "NV002", "SNV-TC", "lập và duyệt bởi nhân sự"),
        ("add", "leave", "NV002", "SNV-TC", "request #1: Nghỉ phép năm"),
        ("file", "request", "NV002", "SNV-TC", "Nghỉ phép năm")]
    assert {"field": "kind", "before": None, "after": "P"} in cli_rows[1]["changes"]
    web_rows = _api(client, actor="nhansu")["rows"]
    assert [(r["action"], r["entity"], r["entity_key"], r["unit"], r["changes"]) for r in web_rows] == [
        ("submit", "month", "SNV/2026-10", "SNV", [{"field": "state", "before": "open", "after": "submitted"}])]
    # the step row's digest, which monitor verify checks the row against, is recorded
    # but not listed as a change someone made
    assert re.fullmatch(r"\d+:[0-9a-f]{64}", web_rows[0]["after"]["step"])
    page = client.get("/audit?entity=month").get_data(as_text=True)
    assert "<strong>state</strong>: <del>open</del> → <ins>submitted</ins>" in page


def test_filters_by_who_what_when_employee_and_unit(client, auth, run, cli_config) -> None:
    run("leave", "add", "NV001", "--from", "2026-11-27", "--kind", "P", "--reason", "phép", config=cli_config)
    run("leave", "add", "NV003", "--from", "2026-11-27", "--kind", "Ô", "--reason", "ốm", config=cli_config)
    auth.login("admin")
    everything = _api(client)["total"]
    assert _api(client, actor="tester")["total"] == 6  # each 'leave add': file, approve, add
    assert _api(client, entity="leave", action="add")["total"] == 2
    assert _api(client, entity="user")["total"] == 4
    assert [r["employee"] for r in _api(client, employee="NV003", entity="leave")["rows"]] == ["NV003"]
    # a unit and those below it: SNV's rows include SNV-TC's employee NV002
    snv = {(r["entity"], r["entity_key"]) for r in _api(client, unit="SNV")["rows"]}
    assert ("employee", "NV002") in snv and ("unit", "SNV-TC") in snv and ("employee", "NV003") not in snv
    assert _api(client, **{"from": "2026-11-26", "to": "2026-11-26"})["total"] == everything
    assert _api(client, **{"from": "2026-11-27"})["total"] == 0
    assert _api(client, **{"to": "2026-11-25"})["total"] == 0
    assert client.get("/api/audit?from=26/11/2026").status_code == 400
    assert client.get("/api/audit?unit=NOPE").status_code == 400
    assert client.get("/api/audit?page=0").status_code == 400


def test_paged_newest_first(client, auth, web_config) -> None:
    with Store(web_config.parent / "web.db", zone=ZONE, now=lambda: FIXED_NOW) as store, store.write():
        for n in range(60):
            store.audit("bulk", "update", "unit", "STC", {"name": f"v{n}"}, {"name": f"v{n + 1}"}, f"lần {n}")
    auth.login("nhansu")
    first, second = _api(client, actor="bulk"), _api(client, actor="bulk", page=2)
    assert (first["total"], len(first["rows"]), len(second["rows"])) == (60, 50, 10)
    assert first["rows"][0]["reason"] == "lần 59" and second["rows"][-1]["reason"] == "lần 0"
    page = client.get("/audit?actor=bulk").get_data(as_text=True)
    assert "60 thay đổi; trang 1/2." in page
    assert 'href="/audit?actor=bulk&amp;page=2" rel="next"' in page
    assert "<del>v59</del> → <ins>v60</ins>" in page


def test_the_csv_export_guards_against_formulas(client, auth, run, cli_config) -> None:
    run("leave", "add", "NV001", "--from", "2026-11-27", "--kind", "P", "--reason", "=HYPERLINK(\"http://x\",\"y\")",
        config=cli_config)
    run("leave", "add", "NV003", "--from", "2026-11-27", "--kind", "P", "--reason", "@SUM(1)", config=cli_config)
    auth.login("nhansu")
    response = client.get("/audit.csv?actor=tester&entity=request&action=file")  # the reasons as typed
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffid,at,actor,action,entity,entity_key,employee,unit,changes,reason,before,after")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert sorted(r["reason"] for r in rows) == ["'=HYPERLINK(\"http://x\",\"y\")", "'@SUM(1)"]
    assert all(not r["changes"].startswith(("=", "+", "-", "@")) for r in rows)


# --- the calendar page ---------------------------------------------------------------------


def test_the_calendar_page_shows_each_source(client, auth) -> None:
    auth.login("nhansu")
    page = client.get("/calendar?year=2026").get_data(as_text=True)
    assert 'data-date="2026-01-02" data-source="decision" data-kind="day_off"' in page
    assert 'data-date="2026-01-10" data-source="decision" data-kind="workday"' in page
    assert "12729/VPCP-KGVX ngày 25/12/2025" in page
    assert "chưa có văn bản xác nhận" in page
    data = client.get("/api/calendar?year=2026&unit=SNV").get_json()
    assert data["unit"] == "SNV" and {d["source"] for d in data["days"]} == {"package", "decision"}
    assert client.get("/calendar?year=abc").status_code == 400
    assert client.get("/calendar?unit=NOPE").status_code == 404


# --- the roll-call page --------------------------------------------------------------------


def test_the_rollcall_page_and_its_json_twin(client, auth) -> None:
    auth.login("nhansu")
    data = client.get("/api/rollcall?at=2026-11-25T09:50").get_json()
    assert data["counts"] == {"present": 2, "excused": 0, "absent": 1, "off": 0, "total": 3}
    page = client.get("/rollcall?at=2026-11-25T09:50").get_data(as_text=True)
    assert "BIÊN BẢN ĐIỂM DANH" in page and "Vào lúc 09:50 ngày 25/11/2026" in page
    assert "Trưởng đoàn kiểm tra" in page
    assert 'data-employee="NV003" data-group="absent"' in page
    assert client.get("/rollcall?at=hôm qua").status_code == 400


def test_a_manager_counts_only_their_units(client, auth) -> None:
    auth.login("truongsnv")
    data = client.get("/api/rollcall?at=2026-11-25T09:50").get_json()
    assert [u["unit"] for u in data["units"]] == ["SNV", "SNV-TC"]
    assert client.get("/api/rollcall?at=2026-11-25T09:50&unit=STC").status_code == 404
    assert client.get("/rollcall?unit=STC").status_code == 404


# --- in a real browser ---------------------------------------------------------------------


def test_hr_prints_a_rollcall_in_chromium(live_server: str, page) -> None:
    log_in(page, live_server, "nhansu")
    page.get_by_role("link", name="Điểm danh").click()
    page.get_by_label("Thời điểm").fill("2026-11-25T09:50")
    page.get_by_role("button", name="Xem").click()
    page.locator("#moment").wait_for()
    assert page.locator("#moment").inner_text() == "Vào lúc 09:50 ngày 25/11/2026"
    total = page.locator("#counts tfoot td, #counts tfoot th").all_inner_texts()
    assert total == ["Cộng", "3", "2", "0", "1", "0"]
    absent = page.locator("tr[data-employee='NV003']")
    assert absent.locator("td").nth(1).inner_text() == "Vắng không lý do"
    assert absent.locator("td").nth(2).inner_text() == "chưa đến"
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.locator("form.filters").is_hidden()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


def test_hr_checks_the_calendar_in_chromium(live_server: str, page) -> None:
    log_in(page, live_server, "nhansu")
    page.locator("details.menu summary").click()
    page.get_by_role("link", name="Lịch nghỉ").click()
    page.get_by_label("Năm").fill("2026")
    page.get_by_role("button", name="Xem").click()
    row = page.locator("#calendar tr[data-date='2026-01-02'] td")
    row.first.wait_for()
    assert row.all_inner_texts() == ["Thứ Sáu 02/01/2026", "Nghỉ", "Nghỉ Tết Dương lịch (hoán đổi, làm bù thứ Bảy 10/01/2026)",
                                     "văn bản kèm theo", "12729/VPCP-KGVX ngày 25/12/2025"]
    cultural = page.locator("#calendar tr[data-date='2026-11-24'] td").nth(3).inner_text()
    assert cultural.splitlines() == ["gói holidays", "chưa có văn bản xác nhận"]


def test_the_roll_calls_words_follow_each_requests_language(client, auth) -> None:
    # a filter called with a literal would be folded into the compiled template at the
    # first render, freezing the page in that language for everyone after
    auth.login("nhansu")
    client.get("/language/vi")
    assert "Vắng có lý do" in client.get("/rollcall?at=2026-11-25T09:50").get_data(as_text=True)
    client.get("/language/en")
    page = client.get("/rollcall?at=2026-11-25T09:50").get_data(as_text=True)
    assert "Absent with a reason" in page and "Vắng có lý do" not in page
