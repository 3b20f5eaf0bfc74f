"""The notification pages: each user's own settings, the admins' log; and in Chromium."""

from __future__ import annotations

import re

from monitor.store import Store
from tests.conftest import ZONE
from tests.web.test_browser import log_in


def contact(web_config, username: str) -> dict:
    with Store(web_config.parent / "web.db", zone=ZONE) as store:
        return store.user_contact(username)


def test_a_manager_sets_their_address_language_and_what_they_receive(client, auth, web_config) -> None:
    auth.login("truongsnv")
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "Bản tin buổi sáng của đơn vị tôi" in page
    assert re.search(r'<input checked id="kind_weekly" name="kind_weekly" type="checkbox"', page)
    token = auth.csrf("/account/notifications")
    data = {"csrf_token": token, "email": "hung@snv.gov.vn", "language": "en", "kind_digest": "y", "kind_alert": "y",
            "kind_reminder": "y", "kind_digest_afternoon": "y"}
    response = client.post("/account/notifications", data=data, follow_redirects=True)
    assert "Đã lưu cài đặt nhận thông báo của bạn." in response.get_data(as_text=True)
    saved = contact(web_config, "truongsnv")
    assert (saved["email"], saved["language"], saved["opt_out"]) == ("hung@snv.gov.vn", "en", ["weekly"])
    with Store(web_config.parent / "web.db", zone=ZONE) as store:
        entry = store.audit_log("user", "truongsnv")[0]
    assert (entry["actor"], entry["reason"]) == ("truongsnv", "set on the web site")


def test_the_form_needs_its_csrf_token_and_a_real_address(client, auth, web_config) -> None:
    auth.login("truongsnv")
    assert client.post("/account/notifications", data={"email": "a@b.vn"}).status_code == 400
    response = client.post("/account/notifications", data={"csrf_token": auth.csrf("/account/notifications"),
                                                            "email": "hung at snv"})
    assert response.status_code == 400
    assert "Đây không phải địa chỉ thư điện tử; hãy viết dạng ten@donvi.gov.vn." in response.get_data(as_text=True)
    assert contact(web_config, "truongsnv")["email"] is None


def test_only_admins_read_the_log(client, auth, web_config) -> None:
    with Store(web_config.parent / "web.db", zone=ZONE) as store:
        store.claim_notification(key="digest:morning:2026-11-26:SNV:user:truongsnv", kind="digest", channel="email",
                                 recipient="user:truongsnv", address="hung@snv.gov.vn",
                                 subject="[Chấm công] Sở Nội vụ · Thứ Năm 26/11/2026", payload=None, status="failed",
                                 error="127.0.0.1:25 answered 550 5.1.1 No such user")
    auth.login("truongsnv")
    assert client.get("/notifications").status_code == 403
    assert client.get("/api/notifications").status_code == 403
    auth.logout()
    auth.login("admin")
    page = client.get("/notifications?status=failed").get_data(as_text=True)
    assert "[Chấm công] Sở Nội vụ · Thứ Năm 26/11/2026" in page and "không gửi được" in page
    assert "550 5.1.1 No such user" in page
    assert client.get("/notifications?status=sent").get_data(as_text=True).count('data-status="failed"') == 0
    rows = client.get("/api/notifications").get_json()["notifications"]
    assert [(r["status"], r["address"]) for r in rows] == [("failed", "hung@snv.gov.vn")]
    assert client.get("/api/notifications?status=lost").status_code == 400


def test_in_a_browser_a_manager_stops_the_weekly_summary(live_server: str, page, web_config) -> None:
    log_in(page, live_server, "truongsnv")
    page.get_by_role("link", name="Phạm Quốc Hùng").click()
    page.get_by_role("heading", name="Nhận thông báo").wait_for()
    page.get_by_label("Địa chỉ thư điện tử").fill("hung@snv.gov.vn")
    page.get_by_label("Tổng hợp tuần của các đơn vị trực thuộc").uncheck()
    page.get_by_role("button", name="Lưu").click()
    assert page.get_by_role("status").inner_text() == "Đã lưu cài đặt nhận thông báo của bạn."
    assert page.get_by_label("Địa chỉ thư điện tử").input_value() == "hung@snv.gov.vn"
    assert not page.get_by_label("Tổng hợp tuần của các đơn vị trực thuộc").is_checked()
    saved = contact(web_config, "truongsnv")
    assert (saved["email"], saved["opt_out"]) == ("hung@snv.gov.vn", ["weekly"])
