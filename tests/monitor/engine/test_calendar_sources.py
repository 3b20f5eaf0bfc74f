"""The calendar's three sources: the holidays package < a shipped decision < the config,
each day showing which one decided it; and the shipped data itself."""

from __future__ import annotations

import dataclasses
from datetime import date

import holidays
import pytest

from monitor.engine.calendar import SOURCE_CONFIG, SOURCE_DECISION, SOURCE_PACKAGE, SOURCE_SCHEDULE
from monitor.engine.decisions import parse_decisions, shipped_decisions
from monitor.engine.schedules import SITE_DEFAULT
from monitor.errors import ConfigError
from tests.monitor.engine_helpers import parse_policy

WEEKDAYS = SITE_DEFAULT.weekdays
PARENTS = {"UBND": None, "SNV": "UBND", "PTC": "SNV"}
# a decision file of a later year: 24/11/2026 confirmed as a working day, one more swap
LATER_DECISIONS = """
[[days]]
date = 2026-11-24
kind = "workday"
name = "Ngày Văn hóa Việt Nam: làm việc bình thường"
ref = "99/VPCP-KGVX ngày 01/11/2026"

[[days]]
date = 2026-01-02
kind = "day_off"
name = "Nghỉ Tết Dương lịch"
ref = "12729/VPCP-KGVX ngày 25/12/2025"
"""
CONFIG = """
[units.PTC]
days_off = [{date = 2026-11-20, name = "Ngày Nhà giáo (đơn vị)", ref = "QĐ 12/QĐ-PTC"}]

[calendar]
workdays = [{date = 2026-11-24, name = "Làm việc (chờ luật sửa đổi)", ref = "CV 5/UBND"}]
days_off = [{date = 2026-01-10, name = "Nghỉ (quyết định của tỉnh)", ref = "QĐ 7/QĐ-UBND"}]
"""


def _calendar(config: str = "", decisions: str | None = None):
    policy = parse_policy(config)
    if decisions is not None:
        policy = dataclasses.replace(policy, decisions=parse_decisions(decisions))
    return policy.work_calendar(PARENTS)


@pytest.mark.parametrize(
    ("config", "decisions", "day", "unit", "off", "source", "ref", "confirmed"),
    [
        pytest.param("", None, date(2026, 2, 17), None, True, SOURCE_PACKAGE, None, False, id="package-only-unconfirmed"),
        pytest.param("", None, date(2026, 11, 24), None, True, SOURCE_PACKAGE, None, False,
                     id="cultural-day-unconfirmed"),
        pytest.param("", None, date(2026, 4, 30), None, True, SOURCE_PACKAGE,
                     "Bộ luật Lao động 2019 (45/2019/QH14), Điều 112", True, id="package-confirmed-by-law"),
        pytest.param("", None, date(2026, 8, 22), None, False, SOURCE_PACKAGE, None, False,
                     id="package-makeup-saturday"),
        pytest.param("", None, date(2026, 1, 2), None, True, SOURCE_DECISION, "12729/VPCP-KGVX ngày 25/12/2025", None,
                     id="shipped-day-off-package-lacks"),
        pytest.param("", None, date(2026, 1, 10), None, False, SOURCE_DECISION, "12729/VPCP-KGVX ngày 25/12/2025",
                     None, id="shipped-makeup-saturday-package-lacks"),
        pytest.param("", LATER_DECISIONS, date(2026, 11, 24), None, False, SOURCE_DECISION,
                     "99/VPCP-KGVX ngày 01/11/2026", None, id="decision-beats-package"),
        pytest.param(CONFIG, LATER_DECISIONS, date(2026, 11, 24), None, False, SOURCE_CONFIG, "CV 5/UBND", None,
                     id="config-beats-decision"),
        pytest.param(CONFIG, None, date(2026, 11, 24), "SNV", False, SOURCE_CONFIG, "CV 5/UBND", None,
                     id="config-cancels-unconfirmed-package-day"),
        pytest.param(CONFIG, None, date(2026, 1, 10), None, True, SOURCE_CONFIG, "QĐ 7/QĐ-UBND", None,
                     id="config-beats-shipped-makeup-day"),
        pytest.param(CONFIG, None, date(2026, 11, 20), "PTC", True, SOURCE_CONFIG, "QĐ 12/QĐ-PTC", None,
                     id="unit-config"),
        pytest.param(CONFIG, None, date(2026, 11, 20), "SNV", False, SOURCE_SCHEDULE, None, None,
                     id="unit-config-not-above"),
        pytest.param("", None, date(2026, 11, 25), None, False, SOURCE_SCHEDULE, None, None, id="ordinary-weekday"),
    ],
)
def test_precedence_and_source(config, decisions, day, unit, off, source, ref, confirmed) -> None:
    verdict = _calendar(config, decisions).verdict(day, unit, WEEKDAYS)
    assert (verdict.off, verdict.source, verdict.ref) == (off, source, ref)
    if source == SOURCE_PACKAGE:
        assert verdict.unconfirmed is not confirmed


