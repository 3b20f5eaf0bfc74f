"""The devices page with clocks that push: a waiting clock accepted or rejected through
the forms (Flask's client, and a real Chromium against a real `monitor serve`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from drivers.adms.operlog import OpCode
from drivers.simulators.adms import PushClock, PushDevice
from monitor.config import PushConfig, load_config
from monitor.service.push_receiver import ReceiverServer
from monitor.store import Store
from tests.conftest import FIXED_NOW, ZONE
from tests.web.test_browser import log_in

SN = "CQZ7230100001"


@pytest.fixture
def waiting_clock(web_config: Path):
    """A simulated clock that called a real receiver on the site's database and waits."""
    config = load_config(web_config)
    config = replace(config, push=PushConfig(enabled=True, host="127.0.0.1", delay=1))
    server = ReceiverServer(config, now=lambda: FIXED_NOW, port=0).start()
    device = PushDevice(SN, users=3, records=15, seed=6, now=lambda: datetime(2026, 11, 26, 8, 0))
    clock = PushClock(server.url, device, timeout=2.0)
    assert clock.init() and clock.upload_pending() == 15
    yield clock
    server.stop()


def database(web_config: Path) -> Path:
    return web_config.parent / "web.db"


def test_the_page_lists_a_waiting_clock_with_forms_for_admins_only(client, auth, waiting_clock) -> None:
    auth.login("nhansu")
    page = client.get("/devices").get_data(as_text=True)
    assert f'data-sn="{SN}"' in page and "Máy chấm công chờ phê duyệt" in page
    assert "devices/push/" not in page  # HR sees the clock, not the forms
    assert client.post(f"/devices/push/{SN}/accept", data={"csrf_token": auth.csrf("/devices")}).status_code == 403
    auth.logout()
    auth.login()
    page = client.get("/devices").get_data(as_text=True)
    assert f"/devices/push/{SN}/accept" in page and f"/devices/push/{SN}/reject" in page


def test_accept_through_the_form(client, auth, waiting_clock, web_config: Path) -> None:
    auth.login()
    form = {"device_id": "sanh", "unit": "SNV", "comm_key": ""}
    assert client.post(f"/devices/push/{SN}/accept", data=form).status_code == 400  # no CSRF token
    token = auth.csrf("/devices")
    assert client.post("/devices/push/UNKNOWN1/accept", data={**form, "csrf_token": token}).status_code == 404
    response = client.post(f"/devices/push/{SN}/accept", data={**form, "unit": "NOPE", "csrf_token": token})
    assert response.status_code == 400 and "Chưa thực hiện: no unit &#39;NOPE&#39;" in response.get_data(as_text=True)
    response = client.post(f"/devices/push/{SN}/accept", data={**form, "csrf_token": token}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Đã chấp nhận CQZ7230100001 với mã sanh: đã lưu 15 lượt chấm công" in page
    assert 'data-device="sanh"' in page and "máy tự gửi dữ liệu (ADMS)" in page
    with Store(database(web_config), zone=ZONE) as store:
        assert store.push_device(SN)["state"] == "accepted"
        assert store.audit_log("push-device", SN)[0]["actor"] == "admin"
    # requests for the accepted clock go out on its heartbeat
    for path in ("/devices/sanh/ask/info", "/devices/sanh/ask/reboot", "/devices/sanh/sync-time"):
        assert client.post(path, data={"csrf_token": token}).status_code == 302
    assert client.post("/devices/sanh/ask/shell", data={"csrf_token": token}).status_code == 404
    response = client.post("/devices/sanh/backfill", data={"from": "2026-11-20", "to": "2026-11-01", "csrf_token": token})
    assert response.status_code == 400 and "is before" in response.get_data(as_text=True)
    assert client.post("/devices/sanh/backfill", data={"from": "x", "to": "", "csrf_token": token}).status_code == 400
    assert client.post("/devices/sanh/backfill", data={"from": "2026-11-01", "to": "2026-11-20", "csrf_token": token}).status_code == 302
    results = waiting_clock.heartbeat()
    assert [r.cmd for r in results] == ["INFO", "SET OPTION", "DATA", "REBOOT"]
    waiting_clock.device.operation(OpCode.SET_TIME, admin="1")
    assert waiting_clock.init() and waiting_clock.upload_operlog() == 1
    page = client.get("/devices").get_data(as_text=True)
    assert "Dấu hiệu can thiệp" in page and "chỉnh giờ máy chấm công" in page


def test_reject_through_the_form(client, auth, waiting_clock, web_config: Path) -> None:
    auth.login()
    token = auth.csrf("/devices")
    response = client.post(f"/devices/push/{SN}/reject", data={"reason": "", "csrf_token": token})
    assert response.status_code == 400
    response = client.post(f"/devices/push/{SN}/reject", data={"reason": "máy lạ", "csrf_token": token}, follow_redirects=True)
    assert "Đã từ chối CQZ7230100001; đã hủy 1 lần gửi đang giữ." in response.get_data(as_text=True)
    with Store(database(web_config), zone=ZONE) as store:
        assert store.push_device(SN)["state"] == "rejected" and store.held_push_uploads(SN) == []


def test_an_admin_accepts_a_waiting_clock_in_a_real_browser(waiting_clock, live_server: str, page, web_config: Path) -> None:
    log_in(page, live_server)
    page.locator("details.menu summary").click()  # HR's and IT's tools sit in one menu
    page.get_by_role("link", name="Thiết bị").click()
    row = page.locator(f"#waiting tr[data-sn='{SN}']")
    row.wait_for()
    assert row.locator("td").nth(4).inner_text() == "1"
    row.get_by_label("Mã thiết bị").fill("sanh")
    row.get_by_label("Đơn vị").select_option("SNV")
    row.get_by_role("button", name="Chấp nhận").click()
    assert "đã lưu 15 lượt chấm công" in page.get_by_role("status").inner_text()
    page.locator("#devices tr[data-device='sanh']").wait_for()
    assert page.locator("#waiting").count() == 0
    with Store(database(web_config), zone=ZONE) as store:
        assert store.push_device(SN)["device_id"] == "sanh"
        assert store.scalar("SELECT COUNT(*) FROM punches WHERE device_id = 'sanh'") == 15
