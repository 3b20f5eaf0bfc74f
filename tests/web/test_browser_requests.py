"""Requests in a real headless Chromium against a real `monitor serve` process: a staff
member explains a late arrival with a PDF from a phone-sized screen, the manager
approves it from the inbox, and the person's month and the month report change, in
Vietnamese."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from monitor.store import Store
from tests.conftest import FIXED_NOW, ZONE
from tests.web.conftest import PASSWORD

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def web_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, filled_database: Path) -> Path:
    """The shared web office plus a staff account for NV001 (late 11 minutes on 25/11)."""
    monkeypatch.delenv("MONITOR_DATABASE", raising=False)
    path = tmp_path / "config.toml"
    path.write_text('[site]\nname = "UBND tỉnh (mẫu)"\n\n[storage]\ndatabase = "web.db"\n\n[web]\nlanguage = "vi"\n',
                    encoding="utf-8")
    shutil.copyfile(filled_database, tmp_path / "web.db")
    with Store(tmp_path / "web.db", zone=ZONE, now=lambda: FIXED_NOW) as store:
        store.add_user("nv001", PASSWORD, role="staff", employee_code="NV001", full_name="Nguyễn Thị Lan", actor="test")
    return path


def log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def no_sideways_scrolling(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_explain_with_a_pdf_approve_from_the_inbox_and_the_month_changes(live_server: str, browser) -> None:
    staff_context = browser.new_context(locale="vi-VN", viewport=PHONE)
    try:
        staff = staff_context.new_page()
        staff.set_default_timeout(10_000)
        log_in(staff, live_server, "nv001")
        staff.locator("#days").wait_for()  # staff land on their own month
        assert staff.locator("h1").inner_text().startswith("Nguyễn Thị Lan")
        assert no_sideways_scrolling(staff)

        late_day = staff.locator("#days tr[data-day='2026-11-25']")
        late_day.get_by_role("link", name="Giải trình").click()
        staff.get_by_label("Vi phạm").select_option("late")
        staff.get_by_label("Nhóm lý do").select_option("hop")
        staff.get_by_label("Lý do", exact=True).fill("Dự họp giao ban tại UBND tỉnh theo giấy mời")
        staff.get_by_label("Số văn bản (nếu có)").fill("GM 45/GM-UBND")
        staff.get_by_label("Tệp đính kèm: PDF, JPEG hoặc PNG (nếu có)").set_input_files(
            files=[{"name": "giay-moi.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        assert no_sideways_scrolling(staff)
        staff.get_by_role("button", name="Gửi đề nghị").click()
        assert staff.locator("#request-status").inner_text() == "chờ duyệt"
        assert staff.locator("#files").inner_text().startswith("giay-moi.pdf")
        assert no_sideways_scrolling(staff)
    finally:
        staff_context.close()

    head_context = browser.new_context(locale="vi-VN")
    try:
        head = head_context.new_page()
        head.set_default_timeout(10_000)
        log_in(head, live_server, "truongsnv")
        assert head.locator("#nav-inbox .count").inner_text() == "1"
        head.locator("#nav-inbox").click()
        row = head.locator("table.requests tr", has_text="Nguyễn Thị Lan")
        row.get_by_role("checkbox").check()
        head.get_by_label("Ý kiến").fill("Đồng ý, có giấy mời")
        head.get_by_role("button", name="Duyệt các đề nghị đã chọn").click()
        assert "Đã duyệt 1 đề nghị." in head.get_by_role("status").first.inner_text()
        assert head.locator("#nav-inbox .count").count() == 0

        head.goto(f"{live_server}/employees/NV001?month=2026-11")
        assert head.locator("#after-explanations .value").inner_text() == "0 · 0"
        day = head.locator("#days tr[data-day='2026-11-25']")
        assert day.locator("td").nth(4).inner_text() == "11"  # the machine's minutes stay
        assert "đã duyệt" in day.locator(".requests-cell").inner_text()
        day.get_by_role("link", name="25/11/2026").click()
        assert "Đi muộn 11 phút: đến 07:41:10, giờ vào 07:30, không có thời gian ân hạn." in head.locator("#rules").inner_text()
        assert "muộn 11 phút" in head.locator("#excused").inner_text()

        head.goto(f"{live_server}/month?month=2026-11")
        month_row = head.locator("#month tr[data-employee='NV001']")
        assert month_row.locator("td").nth(4).inner_text() == "1"  # late as measured
        assert month_row.locator("td.late-after").inner_text() == "0"  # after the approved explanation
    finally:
        head_context.close()
