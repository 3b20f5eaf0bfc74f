"""User management on the web: list, add, role and units, password, disable, sessions."""

from __future__ import annotations

from pathlib import Path

from monitor.store import Store
from tests.conftest import ZONE
from tests.web.conftest import PASSWORD, Auth


def _audit(web_config: Path, username: str) -> list[tuple[str, str]]:
    store = Store(web_config.parent / "web.db", zone=ZONE)
    try:
        return [(row["actor"], row["action"]) for row in store.audit_log("user", username)]
    finally:
        store.close()


def test_the_admin_lists_users_with_their_state(client, auth) -> None:
    auth.login()
    page = client.get("/admin/users").get_data(as_text=True)
    for user in ("admin", "nhansu", "truongsnv", "truongstc"):
        assert f'data-user="{user}"' in page
    assert "đang hoạt động" in page


def test_the_admin_adds_a_manager_who_can_log_in(app, client, auth, web_config: Path) -> None:
    auth.login()
    response = client.post("/admin/users", data={
        "csrf_token": auth.csrf("/admin/users"), "username": "pho-snv", "full_name": "Vũ Thị Hoa",
        "role": "manager", "units": ["SNV-TC"], "password": "mat-khau-pho-snv"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/users/pho-snv"
    newcomer = Auth(app.test_client())
    assert newcomer.login("pho-snv", "mat-khau-pho-snv").status_code == 302
    data = newcomer.client.get("/api/day?date=2026-11-25").get_json()
    assert {row["employee"] for row in data["rows"]} == {"NV002"}
    assert _audit(web_config, "pho-snv") == [("admin", "add")]


def test_adding_checks_the_form_in_the_users_language(client, auth) -> None:
    auth.login()
    token = auth.csrf("/admin/users")
    response = client.post("/admin/users", data={"csrf_token": token, "username": "a b", "role": "manager", "password": "ngan"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Người quản lý cần ít nhất một đơn vị." in page and "Mật khẩu phải có ít nhất 8 ký tự." in page
    assert "Chỉ dùng chữ, số" in page
    response = client.post("/admin/users", data={"csrf_token": token, "username": "nhansu", "role": "hr", "password": "12345678"})
    assert response.status_code == 400 and "Tên đăng nhập này đã có người dùng." in response.get_data(as_text=True)


def test_a_new_role_ends_the_users_sessions(app, client, auth, web_config: Path) -> None:
    manager = Auth(app.test_client())
    manager.login("truongsnv")
    auth.login()
    response = client.post("/admin/users/truongsnv/role",
                           data={"csrf_token": auth.csrf("/admin/users/truongsnv"), "role": "manager", "units": ["STC"]})
    assert response.status_code == 303
    assert manager.client.get("/").status_code == 302
    manager.login("truongsnv")
    assert {r["employee"] for r in manager.client.get("/api/day?date=2026-11-25").get_json()["rows"]} == {"NV003"}
    assert ("admin", "set-role") in _audit(web_config, "truongsnv")


def test_a_reset_password_replaces_the_old_one(app, client, auth) -> None:
    auth.login()
    client.post("/admin/users/nhansu/password", data={"csrf_token": auth.csrf("/admin/users/nhansu"), "password": "mat-khau-moi-hr"})
    other = Auth(app.test_client())
    assert other.login("nhansu", PASSWORD).status_code == 401
    assert other.login("nhansu", "mat-khau-moi-hr").status_code == 302


def test_an_admin_changing_their_own_password_stays_logged_in(client, auth) -> None:
    auth.login()
    client.post("/admin/users/admin/password", data={"csrf_token": auth.csrf("/admin/users/admin"), "password": "mat-khau-admin-2"})
    assert client.get("/").status_code == 200


def test_disable_and_enable_from_the_web(app, client, auth, web_config: Path) -> None:
    hr = Auth(app.test_client())
    hr.login("nhansu")
    auth.login()
    token = auth.csrf("/admin/users/nhansu")
    page = client.post("/admin/users/nhansu/active", data={"csrf_token": token, "active": "0"}, follow_redirects=True)
    assert "Đã khoá nhansu" in page.get_data(as_text=True)
    assert hr.client.get("/").status_code == 302
    assert hr.login("nhansu").status_code == 401
    client.post("/admin/users/nhansu/active", data={"csrf_token": token, "active": "1"})
    assert hr.login("nhansu").status_code == 302
    assert [action for _actor, action in _audit(web_config, "nhansu")][:2] == ["enable", "disable"]


def test_the_last_admin_cannot_be_disabled_or_demoted(client, auth) -> None:
    auth.login()
    token = auth.csrf("/admin/users/admin")
    page = client.post("/admin/users/admin/active", data={"csrf_token": token, "active": "0"}, follow_redirects=True)
    assert "là quản trị viên cuối cùng" in page.get_data(as_text=True)
    response = client.post("/admin/users/admin/role", data={"csrf_token": token, "role": "hr"})
    assert response.status_code == 400 and "là quản trị viên cuối cùng" in response.get_data(as_text=True)
    assert client.get("/admin/users").status_code == 200


def test_the_admin_sees_and_ends_a_users_sessions(app, client, auth) -> None:
    first, second = Auth(app.test_client()), Auth(app.test_client())
    first.login("truongstc")
    second.login("truongstc")
    auth.login()
    page = client.get("/admin/users/truongstc").get_data(as_text=True)
    assert page.count("data-session=") == 2 and page.count(">đang mở<") == 2
    session_id = page.split('name="session" value="')[1].split('"')[0]
    client.post("/admin/users/truongstc/sessions/end", data={"csrf_token": auth.csrf("/"), "session": session_id})
    alive = [c.get("/").status_code for c in (first.client, second.client)]
    assert sorted(alive) == [200, 302]
    client.post("/admin/users/truongstc/sessions/end", data={"csrf_token": auth.csrf("/")})
    assert [c.get("/").status_code for c in (first.client, second.client)] == [302, 302]
    page = client.get("/admin/users/truongstc").get_data(as_text=True)
    assert ">đang mở<" not in page and "ended by admin" in page
