"""The month-close page: what each role sees and may press, CSRF, 404 outside one's
units, the signed files of a locked month; and the same in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from datetime import date

from monitor.config import Config
from monitor.service.evaluation import Evaluation
from monitor.store import Store
from tests.conftest import FIXED_NOW, ZONE
from tests.web.conftest import PASSWORD, download, punch
from tests.web.test_browser import log_in


@pytest.fixture
def with_signers(web_config: Path) -> Path:
    """The web database plus a timekeeper of SNV and the head of the unit above it, and
    October judged (a month with days on its timesheet: an empty one is not a file)."""
    with Store(web_config.parent / "web.db", zone=ZONE, now=lambda: FIXED_NOW) as store:
        store.add_user("chamcong", PASSWORD, role="timekeeper", units=["SNV"], full_name="Hoàng Thị Chấm", actor="test")
        store.add_user("truongubnd", PASSWORD, role="manager", units=["UBND"], full_name="Ngô Văn Duyệt", actor="test")
        store.add_punches("gate", [punch("2", "2026-10-15 07:25:00"), punch("2", "2026-10-15 17:05:00")], source="file")
        Evaluation(store, Config(path=None).policy, FIXED_NOW).run(day_from=date(2026, 10, 1))
    return web_config


def _rows(client, month: str = "2026-10") -> dict[str, str]:
    page = client.get(f"/close?month={month}").get_data(as_text=True)
    return dict(re.findall(r'data-unit="([^"]+)" data-state="([^"]+)"', page))


def _press(client, auth, unit: str, step: str, **form: str):
    token = auth.csrf("/close?month=2026-10")
    return client.post(f"/close/{unit}/{step}", data={"csrf_token": token, "month": "2026-10", **form})


def test_a_manager_sees_only_their_units(client, auth) -> None:
    auth.login("truongsnv")
    assert set(_rows(client)) == {"SNV", "SNV-TC"}


def test_the_month_moves_through_every_signature_to_the_signed_files(with_signers, auth_for) -> None:
    client, auth = auth_for(with_signers)
    for user, step, state in (("chamcong", "submit", "submitted"), ("truongsnv", "confirm", "confirmed"),
                              ("truongubnd", "approve", "approved"), ("nhansu", "lock", "locked")):
        auth.login(user)
        page = client.get("/close?month=2026-10").get_data(as_text=True)
        assert f'action="/close/SNV/{step}"' in page  # the user's button is there
        response = _press(client, auth, "SNV", step)
        assert response.status_code == 303
        assert _rows(client)["SNV"] == state
        auth.logout()
    auth.login("nhansu")
    page = client.get("/close?month=2026-10").get_data(as_text=True)
    assert "Hoàng Thị Chấm" in page and "Ngô Văn Duyệt" in page
    first = download(client, "/month/timesheet.pdf?month=2026-10&unit=SNV-TC")
    assert first.mimetype == "application/pdf"


def test_a_step_without_csrf_is_refused(client, auth) -> None:
    auth.login("nhansu")
    assert client.post("/close/SNV/submit", data={"month": "2026-10"}).status_code == 400
    assert _rows(client)["SNV"] == "open"


def test_a_unit_outside_ones_view_is_not_found(client, auth) -> None:
    auth.login("truongsnv")
    assert _press(client, auth, "STC", "confirm").status_code == 404


def test_a_refused_step_says_why_in_the_readers_language(client, auth) -> None:
    auth.login("truongsnv")
    response = _press(client, auth, "SNV", "submit")
    assert response.status_code == 303
    page = client.get("/close?month=2026-10").get_data(as_text=True)
    assert "truongsnv (trưởng đơn vị) không được gửi duyệt SNV: người chấm công của đơn vị" in page
    client.get("/language/en")
    _press(client, auth, "SNV", "submit")
    page = client.get("/close?month=2026-10").get_data(as_text=True)
    assert "truongsnv (manager) may not submit SNV: a timekeeper of the unit or HR submits" in page
    assert _rows(client)["SNV"] == "open"


def test_hr_submits_then_reopens_with_a_reason_in_the_browser(live_server: str, page) -> None:
    log_in(page, live_server, "nhansu")
    page.get_by_role("link", name="Khoá sổ", exact=True).click()
    page.get_by_label("Tháng").fill("2026-10")
    page.get_by_role("button", name="Xem").click()
    row = page.locator("#close tr[data-unit='SNV']")
    row.get_by_role("button", name="Gửi duyệt").click()
    assert "SNV tháng 2026-10: đã gửi duyệt." in page.get_by_role("status").inner_text()
    row = page.locator("#close tr[data-unit='SNV']")
    assert row.locator("td.state").inner_text() == "đã gửi duyệt"
    assert row.locator("td").nth(2).inner_text().startswith("nhansu")  # who submitted, and when
    row.get_by_label("Lý do").fill("Thiếu giải trình ngày 07/10")
    row.get_by_role("button", name="Mở lại").click()
    page.locator("#close tr[data-unit='SNV'][data-state='open']").wait_for()
    assert "SNV tháng 2026-10: đang mở." in page.get_by_role("status").inner_text()
