"""Logging in, roles, CSRF, language."""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD


def test_pages_need_a_login(client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_login_and_logout(client, auth) -> None:
    response = auth.login()
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    response = auth.logout()
    assert response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part(client, auth) -> None:
    response = auth.login("admin", "sai-mat-khau")
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.get_data(as_text=True)
    response = auth.login("khong-co-ai", PASSWORD)
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.get_data(as_text=True)


def test_repeated_failures_lock_the_name_for_a_while(client, auth) -> None:
    for _ in range(5):
        assert auth.login("nhansu", "sai").status_code == 401
    assert auth.login("nhansu", PASSWORD).status_code == 429


def test_login_form_without_csrf_token_is_refused(client) -> None:
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400


def test_logout_needs_post_with_csrf(client, auth) -> None:
    auth.login()
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400


@pytest.mark.parametrize("target", ["https://example.org/", "//example.org/x", "javascript:alert(1)"])
def test_next_cannot_leave_the_site(client, auth, target: str) -> None:
    response = client.post(
        "/login?next=" + target, data={"username": "admin", "password": PASSWORD, "csrf_token": auth.csrf()}
    )
    assert response.headers["Location"] == "/"


def test_next_within_the_site_is_followed(client, auth) -> None:
    response = client.post("/login?next=/devices", data={"username": "admin", "password": PASSWORD, "csrf_token": auth.csrf()})
    assert response.headers["Location"] == "/devices"


@pytest.mark.parametrize(("user", "status"), [("admin", 200), ("nhansu", 200), ("truongsnv", 403)])
def test_devices_page_by_role(client, auth, user: str, status: int) -> None:
    auth.login(user)
    assert client.get("/devices").status_code == status
    assert client.get("/api/devices").status_code == status


def test_language_switch(client, auth) -> None:
    auth.login()
    assert "Thiết bị" in client.get("/").get_data(as_text=True)
    client.get("/language/en?next=/")
    assert ">Devices<" in client.get("/").get_data(as_text=True)


def test_session_cookie_flags(client, auth) -> None:
    response = auth.login()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
