"""The site in a real headless Chromium against a real `monitor serve` process."""

from __future__ import annotations

from tests.web.conftest import PASSWORD


def log_in(page, url: str, username: str = "admin") -> None:
    page.goto(f"{url}/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_login_shows_the_site_in_vietnamese_then_english(live_server: str, page) -> None:
    log_in(page, live_server)
    page.locator("details.menu summary", has_text="Quản trị").wait_for()
    assert page.locator("html").get_attribute("lang") == "vi"
    page.get_by_role("link", name="EN", exact=True).click()
    page.locator("details.menu summary", has_text="Administration").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"


def test_wrong_password_message(live_server: str, page) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Tên đăng nhập").fill("admin")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    assert page.get_by_role("status").inner_text() == "Sai tên đăng nhập hoặc mật khẩu."


def test_logout_button_posts_the_form(live_server: str, page) -> None:
    log_in(page, live_server)
    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_role("button", name="Đăng nhập").wait_for()
    assert "Bạn đã đăng xuất." in page.get_by_role("status").inner_text()


def test_a_manager_follows_a_late_arrival_to_the_persons_month(live_server: str, page) -> None:
    log_in(page, live_server, "truongsnv")
    page.get_by_label("Ngày").fill("2026-11-25")
    page.get_by_role("button", name="Xem").click()
    units = page.locator("#units tbody tr")
    assert units.evaluate_all("rows => rows.map(r => r.dataset.unit)") == ["SNV", "SNV-TC"]
    late_row = page.locator(".day-rows tr[data-employee='NV001']")
    assert "11" in late_row.locator("td").nth(5).inner_text()
    late_row.get_by_role("link", name="Nguyễn Thị Lan").click()
    page.locator("#days").wait_for()
    assert page.locator("h1").inner_text().startswith("Nguyễn Thị Lan")
    assert page.locator("#days tr[data-day='2026-11-25'] td").nth(2).inner_text() == "07:41:10"


def test_hr_downloads_the_month_csv(live_server: str, page) -> None:
    log_in(page, live_server, "nhansu")
    page.get_by_role("link", name="Tháng").click()
    page.get_by_label("Tháng").fill("2026-11")
    page.get_by_role("button", name="Xem").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải CSV").click()
    with open(download.value.path(), encoding="utf-8-sig") as handle:
        content = handle.read()
    assert content.splitlines()[0].startswith("employee,name,unit,month,required_days")
    assert "Lê Minh Tâm" in content
