"""Managers' and HR's pages and their JSON twins, through Flask's test client."""

from __future__ import annotations

import csv
import io

import pytest

from monitor.store import Store
from tests.conftest import ZONE


def test_today_for_admin_shows_every_unit_and_the_exceptions(client, auth) -> None:
    auth.login()
    page = client.get("/?date=2026-11-25").get_data(as_text=True)
    for unit in ("UBND tỉnh (mẫu)", "Sở Nội vụ", "Phòng Tổ chức", "Sở Tài chính"):
        assert unit in page
    assert "Nguyễn Thị Lan" in page  # late by 11 minutes
    assert "Lê Minh Tâm" in page  # absent
    assert "Trần Văn Bình" not in page.split("Late, early")[-1].split("</table>")[-1]


def test_day_json_counts(client, auth) -> None:
    auth.login()
    data = client.get("/api/day?date=2026-11-25").get_json()
    assert data["summary"] == {
        "staff": 3, "required": 3, "present": 2, "late": 1, "early": 0, "absent": 1,
        "partial_absent": 0, "leave": 0, "pending": 0, "missing": 0,
    }
    late = next(row for row in data["rows"] if row["employee"] == "NV001")
    assert (late["arrival"], late["late_minutes"], late["symbol"]) == ("07:41:10", 11, "+")


def test_today_is_provisional_and_nobody_is_absent_yet(client, auth) -> None:
    auth.login()
    data = client.get("/api/day").get_json()
    assert data["date"] == "2026-11-26"
    assert {row["employee"]: row["status"] for row in data["rows"]} == {"NV001": "present", "NV002": "pending", "NV003": "pending"}
    assert all(row["provisional"] for row in data["rows"])


def test_a_manager_sees_only_their_units(client, auth) -> None:
    auth.login("truongsnv")
    data = client.get("/api/day?date=2026-11-25").get_json()
    assert {row["employee"] for row in data["rows"]} == {"NV001", "NV002"}  # SNV and SNV-TC below it
    page = client.get("/?date=2026-11-25").get_data(as_text=True)
    assert "Sở Tài chính" not in page and "Lê Minh Tâm" not in page


@pytest.mark.parametrize(
    "path",
    ["/units/STC?date=2026-11-25", "/employees/NV003", "/api/employees/NV003", "/api/day?unit=STC", "/month?unit=STC", "/units/NOPE"],
)
def test_a_manager_cannot_reach_other_units(client, auth, path: str) -> None:
    auth.login("truongsnv")
    assert client.get(path).status_code == 404


def test_unit_day_page(client, auth) -> None:
    auth.login("truongsnv")
    page = client.get("/units/SNV-TC?date=2026-11-25").get_data(as_text=True)
    assert "Trần Văn Bình" in page and "Nguyễn Thị Lan" not in page
    assert '<p id="summary">1/1 có mặt; 0 đi muộn, 0 về sớm, 0 vắng, 0 nghỉ theo đơn.</p>' in page


def test_employee_month(client, auth) -> None:
    auth.login("truongsnv")
    data = client.get("/api/employees/NV001?month=2026-11").get_json()
    assert data["employee"]["late_count"] == 1 and data["employee"]["late_minutes"] == 11
    assert [day["date"] for day in data["days"]][-2:] == ["2026-11-25", "2026-11-26"]
    page = client.get("/employees/NV001?month=2026-11").get_data(as_text=True)
    assert "Nguyễn Thị Lan" in page and "07:41:10" in page


def test_month_csv_opens_in_excel(client, auth) -> None:
    auth.login("nhansu")
    response = client.get("/month?month=2026-11&format=csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "tong-hop-2026-11.csv" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body[1:])))
    assert {row["employee"]: row["absent_days"] for row in rows} == {"NV001": "0", "NV002": "0", "NV003": "1"}
    assert rows[0]["name"] in {"Nguyễn Thị Lan", "Trần Văn Bình", "Lê Minh Tâm"}


@pytest.mark.parametrize("query", ["date=26-11-2026", "date=yesterday"])
def test_bad_dates_are_a_clear_400(client, auth, query: str) -> None:
    auth.login()
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert "2026-11-26" in response.get_data(as_text=True)


def test_set_clock_is_queued_for_the_collector(web_config, auth_for) -> None:
    web_config.write_text(
        web_config.read_text(encoding="utf-8") + '\n[[devices]]\nid = "gate"\nprotocol = "zkteco"\nport = "tcp://127.0.0.1:4370"\n',
        encoding="utf-8",
    )
    client, auth = auth_for(web_config)
    auth.login()
    token = auth.csrf("/devices")
    assert client.post("/devices/gate/sync-time").status_code == 400  # no CSRF token
    assert client.post("/devices/nope/sync-time", data={"csrf_token": token}).status_code == 404
    response = client.post("/devices/gate/sync-time", data={"csrf_token": token}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Đã gửi yêu cầu: bộ thu thập sẽ chỉnh đồng hồ của gate trong vài giây." in page
    assert "đang chờ bộ thu thập" in page
    store = Store(web_config.parent / "web.db", zone=ZONE)
    assert [(c["device_id"], c["command"], c["requested_by"]) for c in store.pending_device_commands()] == [("gate", "sync-time", "admin")]
    store.close()


def test_only_admins_set_clocks(web_config, auth_for) -> None:
    client, auth = auth_for(web_config)
    auth.login("nhansu")
    assert client.post("/devices/gate/sync-time", data={"csrf_token": auth.csrf("/devices")}).status_code == 403


def test_timesheet_download_holds_only_the_managers_units(client, auth) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    from tests.web.test_hardening import download

    auth.login("truongsnv")
    response = download(client, "/month/timesheet.xlsx?month=2026-11")  # made by the export worker
    assert "bang-cham-cong-2026-11.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(BytesIO(response.get_data()))
    assert book.sheetnames == ["SNV", "SNV-TC"]
    assert book["SNV"]["B12"].value == "Nguyễn Thị Lan"
