"""The requests area of the site: every new route and JSON twin against every role, the
flows (file with a PDF, decide one or in bulk, revoke), CSRF, and the first login."""

from __future__ import annotations

import io
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.engine.requests import RequestPolicy
from monitor.service.requests import Actor, Draft, RequestDesk
from monitor.store import Store
from tests.conftest import FIXED_NOW, ZONE
from tests.web.conftest import PASSWORD, Auth
from web import create_app

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def requests_database(filled_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The web office plus a staff account for NV001 and NV002, a manager of the parent
    unit UBND, NV001's pending explanation (#1, with a PDF) and NV002's correction (#2)."""
    path = tmp_path_factory.mktemp("requests-web") / "web.db"
    shutil.copyfile(filled_database, path)
    config = load_config_for(path)
    with Store(path, zone=ZONE, now=lambda: FIXED_NOW) as store:
        store.upsert_employees([{"code": "NV004", "full_name": "Đỗ Văn Quang", "unit_code": "UBND",
                                 "hired_on": "2020-01-01"}], actor="test")
        store.add_user("nv001", PASSWORD, role="staff", employee_code="NV001", full_name="Nguyễn Thị Lan", actor="test")
        store.add_user("nv002", PASSWORD, role="staff", employee_code="NV002", actor="test")
        store.add_user("truongubnd", PASSWORD, role="manager", units=["UBND"], employee_code="NV004", actor="test")
        desk = RequestDesk(store, config.policy, RequestPolicy(), FIXED_NOW)
        first = desk.file(Actor("nv001", "staff", (), "NV001"),
                          Draft("NV001", "explanation", date(2026, 11, 25), "Họp giao ban", violation="late", category="hop"))
        desk.attach(Actor("nv001", "staff", (), "NV001"), first, "giay-moi.pdf", PDF)
        desk.file(Actor("nhansu", "hr"), Draft("NV002", "correction", date(2026, 11, 25), "Quẹt thẻ lỗi",
                                               claimed_in=__import__("datetime").time(7, 20)))
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def load_config_for(path: Path):
    config_path = path.with_name("config.toml")
    config_path.write_text('[site]\nname = "UBND tỉnh (mẫu)"\n\n[storage]\ndatabase = "web.db"\n\n[web]\nlanguage = "vi"\n',
                           encoding="utf-8")
    return load_config(config_path)


@pytest.fixture
def site(requests_database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("MONITOR_DATABASE", raising=False)
    shutil.copyfile(requests_database, tmp_path / "web.db")
    shutil.copytree(requests_database.with_name("web-files"), tmp_path / "web-files")
    config = load_config_for(tmp_path / "web.db")
    app = create_app(config, now=lambda: FIXED_NOW, testing=True)
    return app


def client_as(app, username: str | None):
    client = app.test_client()
    if username:
        response = Auth(client).login(username)
        assert response.status_code == 302, username
    return client


ROLES = ["nv001", "nv002", "truongsnv", "truongstc", "truongubnd", "nhansu", "admin", None]
ROLE_IDS = ["staff-own", "staff-other", "manager-of-unit", "manager-other-unit", "manager-parent-unit", "hr", "admin",
            "anonymous"]
# request #1 is NV001's (unit SNV): who may see it, its day and its file
SEES_NV001 = {"nv001": 200, "nv002": 404, "truongsnv": 200, "truongstc": 404, "truongubnd": 200, "nhansu": 200,
              "admin": 200, None: 302}
DECIDERS_ONLY = {"nv001": 404, "nv002": 404, "truongsnv": 200, "truongstc": 200, "truongubnd": 200, "nhansu": 200,
                 "admin": 200, None: 302}
EVERYONE = {role: 200 for role in ROLES} | {None: 302}
ROUTES = [
    ("/requests/1", SEES_NV001),
    ("/api/requests/1", SEES_NV001),
    ("/requests/1/files/1", SEES_NV001),
    ("/employees/NV001/days/2026-11-25", SEES_NV001),
    ("/api/employees/NV001/days/2026-11-25", SEES_NV001),
    ("/requests/new?employee=NV001&date=2026-11-25&kind=explanation", SEES_NV001),
    ("/employees/NV001?month=2026-11", SEES_NV001),
    ("/requests/inbox", DECIDERS_ONLY),
    ("/api/requests/inbox", DECIDERS_ONLY),
    ("/requests", EVERYONE),
    ("/api/requests", EVERYONE),
]


@pytest.mark.parametrize("role", ROLES, ids=ROLE_IDS)
def test_role_matrix(site, role: str | None) -> None:
    client = client_as(site, role)
    for path, expected in ROUTES:
        response = client.get(path)
        # the anonymous get a JSON 401 under /api/ and the login page elsewhere
        want = 401 if role is None and path.startswith("/api/") else expected[role]
        assert response.status_code == want, (path, role)
        if want == 302:
            assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES, ids=ROLE_IDS)
def test_lists_show_only_what_the_role_may_see(site, role: str | None) -> None:
    if role is None:
        return
    seen = {r["id"] for r in client_as(site, role).get("/api/requests").get_json()["requests"]}
    expected = {"nv001": {1}, "nv002": {2}, "truongsnv": {1, 2}, "truongstc": set(), "truongubnd": {1, 2},
                "nhansu": {1, 2}, "admin": {1, 2}}[role]
    assert seen == expected


def test_the_inbox_and_its_count_follow_the_routing(site) -> None:
    head = client_as(site, "truongsnv")
    assert [r["id"] for r in head.get("/api/requests/inbox").get_json()["requests"]] == [1, 2]
    page = head.get("/").get_data(as_text=True)
    assert re.search(r'id="nav-inbox"[^>]*>Đề nghị <span class="count"[^>]*>2</span>', page)
    assert client_as(site, "truongubnd").get("/api/requests/inbox").get_json()["requests"] == []
    assert client_as(site, "nhansu").get("/api/requests/inbox").get_json()["requests"] == []  # routed to managers


def test_staff_start_at_their_month_and_never_see_units(site) -> None:
    staff = client_as(site, "nv001")
    assert staff.get("/").headers["Location"].endswith("/me")
    assert "/employees/NV001" in staff.get("/me").headers["Location"]
    for path in ("/month", "/units/SNV", "/api/day", "/api/month", "/employees/NV002", "/api/employees/NV002",
                 "/requests/2", "/employees/NV002/days/2026-11-25", "/requests/new?employee=NV002"):
        assert staff.get(path).status_code == 404, path
    assert client_as(site, "truongsnv").get("/me").status_code == 404  # not linked to an employee


def _csrf(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_staff_files_an_explanation_with_a_pdf_and_the_manager_approves(site) -> None:
    staff = client_as(site, "nv002")
    form_path = "/requests/new?employee=NV002&date=2026-11-25&kind=explanation"
    # NV002 was on time on 25/11: nothing to explain, refused with the reason, nothing filed
    refused = staff.post(form_path, data={"csrf_token": _csrf(staff, form_path), "employee": "NV002", "kind": "explanation",
                                          "date": "2026-11-25", "reason": "x"})
    assert refused.status_code == 400 and "các vi phạm của ngày: không có" in refused.get_data(as_text=True)
    assert [r["id"] for r in staff.get("/api/me").get_json()["requests"]] == [2]
    staff = client_as(site, "nv001")
    form_path = "/requests/new?employee=NV001&date=2026-11-25&kind=explanation"
    response = staff.post(form_path, data={
        "csrf_token": _csrf(staff, form_path), "employee": "NV001", "kind": "explanation", "date": "2026-11-25",
        "violation": "late", "category": "cong_tac", "minutes": "5", "reason": "Đi công tác Sở Tài chính",
        "document_no": "GĐ 7/GĐ-SNV", "files": (io.BytesIO(PDF), "giay-di-duong.pdf"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    request_id = int(response.headers["Location"].rsplit("/", 1)[1])
    detail = staff.get(f"/api/requests/{request_id}").get_json()
    assert (detail["request"]["status"], detail["request"]["minutes"], detail["files"][0]["file_name"]) == (
        "pending", 5, "giay-di-duong.pdf")
    assert staff.get(f"/requests/{request_id}/files/{detail['files'][0]['id']}").data == PDF

    head = client_as(site, "truongsnv")
    decided = head.post("/requests/decide", data={"csrf_token": _csrf(head, "/requests/inbox"), "ids": [str(request_id)],
                                                  "action": "approve", "comment": "Đồng ý"})
    assert decided.status_code == 302
    day = head.get("/api/employees/NV001/days/2026-11-25").get_json()
    assert (day["judgement"]["late_minutes"], day["judgement"]["excused_late_minutes"]) == (11, 5)
    assert any(line.startswith("Đi muộn 11 phút: đến 07:41:10, giờ vào 07:30") for line in day["rules"])
    assert [p["device_id"] for p in day["punches"]] == ["gate"] * 4
    assert {entry["action"] for entry in day["audit"]} >= {"file", "attach", "approve"}
    month = head.get("/api/employees/NV001?month=2026-11").get_json()["employee"]
    assert (month["late_minutes"], month["late_minutes_after"]) == (11, 6)


def test_deciding_is_refused_for_ones_own_and_hidden_for_others(site) -> None:
    staff = client_as(site, "nv001")
    own = staff.post("/requests/1/decide", data={"csrf_token": _csrf(staff, "/requests/1"), "action": "approve"})
    assert own.status_code == 302
    assert staff.get("/api/requests/1").get_json()["request"]["status"] == "pending"
    other = client_as(site, "truongstc")
    assert other.post("/requests/1/decide", data={"csrf_token": _csrf(other, "/requests"), "action": "approve"}).status_code == 404
    assert other.post("/requests/decide", data={"csrf_token": _csrf(other, "/requests"), "ids": ["1"],
                                                "action": "approve"}).status_code == 404
    assert client_as(site, "nhansu").get("/api/requests/1").get_json()["request"]["status"] == "pending"


def test_every_form_needs_its_csrf_token(site) -> None:
    head = client_as(site, "truongsnv")
    site.config["WTF_CSRF_ENABLED"] = True
    for path in ("/requests/1/decide", "/requests/decide", "/requests/1/withdraw", "/requests/1/revoke",
                 "/requests/1/files", "/requests/new?employee=NV001", "/account/password"):
        assert head.post(path, data={"action": "approve", "ids": ["1"]}).status_code == 400, path
    assert head.get("/api/requests/1").get_json()["request"]["status"] == "pending"


def test_reject_with_a_comment_then_the_decision_is_final(site) -> None:
    head = client_as(site, "truongsnv")
    token = _csrf(head, "/requests/1")
    head.post("/requests/1/decide", data={"csrf_token": token, "action": "reject"})
    assert head.get("/api/requests/1").get_json()["request"]["status"] == "pending"  # a comment is required
    head.post("/requests/1/decide", data={"csrf_token": token, "action": "reject", "comment": "Không có giấy mời"})
    data = head.get("/api/requests/1").get_json()
    assert (data["request"]["status"], data["request"]["decision_comment"], data["may_decide"]) == (
        "rejected", "Không có giấy mời", False)
    page = client_as(site, "nv001").get("/requests/1").get_data(as_text=True)
    assert "bị từ chối" in page and "Không có giấy mời" in page


def test_a_correction_approved_then_revoked_on_the_day_page(site) -> None:
    head = client_as(site, "truongsnv")
    token = _csrf(head, "/requests/2")
    head.post("/requests/2/decide", data={"csrf_token": token, "action": "approve"})
    day = head.get("/api/employees/NV002/days/2026-11-25").get_json()
    assert day["judgement"]["corrected"] is True
    assert [(m["direction"], m["approver"]) for m in day["manual_punches"]] == [("in", "truongsnv")]
    head.post("/requests/2/revoke", data={"csrf_token": token, "reason": "Duyệt nhầm"})
    day = head.get("/api/employees/NV002/days/2026-11-25").get_json()
    assert day["judgement"]["corrected"] is False and day["manual_punches"][0]["revoked_by"] == "truongsnv"


def test_hr_files_on_someones_behalf_and_searches(site) -> None:
    hr = client_as(site, "nhansu")
    assert "Trần Văn Bình" in hr.get("/requests/new?q=bình").get_data(as_text=True)
    path = "/requests/new?employee=NV003&date=2026-11-30&kind=leave"
    response = hr.post(path, data={"csrf_token": _csrf(hr, path), "employee": "NV003", "kind": "leave",
                                   "date": "2026-11-30", "date_to": "2026-12-01", "part": "full", "leave_kind": "P",
                                   "reason": "Nghỉ phép năm"})
    assert response.status_code == 302
    found = hr.get("/api/requests?q=Tâm").get_json()["requests"]
    assert [(r["employee_code"], r["kind"], r["on_behalf"], r["approver_unit"]) for r in found] == [
        ("NV003", "leave", True, "STC")]


def test_a_first_password_must_be_changed(site) -> None:
    with Store(Path(site.extensions["monitor"].config.storage.database), zone=ZONE, now=lambda: FIXED_NOW) as store:
        store.add_user("nv003", PASSWORD, role="staff", employee_code="NV003", must_change_password=True, actor="test")
    staff = client_as(site, "nv003")
    assert staff.get("/me").headers["Location"].endswith("/account/password")
    token = _csrf(staff, "/account/password")
    assert staff.post("/account/password", data={"csrf_token": token, "old_password": PASSWORD,
                                                 "new_password": "mat-khau-moi-1", "confirm": "khac"}).status_code == 400
    done = staff.post("/account/password", data={"csrf_token": token, "old_password": PASSWORD,
                                                "new_password": "mat-khau-moi-1", "confirm": "mat-khau-moi-1"})
    assert done.status_code == 302
    assert "/employees/NV003" in staff.get("/me").headers["Location"]


def test_a_locked_month_refuses_filing_and_revoking_on_the_site(site, tmp_path: Path) -> None:
    from monitor.reports.period import Month
    from monitor.service.month_close import take_step

    with Store(tmp_path / "web.db", zone=ZONE, now=lambda: FIXED_NOW) as store:
        desk = RequestDesk(store, load_config_for(tmp_path / "web.db").policy, RequestPolicy(), FIXED_NOW)
        approved = desk.file(Actor("nhansu", "hr"), Draft("NV001", "leave", date(2026, 10, 2), "Nghỉ phép", leave_kind="P"))
        desk.decide(Actor("truongsnv", "manager", ("SNV",)), approved, approve=True)
        for step, user in (("submit", "nhansu"), ("confirm", "truongsnv"), ("approve", "nhansu"), ("lock", "nhansu")):
            take_step(store, step, "SNV", Month(2026, 10), user, today=FIXED_NOW.date())
    lock = "NV001: tháng 2026-10 của đơn vị SNV đã khoá sổ (bởi nhansu lúc 2026-11-26 09:00)"  # in the reader's language
    hr = client_as(site, "nhansu")
    path = "/requests/new?employee=NV001&date=2026-10-05&kind=leave"
    response = hr.post(path, data={"csrf_token": _csrf(hr, path), "employee": "NV001", "kind": "leave",
                                   "date": "2026-10-05", "part": "full", "leave_kind": "P", "reason": "Nghỉ phép"})
    assert response.status_code == 400 and lock in response.get_data(as_text=True)
    response = hr.post(f"/requests/{approved}/revoke", data={"csrf_token": _csrf(hr, f"/requests/{approved}"),
                                                             "reason": "Duyệt nhầm"}, follow_redirects=True)
    assert lock in response.get_data(as_text=True)
    assert hr.get(f"/api/requests/{approved}").get_json()["request"]["status"] == "approved"