def test_the_config_names_the_unit_and_keeps_what_the_package_said() -> None:
    verdict = _calendar(CONFIG).verdict(date(2026, 11, 24), "PTC", WEEKDAYS)
    assert verdict.config_unit is None  # [calendar], not a unit's own
    assert verdict.package_name == "Ngày Văn hóa Việt Nam"
    assert _calendar(CONFIG).verdict(date(2026, 11, 20), "PTC", WEEKDAYS).config_unit == "PTC"


def test_the_judged_day_follows_the_verdict() -> None:
    calendar = _calendar()
    friday = calendar.day(date(2026, 1, 2), None, WEEKDAYS)
    saturday = calendar.day(date(2026, 1, 10), None, WEEKDAYS)
    assert (friday.kind, friday.name) == ("holiday", "Nghỉ Tết Dương lịch (hoán đổi, làm bù thứ Bảy 10/01/2026)")
    assert (saturday.kind, saturday.makeup) == ("required", True)
    # a confirmed package day keeps the package's name
    assert calendar.day(date(2026, 4, 30), None, WEEKDAYS).name == "Ngày Chiến thắng"


def test_the_year_lists_weekdays_off_and_worked_weekend_days_only() -> None:
    days = {v.day: v for v in _calendar().year(2026, None, WEEKDAYS)}
    assert date(2026, 1, 10) in days and date(2026, 8, 22) in days  # worked Saturdays
    assert date(2026, 4, 26) not in days  # Hùng Kings on a Sunday: a day off anyway
    assert all(v.off == (v.day.weekday() < 5) for v in days.values())
    assert sorted(d for d, v in days.items() if v.off and v.day.month == 2) == [date(2026, 2, d) for d in range(16, 21)]


def test_shipped_data_only_corrects_what_the_package_lacks() -> None:
    """Every shipped day either agrees with the package (a confirmation) or is one of the
    known gaps of holidays 0.109 (the New Year 2026 swap, 12729/VPCP-KGVX)."""
    shipped = shipped_decisions()
    table = holidays.country_holidays("VN", years=(2025, 2026))
    corrections = []
    for day, decision in shipped.days.items():
        package_off = day in table or (day.weekday() >= 5 and day not in table.weekend_workdays)
        if decision.off != package_off:
            corrections.append(day)
    assert sorted(corrections) == [date(2026, 1, 2), date(2026, 1, 10)]
    assert all(d.ref for d in shipped.days.values())


def test_a_change_of_the_shipped_data_changes_the_fingerprint() -> None:
    policy = parse_policy("")
    assert dataclasses.replace(policy, decisions=parse_decisions(LATER_DECISIONS)).fingerprint() != policy.fingerprint()
    assert dataclasses.replace(policy, decisions=shipped_decisions()).fingerprint() == policy.fingerprint()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[days]]\ndate = 2026-01-02\nkind = "off"\nname = "x"\nref = "y"\n', "days[0]: kind 'off' is not one of day_off, workday"),
        ('[[days]]\ndate = "2 Jan"\nkind = "day_off"\nname = "x"\nref = "y"\n', "days[0]: date '2 Jan' is not a date"),
        ('[[days]]\ndate = 2026-01-02\nkind = "day_off"\nname = "x"\n', "days[0]: needs exactly date, kind, name, ref"),
        ('[[days]]\ndate = 2026-01-02\nkind = "day_off"\nname = "x"\nref = "y"\n'
         '[[days]]\ndate = 2026-01-02\nkind = "workday"\nname = "x"\nref = "y"\n', "days[1]: 2026-01-02 is listed twice"),
        ('[other]\n', "only [[days]] tables belong here"),
    ],
    ids=["kind", "date", "missing-ref", "twice", "other-table"],
)
def test_bad_shipped_data_is_named_by_entry(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_decisions(text, "vn_decisions.toml")
