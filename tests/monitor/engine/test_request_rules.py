"""The pure rules of requests: what an approved explanation excuses, who approves, the
filing deadline. Each a table of cases."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.engine.day import ABSENT, PARTIAL_ABSENT, PRESENT, DayResult
from monitor.engine.leave import LeaveConfig
from monitor.engine.requests import (
    REASONS,
    Excuse,
    RequestPolicy,
    approving_unit,
    check_deadline,
    excuse_day,
    filing_deadline,
    is_whole_day,
    reason_symbol,
    violations_of,
)
from monitor.errors import Refused

SYMBOLS = LeaveConfig()
LATE_90 = DayResult(PRESENT, late_minutes=90, late_count=1, symbol="+")
EARLY_20_AWAY_45 = DayResult(PRESENT, early_minutes=20, early_count=1, away_minutes=45, symbol="+")
MISSING_OUT = DayResult(PRESENT, missing_out=1, symbol="+")
ABSENT_DAY = DayResult(ABSENT, absent_fraction=1.0, symbol="KP")
AFTERNOON_ABSENT = DayResult(PARTIAL_ABSENT, absent_fraction=0.5, present_fraction=0.5, symbol="+/KP")


@pytest.mark.parametrize(
    ("day", "excuses", "expected"),
    [
        (LATE_90, [Excuse("late", None, "hop")], (90, 1, 0, 0, 0, 0, 0.0, "+")),
        (LATE_90, [Excuse("late", 60, "hop")], (60, 0, 0, 0, 0, 0, 0.0, "+")),
        (LATE_90, [Excuse("late", 60, "hop"), Excuse("late", 60, "khac")], (90, 1, 0, 0, 0, 0, 0.0, "+")),
        (LATE_90, [Excuse("late", 500, "hop")], (90, 1, 0, 0, 0, 0, 0.0, "+")),
        (LATE_90, [Excuse("early", None, "hop")], (0, 0, 0, 0, 0, 0, 0.0, "+")),
        (EARLY_20_AWAY_45, [Excuse("early", None, "om"), Excuse("away", 30, "khac")], (0, 0, 20, 1, 30, 0, 0.0, "+")),
        (MISSING_OUT, [Excuse("missing_out", None, "su_co_may")], (0, 0, 0, 0, 0, 1, 0.0, "+")),
        (MISSING_OUT, [Excuse("missing_in", None, "su_co_may")], (0, 0, 0, 0, 0, 0, 0.0, "+")),
        (ABSENT_DAY, [Excuse("absent", None, "cong_tac")], (0, 0, 0, 0, 0, 0, 1.0, "CT")),
        (ABSENT_DAY, [Excuse("absent", None, "hop")], (0, 0, 0, 0, 0, 0, 1.0, "H")),
        (ABSENT_DAY, [Excuse("absent", None, "hoc_tap")], (0, 0, 0, 0, 0, 0, 1.0, "H")),
        (ABSENT_DAY, [Excuse("absent", None, "om")], (0, 0, 0, 0, 0, 0, 1.0, "Ô")),
        (ABSENT_DAY, [Excuse("absent", None, "su_co_may")], (0, 0, 0, 0, 0, 0, 1.0, "+")),
        (ABSENT_DAY, [Excuse("absent", None, "viec_rieng")], (0, 0, 0, 0, 0, 0, 1.0, "KP")),
        (AFTERNOON_ABSENT, [Excuse("partial_absent", None, "om")], (0, 0, 0, 0, 0, 0, 0.5, "+/Ô")),
        (LATE_90, [Excuse("absent", None, "cong_tac")], (0, 0, 0, 0, 0, 0, 0.0, "+")),
    ],
    ids=[
        "late-whole", "late-60-of-90", "two-partials-add-up-to-whole", "minutes-capped", "violation-not-held",
        "early-whole-away-part", "missing-out", "missing-in-not-held", "absent-business-trip", "absent-meeting",
        "absent-study", "absent-sick", "absent-clock-failure", "absent-personal-keeps-symbol",
        "half-day-sick", "absence-no-longer-held",
    ],
)
def test_what_an_explanation_excuses(day: DayResult, excuses: list[Excuse], expected: tuple) -> None:
    assert excuse_day(day, excuses, SYMBOLS).columns() == expected


def test_every_reason_has_a_documented_symbol_or_none() -> None:
    assert {code: reason_symbol(code, SYMBOLS) for code in REASONS} == {
        "cong_tac": "CT", "hop": "H", "hoc_tap": "H", "om": "Ô", "viec_rieng": None, "su_co_may": "+", "khac": None,
    }
    assert reason_symbol("su_co_may", LeaveConfig(worked_symbol="X")) == "X"


def test_the_violations_a_day_holds() -> None:
    assert violations_of(LATE_90) == ["late"]
    assert violations_of(EARLY_20_AWAY_45) == ["early", "away"]
    assert violations_of(AFTERNOON_ABSENT) == ["partial_absent"]


PARENTS = {"UBND": None, "SNV": "UBND", "PTC": "SNV", "TO1": "PTC", "STC": "UBND"}


@pytest.mark.parametrize(
    ("unit", "managers", "requesters", "to_parent", "expected"),
    [
        ("PTC", {"PTC": ["tp"], "SNV": ["gd"]}, [], False, "PTC"),
        ("TO1", {"PTC": ["tp"], "SNV": ["gd"]}, [], False, "PTC"),
        ("PTC", {"PTC": ["tp"], "SNV": ["gd"]}, ["tp"], False, "SNV"),
        ("PTC", {"PTC": ["tp", "pho"], "SNV": ["gd"]}, ["tp"], False, "PTC"),
        ("PTC", {"PTC": ["tp"], "SNV": ["gd"]}, [], True, "SNV"),
        ("PTC", {"PTC": ["tp"]}, [], True, None),
        ("STC", {"PTC": ["tp"]}, [], False, None),
        ("UBND", {"UBND": ["ct"]}, ["ct"], False, None),
    ],
    ids=["own-unit", "nearest-above", "a-managers-own-goes-up", "a-deputy-decides", "whole-day-to-parent",
         "no-parent-manager-hr", "nobody-hr", "the-top-manager-hr"],
)
def test_approval_routing(unit, managers, requesters, to_parent, expected) -> None:
    assert approving_unit(unit, PARENTS, managers, requesters, to_parent=to_parent) == expected


def test_whole_day_setting_is_inherited_down_the_tree() -> None:
    rules = RequestPolicy(whole_day_to_parent={"SNV": True, "TO1": False})
    assert [rules.escalates(u, PARENTS) for u in ("SNV", "PTC", "TO1", "STC")] == [True, True, False, False]
    assert is_whole_day("leave", "full", None) and is_whole_day("explanation", None, "absent")
    assert not is_whole_day("leave", "morning", None) and not is_whole_day("explanation", None, "late")


def weekdays(day: date) -> bool:
    return day.weekday() < 5


@pytest.mark.parametrize(
    ("day", "working_days", "deadline"),
    [
        (date(2026, 11, 19), 5, date(2026, 11, 26)),  # Thursday → next Thursday
        (date(2026, 11, 20), 5, date(2026, 11, 27)),  # Friday: the weekend does not count
        (date(2026, 11, 21), 1, date(2026, 11, 23)),  # a Saturday's punch: Monday
        (date(2026, 11, 20), 0, date(2026, 11, 20)),  # 0: the same day only
    ],
    ids=["thursday", "friday", "saturday-one-day", "zero"],
)
def test_filing_deadline_counts_working_days(day: date, working_days: int, deadline: date) -> None:
    assert filing_deadline(day, working_days, weekdays) == deadline


def test_a_late_filing_is_refused_naming_the_deadline() -> None:
    check_deadline(date(2026, 11, 19), date(2026, 11, 26), 5, weekdays)
    with pytest.raises(Refused, match=r"the deadline for requests about 2026-11-18 was 2026-11-25 \(5 working days\)"):
        check_deadline(date(2026, 11, 18), date(2026, 11, 26), 5, weekdays)
    # a schedule with no working day at all does not hang
    assert filing_deadline(date(2026, 1, 1), 3, lambda d: False) == date(2027, 1, 2)
