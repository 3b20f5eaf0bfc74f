"""The month page at province scale (issue 11): paged, sorted by column and searched
like a unit's day, with totals for the whole selection and whole-month downloads; the
links it writes are url_for's."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from flask import url_for

from monitor.config import Config
from monitor.service.evaluation import Evaluation
from monitor.store import Store
from tests.conftest import FIXED_NOW, ZONE
from tests.web.test_hardening import add_people
from web.pages import code_url

MONTH = "/month?month=2026-11"


@pytest.fixture
def big_month(web_config: Path) -> None:
    """250 more people in STC, each late 20 minutes on 25/11 (253 in the month)."""
    people = [{"code": f"P{n:03d}", "full_name": f"Người Thứ {n:03d}", "unit_code": "STC", "hired_on": "2020-01-01"}
              for n in range(250)]
    add_people(web_config.parent / "web.db", people)


def _codes(page: str) -> list[str]:
    return re.findall(r'<tr data-employee="([^"]+)"', page.split('id="month"')[1].split("</tbody>")[0])


def _totals(page: str) -> list[str]:
    row = page.split('id="month-totals"')[1].split("</tr>")[0]
    return re.findall(r'<td class="num">([^<]*)</td>', row)


def test_the_month_is_paged_sorted_and_searched(big_month, client, auth) -> None:
    auth.login()
    everyone = client.get("/api/month?month=2026-11").get_json()["rows"]
    assert len(everyone) == 253
    first = client.get(f"{MONTH}&sort=employee").get_data(as_text=True)
    assert _codes(first)[:4] == ["NV001", "NV002", "NV003", "P000"] and len(_codes(first)) == 100
    assert "Trang 1/3 (253 người)" in first
    last = client.get(f"{MONTH}&sort=employee&page=3").get_data(as_text=True)
    assert len(_codes(last)) == 53 and _codes(last)[-1] == "P249"
    assert _codes(client.get(f"{MONTH}&sort=employee&dir=desc").get_data(as_text=True))[0] == "P249"
    # by a count, the ties in code order, as the whole month's rows say
    by_late = sorted(everyone, key=lambda r: (r["late_minutes"], r["employee"]), reverse=True)
    page = client.get(f"{MONTH}&sort=late_minutes&dir=desc").get_data(as_text=True)
    assert _codes(page) == [r["employee"] for r in by_late[:100]]
    assert 'aria-sort="descending"' in page
    found = client.get(f"{MONTH}&q=thứ 12").get_data(as_text=True)
    assert _codes(found) == [f"P{n}" for n in range(120, 130)]
    assert _codes(client.get(f"{MONTH}&q=nv00").get_data(as_text=True)) == ["NV001", "NV002", "NV003"]  # by unit, then code
    assert "Không có ai khớp." in client.get(f"{MONTH}&q=zzz").get_data(as_text=True)
    assert client.get(f"{MONTH}&page=x").status_code == 400
    assert client.get(f"{MONTH}&sort=nonsense&status=absent").status_code == 200  # unknown sorts fall back


def test_the_totals_are_the_whole_selections_on_every_page(big_month, client, auth) -> None:
    auth.login()
    everyone = client.get("/api/month?month=2026-11").get_json()["rows"]
    late_minutes = sum(r["late_minutes"] for r in everyone)
    assert late_minutes >= 5000  # 250 × 20 and more: thousands are grouped per language
    pages = [client.get(f"{MONTH}{tail}").get_data(as_text=True) for tail in ("", "&page=3", "&q=thứ 12&sort=late_count")]
    totals = [_totals(page) for page in pages]
    assert totals[0] == totals[1] == totals[2]
    assert totals[0][0] == f"{sum(r['required_days'] for r in everyone):,}".replace(",", ".")
    assert totals[0][3] == f"{late_minutes:,}".replace(",", ".")
    assert "Tổng cộng, 253 người" in pages[0]
    client.get("/language/en")
    english = client.get(MONTH).get_data(as_text=True)
    assert _totals(english)[3] == f"{late_minutes:,}" and "Total, 253 people" in english


def test_a_manager_pages_and_totals_their_units_only(big_month, client, auth) -> None:
    auth.login("truongsnv")
    page = client.get(f"{MONTH}&sort=employee").get_data(as_text=True)
    assert _codes(page) == ["NV001", "NV002"] and "Tổng cộng, 2 người" in page
    assert _codes(client.get(f"{MONTH}&q=P1").get_data(as_text=True)) == []
    assert client.get(f"{MONTH}&unit=STC").status_code == 404


def test_the_downloads_stay_whole(big_month, client, auth) -> None:
    auth.login()
    response = client.get(f"{MONTH}&format=csv&page=2&q=thứ 12&sort=late_minutes")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 253
    assert len(client.get("/api/month?month=2026-11&page=2").get_json()["rows"]) == 253


def test_the_shown_rows_carry_their_leave_and_flags(web_config: Path, auth_for) -> None:
    """The details are asked for the page's rows only; they are those of the report."""
    store = Store(web_config.parent / "web.db", zone=ZONE, now=lambda: FIXED_NOW)
    try:
        store.add_leave("NV002", date(2026, 11, 26), date(2026, 11, 26), part="full", kind="P", reason="Phép năm",
                        actor="test")
        Evaluation(store, Config(path=None).policy, FIXED_NOW).run()
    finally:
        store.close()
    web_config.write_text(web_config.read_text(encoding="utf-8") + "\n[rules]\nabsent_days_per_month = 1\n",
                          encoding="utf-8")
    client, auth = auth_for(web_config)
    auth.login()
    expected = {r["employee"]: r for r in client.get("/api/month?month=2026-11").get_json()["rows"]}
    assert expected["NV002"]["leave_days"] == {"P": 1}
    assert [f["rule"] for f in expected["NV003"]["flags"]] == ["absent_days_per_month"]
    page = client.get(MONTH).get_data(as_text=True)
    for code, row in expected.items():
        cells = page.split(f'<tr data-employee="{code}">')[1].split("</tr>")[0]
        assert ("P 1" in cells) == bool(row["leave_days"]), code
        assert ("Vắng không phép (ngày/tháng)" in cells) == bool(row["flags"]), code


@pytest.mark.parametrize("code", ["NV001", "SNV/TC", "a b", "Đội-1", "x?y#z", "100%", "../x", "a+b&c=d"])
def test_links_are_the_ones_url_for_writes(app, code: str) -> None:
    with app.test_request_context("/"):
        assert code_url("pages.employee_month", code, month="2026-11") == url_for("pages.employee_month", code=code, month="2026-11")
        assert code_url("pages.unit_day", code, date="2026-11-25") == url_for("pages.unit_day", code=code, date="2026-11-25")
        assert code_url("pages.unit_day", code) == url_for("pages.unit_day", code=code)
