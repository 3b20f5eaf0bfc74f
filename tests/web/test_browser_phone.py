"""Issue 11 in a real Chromium: English kept through the login, and phone-width pages
that never scroll sideways."""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD
from tests.web.test_browser import log_in


def test_logging_in_after_picking_english_stays_english(live_server: str, page) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="EN", exact=True).click()
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("details.menu summary", has_text="Administration").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="By unit").is_visible()


@pytest.mark.parametrize("path", ["/?date=2026-11-25", "/units/UBND?date=2026-11-25", "/employees/NV001?month=2026-11",
                                  "/month?month=2026-11"])
def test_phone_pages_do_not_scroll_sideways(live_server: str, browser, path: str) -> None:
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        phone.set_default_timeout(10_000)
        log_in(phone, live_server, "admin")
        phone.get_by_role("button", name="Đăng xuất").wait_for()
        phone.goto(f"{live_server}{path}")
        phone.locator("main table").first.wait_for()
        width, inner = phone.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        assert inner == 390 and width <= inner, f"{path}: {width}px wide in a {inner}px window"
        phone.locator("details.menu summary").click()  # the open menu stays inside the screen too
        phone.get_by_role("link", name="Nhật ký thông báo").wait_for()
        width = phone.evaluate("document.scrollingElement.scrollWidth")
        assert width <= inner, f"{path} with the menu open: {width}px wide in a {inner}px window"
    finally:
        context.close()


def test_the_unit_page_draws_its_trend_without_script(live_server: str, page) -> None:
    log_in(page, live_server, "admin")
    page.goto(f"{live_server}/units/SNV?date=2026-11-26")
    chart = page.locator("#trend svg")
    chart.wait_for()
    assert chart.locator("g[data-day]").count() == 30
    assert page.locator("script").count() == 0
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 50


def test_printing_a_day_shows_the_organisation_and_signatures(live_server: str, page) -> None:
    log_in(page, live_server, "admin")
    page.goto(f"{live_server}/units/SNV?date=2026-11-25")
    assert not page.locator(".signatures").is_visible()
    page.emulate_media(media="print")
    assert page.locator(".print-head").inner_text().startswith("UBND tỉnh (mẫu)")
    assert "Sở Nội vụ" in page.locator(".print-head").inner_text()
    assert "25/11/2026" in page.locator(".print-head").inner_text()
    assert "Phụ trách đơn vị" in page.locator(".signatures").inner_text()
    assert not page.locator("header.top").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
