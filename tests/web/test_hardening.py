"""Issue 11: each defect found by trying the site as a new user and as an intruder."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from monitor.config import Config, load_config
from monitor.service.evaluation import Evaluation
from monitor.store import Store
from tests.conftest import FIXED_NOW, ZONE
from tests.web.conftest import PASSWORD, Auth, download, punch
from web import create_app

MONTH_ENDPOINTS = ["/month", "/month/timesheet.xlsx", "/employees/NV001", "/api/month", "/api/employees/NV001"]
BAD_MONTHS = ["2026-13", "11/2026", "abc", "2026-00", "2026-11-05", "-1", "99999-01"]


def add_people(database: Path, people: list[dict], units: list[dict] | None = None) -> None:
    """Add units and employees to the web test database, with a punch each on 25/11, judged."""
    store = Store(database, zone=ZONE, now=lambda: FIXED_NOW)
    try:
        if units:
            store.upsert_units(units, actor="test")
        store.upsert_employees(people, actor="test")
        store.upsert_enrollments(
            [{"device_id": "gate", "device_user_id": f"x{n}", "employee_code": p["code"]} for n, p in enumerate(people)],
            actor="test")
        store.add_punches("gate", [punch(f"x{n}", "2026-11-25 07:50:00") for n in range(len(people))], source="file")
        Evaluation(store, Config(path=None).policy, FIXED_NOW).run()
    finally:
        store.close()


# --- 1. bad months ------------------------------------------------------------------------


@pytest.mark.parametrize("value", BAD_MONTHS)
@pytest.mark.parametrize("path", MONTH_ENDPOINTS)
def test_a_malformed_month_is_a_400_with_a_message(client, auth, path: str, value: str) -> None:
    auth.login()
    response = client.get(path, query_string={"month": value})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    if path.startswith("/api/"):
        assert response.is_json and "2026-11" in response.get_json()["message"]
    else:
        assert "Tháng phải có dạng 2026-11" in body and "Traceback" not in body


# --- 2. formula injection in exports ------------------------------------------------------

PAYLOAD = '=HYPERLINK("http://x","a")'


def test_formulas_in_names_and_grades_are_inert_in_every_export(web_config: Path, client, auth) -> None:
    add_people(web_config.parent / "web.db", [
        {"code": "NV009", "full_name": PAYLOAD, "unit_code": "STC", "grade": "+1", "hired_on": "2020-01-01"},
        {"code": "NV010", "full_name": "@SUM(1)", "unit_code": "STC", "grade": "-2", "hired_on": "2020-01-01"},
        {"code": "NV011", "full_name": "\tTab", "unit_code": "STC", "grade": "\rCR", "hired_on": "2020-01-01"},
    ])
    auth.login("nhansu")
    body = client.get("/month?month=2026-11&format=csv").get_data(as_text=True)
    names = {row["employee"]: row["name"] for row in csv.DictReader(io.StringIO(body[1:]))}
    assert names["NV009"] == "'" + PAYLOAD and names["NV010"] == "'@SUM(1)" and names["NV011"] == "'\tTab"

    response = download(client, "/month/timesheet.xlsx?month=2026-11&unit=STC")
    book = load_workbook(BytesIO(response.get_data()))
    cells = {cell.value: cell for row in book["STC"].iter_rows() for cell in row if isinstance(cell.value, str)}
    for text in (PAYLOAD, "@SUM(1)", "+1", "-2"):
        assert cells[text].data_type == "s", text  # a string cell, not a formula
    with BytesIO(response.get_data()) as raw, __import__("zipfile").ZipFile(raw) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml


# --- 3. sessions outlive logout -----------------------------------------------------------


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _thief(app, cookie: str):
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def test_a_copied_cookie_dies_at_logout(app, client, auth) -> None:
    auth.login()
    thief = _thief(app, _cookie(client))
    assert thief.get("/").status_code == 200
    auth.logout()
    assert thief.get("/").status_code == 302


@pytest.mark.parametrize("change", ["password", "role", "disable"])
def test_a_copied_cookie_dies_when_the_user_changes(app, client, auth, web_config: Path, change: str) -> None:
    auth.login("truongsnv")
    thief = _thief(app, _cookie(client))
    assert thief.get("/").status_code == 200
    store = Store(web_config.parent / "web.db", zone=ZONE, now=lambda: FIXED_NOW)
    try:
        if change == "password":
            store.set_password("truongsnv", "mat-khau-moi-123", actor="admin")
        elif change == "role":
            store.set_user_role("truongsnv", "manager", ["STC"], actor="admin", roles=("admin", "hr", "manager"))
        else:
            store.set_user_active("truongsnv", False, actor="admin", reason="left the office")
        assert [row["ended_reason"] for row in store.user_sessions("truongsnv")] != [None]
    finally:
        store.close()
    assert thief.get("/").status_code == 302
    assert client.get("/api/day").status_code in (302, 401)


def test_a_disabled_user_cannot_log_in_and_an_enabled_one_can(client, auth, web_config: Path) -> None:
    store = Store(web_config.parent / "web.db", zone=ZONE, now=lambda: FIXED_NOW)
    try:
        store.set_user_active("nhansu", False, actor="admin")
        assert auth.login("nhansu").status_code == 401
        store.set_user_active("nhansu", True, actor="admin")
    finally:
        store.close()
    assert auth.login("nhansu").status_code == 302


def test_the_session_id_is_random_and_stored_hashed(client, auth, web_config: Path) -> None:
    auth.login()
    with client.session_transaction() as session:
        token = session["sid"]
    store = Store(web_config.parent / "web.db", zone=ZONE)
    try:
        ids = [row["id"] for row in store.user_sessions("admin")]
    finally:
        store.close()
    assert len(token) >= 40 and token not in ids
    assert hashlib.sha256(token.encode()).hexdigest() in ids


def test_an_idle_session_ends(web_config: Path, clock) -> None:
    app = create_app(load_config(web_config), now=clock, testing=True)
    client = app.test_client()
    Auth(client).login()
    clock.now = FIXED_NOW + timedelta(minutes=479)
    assert client.get("/").status_code == 200
    clock.now += timedelta(minutes=481)
    assert client.get("/").status_code == 302


# --- 4. throttling per username and per address -------------------------------------------


def test_wrong_passwords_delay_the_name_and_the_right_one_works_after_the_delay(web_config: Path, clock) -> None:
    app = create_app(load_config(web_config), now=clock, testing=True)
    intruder, owner = Auth(app.test_client()), Auth(app.test_client())
    for _ in range(5):
        assert intruder.login("admin", "sai").status_code == 401
    refused = owner.login("admin", PASSWORD)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 15
    assert "Hãy thử lại sau" in refused.get_data(as_text=True)
    clock.now += timedelta(seconds=16)
    assert owner.login("admin", PASSWORD).status_code == 302


def test_the_delay_grows_with_each_further_failure(web_config: Path, clock) -> None:
    app = create_app(load_config(web_config), now=clock, testing=True)
    auth = Auth(app.test_client())
    for _ in range(5):
        auth.login("nhansu", "sai")
    waits = []
    for _ in range(3):
        clock.now += timedelta(seconds=int(auth.login("nhansu", PASSWORD).headers["Retry-After"]))
        assert auth.login("nhansu", "sai").status_code == 401
        waits.append(int(auth.login("nhansu", PASSWORD).headers["Retry-After"]))
    assert waits[0] < waits[1] < waits[2]


def test_many_names_from_one_address_are_throttled(client, auth) -> None:
    statuses = [auth.login(f"ten-{n}", "sai").status_code for n in range(50)]
    assert statuses[:20] == [401] * 20
    assert set(statuses[20:]) == {429}
    # the address is throttled, not the real users: their own delay is untouched
    assert auth.login("admin", PASSWORD).status_code == 429


def test_attempts_are_logged(client, auth, web_config: Path) -> None:
    auth.login("admin", "sai")
    auth.login("admin")
    store = Store(web_config.parent / "web.db", zone=ZONE)
    try:
        attempts = store.login_attempts("admin")
    finally:
        store.close()
    assert [(a["succeeded"], a["address"]) for a in attempts] == [(1, "127.0.0.1"), (0, "127.0.0.1")]


def _addresses_logged(database: Path) -> set[str]:
    store = Store(database, zone=ZONE)
    try:
        return {attempt["address"] for attempt in store.login_attempts(limit=500)}
    finally:
        store.close()


def test_the_throttle_keys_on_x_forwarded_for_only_behind_a_configured_proxy(web_config: Path, auth_for) -> None:
    # reached directly: the header is anybody's to forge, so it changes nothing
    client, auth = auth_for(web_config)
    statuses = []
    for n in range(21):
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{n}"
        statuses.append(auth.login(f"ten-{n}", "sai").status_code)
    assert statuses == [401] * 20 + [429]
    assert _addresses_logged(web_config.parent / "web.db") == {"127.0.0.1"}

    # behind one proxy ([web] trusted_proxies = 1): the address it forwards is the user's
    web_config.write_text(web_config.read_text(encoding="utf-8") + "trusted_proxies = 1\n", encoding="utf-8")
    client, auth = auth_for(web_config)
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
    statuses = [auth.login(f"khach-{n}", "sai").status_code for n in range(21)]
    assert statuses == [401] * 20 + [429]  # that user is throttled ...
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.10"
    assert auth.login("khach-khac", "sai").status_code == 401  # ... not the others behind the same proxy
    assert auth.login("admin").status_code == 302
    assert _addresses_logged(web_config.parent / "web.db") == {"127.0.0.1", "203.0.113.9", "203.0.113.10"}


# --- 5. equal timing for unknown users ----------------------------------------------------


def test_an_unknown_user_costs_one_hash_like_a_known_one(client, auth, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib as hashlib_module

    auth.login("khong-co-ai", "sai")  # the decoy hash is made once per process, before counting
    calls: list[str] = []
    real = hashlib_module.scrypt

    def counting(*args, **kwargs):
        calls.append("scrypt")
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib_module, "scrypt", counting)
    auth.login("admin", "sai-mat-khau")
    known = len(calls)
    calls.clear()
    auth.login("khong-co-ai", "sai-mat-khau")
    assert known == len(calls) == 1


# --- 6. and 7. language per request, and kept at login ------------------------------------


def test_headings_follow_each_request_language(app) -> None:
    english, vietnamese = app.test_client(), app.test_client()
    for client in (english, vietnamese):
        Auth(client).login()
    english.get("/language/en")
    assert ">Name<" in english.get("/units/SNV?date=2026-11-25").get_data(as_text=True)
    page = vietnamese.get("/units/SNV?date=2026-11-25").get_data(as_text=True)
    assert ">Họ và tên<" in page and ">Name<" not in page
    assert ">Name<" in english.get("/units/SNV?date=2026-11-25").get_data(as_text=True)


def test_the_language_picked_on_the_login_page_stays_after_login(client, auth) -> None:
    client.get("/language/en?next=/login")
    auth.login()
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and ">Devices<" in page


# --- 8. codes with '/' -------------------------------------------------------------------


def test_codes_with_a_slash_have_working_pages(web_config: Path, client, auth) -> None:
    add_people(web_config.parent / "web.db",
               [{"code": "NV/2026/01", "full_name": "Đỗ Văn Khoa", "unit_code": "P/KT", "hired_on": "2020-01-01"}],
               units=[{"code": "P/KT", "name": "Phòng Kế toán", "parent_code": "STC"}])
    auth.login("truongstc")
    index = client.get("/?date=2026-11-25").get_data(as_text=True)
    unit_link = re.search(r'href="([^"]*P/KT[^"]*)"', index).group(1).replace("&amp;", "&")
    assert client.get(unit_link).status_code == 200
    page = client.get("/units/P/KT?date=2026-11-25").get_data(as_text=True)
    assert "Đỗ Văn Khoa" in page
    person = client.get("/employees/NV/2026/01?month=2026-11")
    assert person.status_code == 200 and "Đỗ Văn Khoa" in person.get_data(as_text=True)
    assert client.get("/api/employees/NV/2026/01?month=2026-11").get_json()["employee"]["employee"] == "NV/2026/01"
    response = download(client, "/month/timesheet.xlsx?month=2026-11&unit=P/KT")
    assert "filename=bang-cham-cong-2026-11-P-KT.xlsx" in response.headers["Content-Disposition"]
    Auth(client).logout()
    Auth(client).login("truongsnv")
    for path in ("/units/P/KT", "/units/P%2FKT", "/employees/NV/2026/01", "/api/employees/NV%2F2026%2F01"):
        assert client.get(path).status_code == 404, path


# --- 9. parents add up --------------------------------------------------------------------


def test_a_parent_unit_sums_its_sub_units(client, auth) -> None:
    auth.login()
    page = client.get("/?date=2026-11-25").get_data(as_text=True)

    def cells(code: str) -> list[str]:
        row = re.search(rf'<tr data-unit="{code}">(.*?)</tr>', page, re.S).group(1)
        return re.findall(r'<td class="num[^"]*">([^<]*)</td>', row)

    # required, present, late, early, absent, leave, missing
    assert cells("UBND") == ["3", "2", "1", "0", "1", "0", "0"]
    assert cells("SNV") == ["2", "2", "1", "0", "0", "0", "0"]
    assert cells("SNV-TC") == ["1", "1", "0", "0", "0", "0", "0"]
    assert cells("STC") == ["1", "0", "0", "0", "1", "0", "0"]


# --- 10. headers, size limit, error pages -------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/api/day", "/month?month=2026-11&format=csv", "/employees/NV001"])
def test_personal_pages_carry_security_headers_and_no_store(client, auth, path: str) -> None:
    auth.login()
    response = client.get(path)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_no_page_has_an_inline_script_or_style(client, auth) -> None:
    auth.login()
    for path in ("/", "/units/UBND?date=2026-11-25", "/month", "/employees/NV001", "/devices", "/admin/users", "/login"):
        page = client.get(path).get_data(as_text=True)
        assert "<script" not in page and " style=" not in page and "<style" not in page, path


def test_a_huge_request_is_refused(client) -> None:
    response = client.post("/login", data={"username": "admin", "password": "x" * (20 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Yêu cầu quá lớn" in response.get_data(as_text=True)


def test_errors_are_localised_pages_and_json_under_api(client, auth) -> None:
    auth.login()
    page = client.get("/khong-co")
    assert page.status_code == 404 and "Không tìm thấy" in page.get_data(as_text=True)
    assert "Werkzeug" not in page.get_data(as_text=True) and page.mimetype == "text/html"
    client.get("/language/en")
    assert "Not found" in client.get("/khong-co").get_data(as_text=True)
    api = client.get("/api/khong-co")
    assert api.status_code == 404 and api.is_json and api.get_json()["error"] == 404
    assert client.post("/api/day").get_json()["error"] == 405


# --- 11. exports never starve the pages ---------------------------------------------------


def test_exports_run_beside_the_pages_and_too_many_answer_busy(client, auth, tmp_path: Path) -> None:
    """Three exports are held in the worker (their database locked); a fourth is told to
    come back, and the pages answer meanwhile."""
    import shutil
    import sqlite3

    from web.exports import TimesheetRequest

    jobs = client.application.extensions["exports"]
    auth.login("nhansu")
    locked = tmp_path / "locked.db"
    shutil.copyfile(Path(client.application.extensions["monitor"].config.storage.database), locked)
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    keys = [("held", str(n)) for n in range(jobs.limit)]
    try:
        futures = [jobs.start(key, TimesheetRequest(locked, "Asia/Ho_Chi_Minh", "2026-11", None, None, "x",
                                                      Config(path=None).policy.leave)) for key in keys]
        assert all(futures)
        busy = client.get("/month/timesheet.xlsx?month=2026-11")
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "60"
        assert "Các bảng chấm công khác đang được lập" in busy.get_data(as_text=True)
        assert client.get("/api/day?date=2026-11-25").status_code == 200
        assert client.get("/month?month=2026-11").status_code == 200
    finally:
        holder.execute("COMMIT")
        holder.close()
        for future in futures:
            future.exception(timeout=60)
        for key in keys:
            jobs.forget(key)
    assert download(client, "/month/timesheet.xlsx?month=2026-11").status_code == 200


def test_an_empty_timesheet_says_why_instead_of_downloading(client, auth) -> None:
    auth.login("nhansu")
    response = client.get("/month/timesheet.xlsx?month=2026-10", follow_redirects=False)
    for _ in range(60):
        if response.status_code != 202:
            break
        response = client.get("/month/timesheet.xlsx?month=2026-10")
    assert response.status_code == 303 or response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Chưa có ngày nào của Tháng 10/2026 được chấm" in page


# --- 12. manager views select their units in the query ------------------------------------


def test_a_managers_day_and_month_select_only_their_units(app, client, auth) -> None:
    from web.db import get_store

    statements: list[str] = []

    @app.before_request
    def trace() -> None:
        get_store().db.conn.set_trace_callback(statements.append)

    auth.login("truongsnv")
    statements.clear()
    assert client.get("/api/day?date=2026-11-25").status_code == 200
    assert client.get("/api/month?month=2026-11").status_code == 200
    reads = [s for s in statements if "day_results r " in s]  # read from the key or an index, filtered by unit
    assert len(reads) == 2
    for statement in reads:
        assert "r.unit_code IN ('SNV','SNV-TC')" in statement.replace(", ", ","), statement
