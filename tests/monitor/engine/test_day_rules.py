"""The judging rules as a table: one row per boundary, read top to bottom like a spec.

Schedules come from the config text in conftest (``office``: 07:30–11:30, 13:30–17:00,
grace 5/5, window 05:30–21:00). Unless a row says otherwise the day is long over.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from monitor.engine.judge import DayResult
from monitor.engine.schedules import clock_text
from tests.monitor.engine_helpers import ZONE

MONDAY = date(2026, 11, 2)
SATURDAY = date(2026, 11, 7)
SUNDAY = date(2026, 11, 8)


def view(result: DayResult) -> dict:
    shown = {field: getattr(result, field) for field in result.__slots__}
    for key in ("arrival", "departure"):
        shown[key] = None if shown[key] is None else clock_text(shown[key])
    return shown


def case(id: str, day: date, punches: list[str], expected: dict, **options):
    return pytest.param(day, punches, options, expected, id=id)


RULES = [
    # --- grace, to the second ------------------------------------------------------------
    case("on time at start + grace exactly", MONDAY, ["07:35:00", "17:00"],
         {"status": "present", "late_minutes": 0, "late_count": 0, "arrival": "07:35:00", "symbol": "+"}),
    case("late by one second past grace counts 5 minutes", MONDAY, ["07:35:01", "17:00"],
         {"late_minutes": 5, "late_count": 1}),
    case("late minutes are rounded down", MONDAY, ["07:36:59", "17:00"], {"late_minutes": 6, "late_count": 1}),
    case("leaving at end - grace exactly is not early", MONDAY, ["07:30", "16:55:00"],
         {"early_minutes": 0, "early_count": 0, "departure": "16:55:00"}),
    case("leaving one second before end - grace is early by 5", MONDAY, ["07:30", "16:54:59"],
         {"early_minutes": 5, "early_count": 1}),
    case("no grace: late by 30 seconds is late by 0 whole minutes", MONDAY, ["07:30:30", "17:00"],
         {"late_minutes": 0, "late_count": 1}, schedule="seasonal"),
    # --- the window -----------------------------------------------------------------------
    case("punch at the window start is judged", MONDAY, ["05:30:00", "17:00"],
         {"arrival": "05:30:00", "punch_ids": (1, 2), "detail": None}),
    case("punch a second before the window is ignored but kept", MONDAY, ["05:29:59", "07:31", "17:00"],
         {"arrival": "07:31:00", "punch_ids": (2, 3), "detail": {"outside_window": ["05:29:59"]}}),
    case("punch at the window end is the departure", MONDAY, ["07:30", "21:00:00"], {"departure": "21:00:00"}),
    case("punch a second after the window end is ignored", MONDAY, ["07:30", "17:01", "21:00:01"],
         {"departure": "17:01:00", "punch_ids": (1, 2)}),
    # --- one punch: the midpoint (07:30 + 17:00) / 2 = 12:15 ---------------------------------
    case("single punch at the midpoint is an arrival", MONDAY, ["12:15:00"],
         {"arrival": "12:15:00", "departure": None, "missing_out": 1, "missing_in": 0}),
    case("single punch a second after the midpoint is a departure", MONDAY, ["12:15:01"],
         {"arrival": None, "departure": "12:15:01", "missing_in": 1, "missing_out": 0}),
    case("single morning punch: late, missing out, still present", MONDAY, ["07:50"],
         {"status": "present", "late_minutes": 20, "missing_out": 1, "early_minutes": 0}),
    case("single afternoon punch: early, missing in", MONDAY, ["16:00"],
         {"status": "present", "early_minutes": 60, "missing_in": 1, "late_minutes": 0}),
    # --- absence ------------------------------------------------------------------------------
    case("no punch on a required day is absent", MONDAY, [],
         {"status": "absent", "absent_fraction": 1.0, "present_fraction": 0.0, "symbol": "KP", "missing_in": 0}),
    case("arriving after the morning session missed it", MONDAY, ["13:20", "17:02"],
         {"status": "partial_absent", "absent_fraction": 0.5, "late_minutes": 0, "symbol": "KP/+"}),
    case("arriving in the lunch gap: late into nothing", MONDAY, ["12:00", "17:00"],
         {"status": "partial_absent", "late_minutes": 0, "late_count": 0}),
    case("leaving before the afternoon session missed it", MONDAY, ["07:29", "11:31"],
         {"status": "partial_absent", "absent_fraction": 0.5, "early_minutes": 0, "symbol": "+/KP"}),
    case("late_as_absent: exactly 60 minutes late is still late", MONDAY, ["08:30:00", "17:00"],
         {"status": "present", "late_minutes": 60}, schedule="strict"),
    case("late_as_absent: a second more and the morning is absent", MONDAY, ["08:30:01", "17:00"],
         {"status": "partial_absent", "late_minutes": 0, "absent_fraction": 0.5}, schedule="strict"),
    # --- away during hours ------------------------------------------------------------------
    case("lunch out and back is not away", MONDAY, ["07:28", "11:32", "13:27", "17:03"],
         {"away_minutes": 0, "worked_minutes": 450}),
    case("out 90 minutes mid-morning is away", MONDAY, ["07:30", "09:00", "10:30", "17:00"],
         {"away_minutes": 90, "worked_minutes": 360, "status": "present"}),
    case("out exactly the threshold (30 min) is not away", MONDAY, ["07:30", "09:00", "09:30", "17:00"],
         {"away_minutes": 0}),
    case("out 31 minutes is away", MONDAY, ["07:30", "09:00", "09:31", "17:00"], {"away_minutes": 31}),
    case("only the part inside office hours counts", MONDAY, ["07:30", "11:00", "13:45", "17:00"],
         {"away_minutes": 45}),
    case("double taps count once", MONDAY, ["07:29:10", "07:29:40", "11:30", "13:30", "17:00"],
         {"away_minutes": 0, "arrival": "07:29:10"}),
    # --- per-session mode -------------------------------------------------------------------
    case("per-session: a long mid-morning absence", MONDAY,
         ["07:28", "09:00", "10:45", "11:31", "13:29", "17:01"],
         {"status": "present", "away_minutes": 105, "late_minutes": 0, "early_minutes": 0, "worked_minutes": 345},
         schedule="sessions"),
    case("per-session: late into the afternoon counts as a second lateness", MONDAY,
         ["07:40", "11:31", "13:45", "17:01"], {"late_minutes": 25, "late_count": 2}, schedule="sessions"),
    case("per-session: no afternoon in-punch is a missing in", MONDAY, ["07:29", "11:31", "17:02"],
         {"status": "present", "missing_in": 1, "missing_out": 0}, schedule="sessions"),
    case("per-session: a punch at the gap's midpoint closes the morning", MONDAY, ["07:29", "12:30:00", "13:29", "17:01"],
         {"missing_in": 0, "missing_out": 0, "early_minutes": 0}, schedule="sessions"),
    case("per-session: a punch a second later opens the afternoon", MONDAY, ["07:29", "12:30:01", "17:01"],
         {"missing_out": 1, "missing_in": 0}, schedule="sessions"),
    case("per-session: no afternoon punch at all", MONDAY, ["07:29", "11:31"],
         {"status": "partial_absent", "absent_fraction": 0.5}, schedule="sessions"),
    # --- leave ----------------------------------------------------------------------------------
    case("full-day leave, no punches", MONDAY, [],
         {"status": "leave", "symbol": "P", "leave_kinds": "P", "leave_fraction": 1.0, "absent_fraction": 0.0},
         leave=[("P", "full")]),
    case("morning leave moves the expected arrival to 13:30", MONDAY, ["13:34", "17:00"],
         {"status": "present", "late_minutes": 0, "symbol": "P/+", "leave_fraction": 0.5, "present_fraction": 0.5},
         leave=[("P", "morning")]),
    case("morning leave, late against 13:30", MONDAY, ["13:40", "17:00"], {"late_minutes": 10},
         leave=[("P", "morning")]),
    case("afternoon leave moves the expected departure to 11:30", MONDAY, ["07:30", "11:26"],
         {"status": "present", "early_minutes": 0, "symbol": "+/Ô"}, leave=[("Ô", "afternoon")]),
    case("afternoon leave, early against 11:30", MONDAY, ["07:30", "11:20"], {"early_minutes": 10},
         leave=[("Ô", "afternoon")]),
    case("morning leave and afternoon absent", MONDAY, [],
         {"status": "partial_absent", "absent_fraction": 0.5, "leave_fraction": 0.5, "symbol": "P/KP"},
         leave=[("P", "morning")]),
    case("two half-day kinds", MONDAY, [], {"status": "leave", "symbol": "P/Ô", "leave_kinds": "P,Ô"},
         leave=[("P", "morning"), ("Ô", "afternoon")]),
    case("business trip counts as work", MONDAY, [],
         {"status": "leave", "symbol": "CT", "present_fraction": 1.0, "leave_fraction": 1.0}, leave=[("CT", "full")]),
    case("punches on a leave day are kept, not judged", MONDAY, ["09:00", "10:00"],
         {"status": "leave", "late_minutes": 0, "punch_ids": (1, 2)}, leave=[("P", "full")]),
    # --- calendar ---------------------------------------------------------------------------------
    case("Sunday punches are extra work, never violations", SUNDAY, ["09:40", "10:15"],
         {"status": "weekend", "late_minutes": 0, "worked_minutes": 35, "symbol": "", "detail": {"extra_work": True}}),
    case("Saturday morning schedule: one session, present", SATURDAY, ["07:25", "11:35"],
         {"status": "present", "absent_fraction": 0.0}, schedule="saturday"),
    case("Tết 2026: Mùng hai is a holiday", date(2026, 2, 18), [],
         {"status": "holiday", "holiday": "Mùng hai Tết Nguyên Đán", "symbol": "L"}),
    case("make-up Saturday 26/04/2025 must be worked", date(2025, 4, 26), [],
         {"status": "absent", "detail": {"calendar": "Ngày làm bù (cho ngày nghỉ 02/05/2025)",
                                         "sessions": [{"session": "07:30–11:30", "state": "absent"},
                                                      {"session": "13:30–17:00", "state": "absent"}]}}),
    case("make-up Saturday 26/04/2025 worked", date(2025, 4, 26), ["07:31", "17:00"], {"status": "present"}),
    case("substituted day off 02/05/2025", date(2025, 5, 2), [],
         {"status": "holiday", "holiday": "Ngày nghỉ (thay cho ngày 26/04/2025)"}),
    case("config day off 02/01/2026", date(2026, 1, 2), [], {"status": "holiday", "holiday": "Nghỉ bù Tết Dương lịch"}),
    case("config workday Saturday 10/01/2026", date(2026, 1, 10), [], {"status": "absent"}),
    case("unit day off applies below the unit", date(2026, 11, 20), [],
         {"status": "holiday", "holiday": "Ngày Nhà giáo (đơn vị)"}, unit="PTC"),
    case("unit day off does not apply above the unit", date(2026, 11, 20), [], {"status": "absent"}, unit="SNV"),
    case("before the hire date nothing is required", MONDAY, ["07:50"],
         {"status": "not_required", "late_minutes": 0, "symbol": ""}, hired_on=date(2026, 11, 3)),
    case("on the hire date the day is required", MONDAY, [], {"status": "absent"}, hired_on=MONDAY),
    case("after the leaving date nothing is required", MONDAY, [], {"status": "not_required"},
         left_on=date(2026, 11, 1)),
    # --- seasonal periods, on the switch days ----------------------------------------------------
    case("last summer day: 07:00 start", date(2026, 10, 14), ["07:10", "17:00"], {"late_minutes": 10},
         schedule="seasonal"),
    case("first winter day: 07:30 start", date(2026, 10, 15), ["07:10", "17:00"], {"late_minutes": 0},
         schedule="seasonal"),
    case("last winter day: afternoon from 13:00, leaving 13:01 is early", date(2026, 4, 14), ["07:30", "13:01"],
         {"status": "present", "early_minutes": 239}, schedule="seasonal"),
    case("first summer day: afternoon from 13:30, leaving 13:01 misses it", date(2026, 4, 15), ["07:00", "13:01"],
         {"status": "partial_absent", "early_minutes": 0}, schedule="seasonal"),
    # --- today: provisional until the window closes (21:00) -------------------------------
    case("today, arrived late, day not over", MONDAY, ["07:40"],
         {"status": "present", "late_minutes": 10, "missing_out": 0, "provisional": True},
         now=datetime(2026, 11, 2, 10, 0, tzinfo=ZONE)),
    case("today, nobody yet: pending, never absent", MONDAY, [],
         {"status": "pending", "absent_fraction": 0.0, "provisional": True, "symbol": ""},
         now=datetime(2026, 11, 2, 20, 59, 59, tzinfo=ZONE)),
    case("today, left at lunch: not early yet", MONDAY, ["07:29", "11:00"],
         {"status": "present", "early_minutes": 0, "provisional": True},
         now=datetime(2026, 11, 2, 11, 5, tzinfo=ZONE)),
    case("today, window closed: absent", MONDAY, [],
         {"status": "absent", "provisional": False}, now=datetime(2026, 11, 2, 21, 0, 0, tzinfo=ZONE)),
    case("today, a Sunday: final at once", SUNDAY, [], {"status": "weekend", "provisional": False},
         now=datetime(2026, 11, 8, 9, 0, tzinfo=ZONE)),
]


@pytest.mark.parametrize(("day", "punches", "options", "expected"), RULES)
def test_rule(judge, day: date, punches: list[str], options: dict, expected: dict) -> None:
    shown = view(judge(day, punches, **options))
    assert {key: shown[key] for key in expected} == expected
