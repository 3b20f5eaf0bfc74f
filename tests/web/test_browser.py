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
    page.get_by_role("link", name="Thiết bị").wait_for()
    assert page.locator("html").get_attribute("lang") == "vi"
    page.get_by_role("link", name="EN", exact=True).click()
    page.get_by_role("link", name="Devices").wait_for()
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
