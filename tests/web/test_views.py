"""Issue 11's expectations of the pages: formats per language, the "not in yet" list,
paging, sorting and search of a big day, the person search, the devices page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.web.test_hardening import add_people
from web.i18n import format_day, format_minutes, format_month, format_number


@pytest.mark.parametrize(("language", "expected"), [
    ("vi", ("20,5", "1.234", "25/11/2026", "Tháng 11/2026")),
    ("en", ("20.5", "1,234", "Nov 25, 2026", "November 2026")),
], ids=["vi", "en"])
def test_numbers_dates_and_months_per_language(app, language: str, expected: tuple[str, ...]) -> None:
    with app.test_request_context(headers={"Accept-Language": language}):
        assert (format_number(20.5), format_number(1234), format_day("2026-11-25"), format_month("2026-11")) == expected


@pytest.mark.parametrize(("minutes", "shown"), [(0, ""), (None, ""), (5, "0:05"), (485, "8:05"), (600, "10:00")])
def test_worked_time_is_hours_and_minutes(minutes, shown: str) -> None:
    assert format_minutes(minutes) == shown


def test_a_persons_month_in_both_languages(client, auth) -> None:
    auth.login()
    worked = next(d for d in client.get("/api/employees/NV001?month=2026-11").get_json()["days"] if d["date"] == "2026-11-25")
    hours = f"{worked['worked_minutes'] // 60}:{worked['worked_minutes'] % 60:02d}"
    page = client.get("/employees/NV001?month=2026-11").get_data(as_text=True)
    assert "Tháng 11/2026" in page and "25/11/2026" in page and f'<td class="num">{hours}</td>' in page
    client.get("/language/en")
    page = client.get("/employees/NV001?month=2026-11").get_data(as_text=True)
    assert "November 2026" in page and "Nov 25, 2026" in page and "Worked (h:mm)" in page


def test_the_people_not_in_yet_are_listed(client, auth) -> None:
    auth.login()
    page = client.get("/").get_data(as_text=True)
    table = page.split('id="not-in"')[1].split("</table>")[0]
    assert re.findall(r'data-employee="([^"]+)"', table) == ["NV002", "NV003"]
    assert "Trần Văn Bình" in table and "SNV-TC" in table


@pytest.fixture
def big_unit(web_config: Path) -> None:
    people = [{"code": f"P{n:03d}", "full_name": f"Người Thứ {n:03d}", "unit_code": "STC", "hired_on": "2020-01-01",
               "title": "Chuyên viên"} for n in range(250)]
    add_people(web_config.parent / "web.db", people)


def _codes(page: str) -> list[str]:
    return re.findall(r'<tr data-employee="([^"]+)"', page.split('class="grid day-rows"')[1])


def test_a_big_day_is_paged_sorted_and_searchable(big_unit, client, auth) -> None:
    auth.login()
    first = client.get("/units/STC?date=2026-11-25&sort=employee").get_data(as_text=True)
    assert _codes(first)[:2] == ["NV003", "P000"] and len(_codes(first)) == 100
    assert "Trang 1/3 (251 người)" in first
    last = client.get("/units/STC?date=2026-11-25&sort=employee&page=3").get_data(as_text=True)
    assert len(_codes(last)) == 51 and _codes(last)[-1] == "P249"
    reverse = client.get("/units/STC?date=2026-11-25&sort=employee&dir=desc").get_data(as_text=True)
    assert _codes(reverse)[0] == "P249"
    late_first = client.get("/units/STC?date=2026-11-25&sort=late_minutes&dir=desc").get_data(as_text=True)
    assert _codes(late_first)[0].startswith("P")  # the 07:50 arrivals are late, NV003 absent
    found = client.get("/units/STC?date=2026-11-25&q=thứ 12").get_data(as_text=True)
    assert _codes(found) == ["P120", "P121", "P122", "P123", "P124", "P125", "P126", "P127", "P128", "P129"]
    absent = client.get("/units/STC?date=2026-11-25&status=absent").get_data(as_text=True)
    assert _codes(absent) == ["NV003"]
    assert client.get("/units/STC?date=2026-11-25&page=x").status_code == 400


def test_the_person_search_keeps_to_the_managers_units(client, auth) -> None:
    auth.login("truongsnv")
    page = client.get("/search?q=n").get_data(as_text=True)
    assert re.findall(r'data-employee="([^"]+)"', page) == ["NV001", "NV002"]
    response = client.get("/search?q=bình")
    assert response.status_code == 302 and response.headers["Location"] == "/employees/NV002"
    assert "Không có ai trong các đơn vị của bạn khớp" in client.get("/search?q=Tâm").get_data(as_text=True)
    assert "%" not in client.get("/search?q=%25").get_data(as_text=True).split('id="people"')[0][-5:]


def test_the_unit_page_has_a_30_day_chart(client, auth) -> None:
    auth.login()
    page = client.get("/units/SNV?date=2026-11-26").get_data(as_text=True)
    chart = page.split('<figure class="trend" id="trend">')[1].split("</figure>")[0]
    assert chart.count("<g data-day=") == 30
    assert '<g data-day="2026-10-28">' in chart and '<g data-day="2026-11-26">' in chart
    assert "1 lượt đi muộn, 11 phút, 0 ngày vắng" in chart


def test_devices_show_online_in_plain_vietnamese_and_their_last_contact(web_config: Path, client, auth) -> None:
    from monitor.store import Store
    from tests.conftest import FIXED_NOW, ZONE

    store = Store(web_config.parent / "web.db", zone=ZONE, now=lambda: FIXED_NOW)
    store.set_device_status("gate", "online")
    store.close()
    auth.login()
    page = client.get("/devices").get_data(as_text=True)
    row = page.split('data-device="gate"')[1].split("</tr>")[0]
    assert "trực tuyến" in row and "đang kết nối" not in page
    assert '<td class="last-contact">26/11/2026 09:00:00</td>' in row
    assert '<td class="last-punch">26/11/2026 07:28:00</td>' in row
