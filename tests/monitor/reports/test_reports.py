"""Day, month and employee reports over a month built to exercise every count.

November 2026 has 21 weekdays; 24/11 is Vietnam Cultural Day in the holidays data, so
20 are required. PTC (below SNV) has its own day off on 20/11.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from monitor.reports.attendance import (
    DAY_KEYS,
    MONTH_KEYS,
    day_report,
    employee_report,
    month_report,
)
from monitor.reports.period import Month
from monitor.reports.render import day_table, employee_table, month_table, to_csv
from monitor.service.evaluation import Evaluation
from monitor.store import Store
from tests.monitor.engine_helpers import OFFICE_TOML, ZONE, add_punches, parse_policy

NOVEMBER = Month(2026, 11)
# NV001's month: the exceptions; every other weekday is 07:25 / 11:35 / 13:25 / 17:05
NV001_DAYS = {
    "2026-11-03": ["07:50", "17:05"],  # late 20
    "2026-11-05": ["07:40", "17:05"],  # late 10
    "2026-11-10": ["08:00", "17:05"],  # late 30
    "2026-11-12": ["07:25", "16:30"],  # early 30
    "2026-11-13": [],  # absent
    "2026-11-16": ["07:25", "11:35"],  # afternoon absent
    "2026-11-19": ["13:28", "17:05"],  # morning on sick leave
    "2026-11-23": ["07:28"],  # forgot to punch out
}


def build_november(store: Store) -> None:
    stamps = []
    day = date(2026, 11, 2)
    while day.month == 11:
        if day.weekday() < 5:
            times = NV001_DAYS.get(day.isoformat(), ["07:25", "11:35", "13:25", "17:05"])
            stamps += [f"NV001 {day} {t}" for t in times]
            stamps += [f"NV002 {day} {t}" for t in ("07:20", "17:10")]
        day += timedelta(days=1)
    add_punches(store, *stamps)
    store.add_leave("NV001", date(2026, 11, 17), date(2026, 11, 18), part="full", kind="P", reason="Phép năm",
                    actor="hr")
    store.add_leave("NV001", date(2026, 11, 19), date(2026, 11, 19), part="morning", kind="Ô", reason="Khám bệnh",
                    actor="hr")
    store.add_leave("NV002", date(2026, 11, 26), date(2026, 11, 27), part="full", kind="CT", reason="Công tác",
                    actor="hr")


@pytest.fixture
def november(directory: Store, policy) -> Store:
    build_november(directory)
    Evaluation(directory, policy, datetime(2026, 12, 1, 8, 0, tzinfo=ZONE)).run()
    return directory


def test_month_counts_and_flags(november: Store, policy) -> None:
    rows = {row["employee"]: row for row in month_report(november, policy, NOVEMBER)}
    assert list(rows["NV001"]) == list(MONTH_KEYS)
    assert rows["NV001"] == {
        "employee": "NV001", "name": "Nguyễn Thị Hoa", "unit": "SNV", "month": "2026-11",
        "required_days": 20, "present_days": 16, "late_count": 3, "late_minutes": 60,
        "early_count": 1, "early_minutes": 30, "away_minutes": 0, "absent_days": 1.5, "missing_punches": 1,
        "leave_days": {"P": 2, "Ô": 0.5},
        "flags": [{"rule": "late_count_per_month", "value": 3, "threshold": 3}],
        # no request was approved: after explanations equals as measured
        "late_count_after": 3, "late_minutes_after": 60, "early_count_after": 1, "early_minutes_after": 30,
        "away_minutes_after": 0, "absent_days_after": 1.5, "missing_punches_after": 1, "corrected_days": 0,
    }
    assert (rows["NV002"]["required_days"], rows["NV002"]["present_days"], rows["NV002"]["leave_days"]) == (
        19, 19, {"CT": 2})  # 20/11 is PTC's own day off; a business trip counts as work
    assert rows["NV003"]["required_days"] == 18  # hired 04/11, never punched
    assert rows["NV003"]["flags"] == [{"rule": "absent_days_per_month", "value": 18, "threshold": 3}]


def test_the_yearly_absence_flag_counts_the_year_to_date(november: Store, policy) -> None:
    strict = parse_policy(OFFICE_TOML + "\n[rules]\nabsent_days_per_month = 0\nabsent_days_per_year = 10\n")
    flags = {row["employee"]: row["flags"] for row in month_report(november, strict, NOVEMBER)}
    assert flags["NV003"] == [{"rule": "absent_days_per_year", "value": 18, "threshold": 10}]


def test_a_unit_includes_the_units_below_it(november: Store, policy) -> None:
    assert [row["employee"] for row in month_report(november, policy, NOVEMBER, "SNV")] == ["NV002", "NV001"]
    assert [row["employee"] for row in month_report(november, policy, NOVEMBER, "STC")] == ["NV003"]
    assert [row["employee"] for row in day_report(november, date(2026, 11, 20), "UBND")] == ["NV002", "NV001", "NV003"]


def test_day_rows(november: Store) -> None:
    rows = {row["employee"]: row for row in day_report(november, date(2026, 11, 19))}
    assert list(rows["NV001"]) == list(DAY_KEYS)
    assert rows["NV001"] == {
        "employee": "NV001", "name": "Nguyễn Thị Hoa", "unit": "SNV", "date": "2026-11-19", "status": "present",
        "arrival": "13:28:00", "departure": "17:05:00", "late_minutes": 0, "early_minutes": 0,
        "worked_minutes": 210, "away_minutes": 0, "missing_in": 0, "missing_out": 0, "symbol": "Ô/+",
        "leave": "Ô", "holiday": None, "provisional": False,
        "excused_late_minutes": 0, "excused_early_minutes": 0, "excused_away_minutes": 0, "excused_missing": 0,
        "excused_absence": 0, "approved_symbol": "Ô/+", "corrected": False, "requests": [],
    }
    holiday = {row["employee"]: row for row in day_report(november, date(2026, 11, 24))}["NV001"]
    assert (holiday["status"], holiday["holiday"], holiday["symbol"]) == ("holiday", "Ngày Văn hóa Việt Nam", "L")
    unit_day_off = {row["employee"]: row for row in day_report(november, date(2026, 11, 20))}
    assert (unit_day_off["NV002"]["status"], unit_day_off["NV001"]["status"]) == ("holiday", "present")


def test_employee_report(november: Store, policy) -> None:
    report = employee_report(november, policy, "NV001", NOVEMBER)
    assert report["employee"]["late_count"] == 3
    assert [day["date"] for day in report["days"]][:2] == ["2026-11-02", "2026-11-03"]
    assert len(report["days"]) == 29  # from the first punch (02/11) to the end of the month


def test_tables_in_both_languages(november: Store, policy) -> None:
    rows = day_report(november, date(2026, 11, 16), "SNV")
    vietnamese = day_table(rows, "vi").splitlines()
    assert vietnamese[0].split() == ["Mã", "NV", "Họ", "và", "tên", "Đơn", "vị", "Trạng", "thái", "Giờ", "đến",
                                     "Giờ", "về", "Muộn", "(ph)", "Sớm", "(ph)", "Làm", "(ph)", "Vắng", "trong",
                                     "giờ", "(ph)", "Thiếu", "chấm", "Ký", "hiệu", "Ghi", "chú"]
    assert "Vắng một buổi" in vietnamese[3] and "+/KP" in vietnamese[3]
    english = day_table(rows, "en")
    assert "partly absent" in english and "Arrival" in english
    month = month_table(month_report(november, policy, NOVEMBER), "vi")
    assert "Đi muộn (lần/tháng) 3 ≥ 3" in month and "P:2 Ô:0,5" in month
    assert "Late" in month_table(month_report(november, policy, NOVEMBER), "en")
    assert "Ngày vắng KP" in employee_table(employee_report(november, policy, "NV001", NOVEMBER), "vi")


def test_csv_has_the_json_keys(november: Store, policy) -> None:
    text = to_csv(month_report(november, policy, NOVEMBER, "SNV"), MONTH_KEYS)
    lines = text.splitlines()
    assert lines[0] == ",".join(MONTH_KEYS)
    assert lines[2].endswith(",1.5,1,P:2;Ô:0.5,late_count_per_month,3,60,1,30,0,1.5,1,0")


def test_a_bad_month() -> None:
    with pytest.raises(Exception, match=r"'2026-13' is not a month \(write YYYY-MM, e.g. 2026-11\)"):
        Month.parse("2026-13")


def test_every_report_key_is_documented() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "docs" / "reports.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)`", text, flags=re.MULTILINE))
    documented |= {"name"}  # documented together with employee
    assert set(DAY_KEYS) | set(MONTH_KEYS) <= documented
