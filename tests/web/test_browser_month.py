"""The paged month page in a real Chromium: a heading sorts, the pager turns, the
search narrows, and the totals stay the whole month's."""

from __future__ import annotations

from tests.web.test_browser import log_in
from tests.web.test_month_page import big_month  # noqa: F401  (the fixture: 253 people in November)


def test_hr_sorts_pages_and_searches_the_month(big_month, live_server: str, page) -> None:  # noqa: F811
    log_in(page, live_server, "nhansu")
    page.get_by_role("button", name="Đăng xuất").wait_for()
    page.goto(f"{live_server}/month?month=2026-11")
    rows = page.locator("#month tbody tr")
    assert rows.count() == 100 and "Trang 1/3 (253 người)" in page.locator("nav.pager").inner_text()
    totals = page.locator("#month-totals").inner_text()
    assert "Tổng cộng, 253 người" in totals

    late = page.locator("#month thead").get_by_role("link", name="Muộn (ph)")
    late.click()  # ascending first
    page.locator('#month th[aria-sort="ascending"]').wait_for()
    page.locator("#month thead").get_by_role("link", name="Muộn (ph)").click()
    page.locator('#month th[aria-sort="descending"]').wait_for()
    assert rows.first.get_attribute("data-employee").startswith("P")  # 20 minutes late beats NV001's 11

    page.get_by_role("link", name="Trang sau").click()
    page.get_by_text("Trang 2/3 (253 người)").wait_for()
    assert rows.count() == 100 and page.locator("#month-totals").inner_text() == totals

    page.get_by_label("Họ tên hoặc mã").fill("Thứ 12")
    page.get_by_role("button", name="Xem").click()
    page.get_by_text("Người Thứ 129").wait_for()
    assert rows.count() == 10 and page.locator("nav.pager").count() == 0
    assert page.locator("#month-totals").inner_text() == totals  # the whole month, not the ten found
    assert page.locator('#month th[aria-sort="descending"]').count() == 1  # the search kept the sorting
