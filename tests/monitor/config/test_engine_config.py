"""The [schedules], [units], [calendar], [leave] and [rules] sections: parsed values,
schedule resolution, and every error message word for word (with its line)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from monitor.config import parse_config
from monitor.engine.policy import OfficePolicy
from monitor.engine.schedules import DEFAULT_ID, SITE_DEFAULT
from monitor.errors import ConfigError

BAD = '''\
[schedules.office]
sessions = [["07:30", "11:30"], ["13:30", "17:00"]]
grace_minutes = 5
punch_mode = "first_last"
late_as_absent_minutes = 5
grace_in_minutes = 5

[schedules.night]
sessions = [["22:00", "06:00"]]

[schedules.typo]
sessions = [["7h30", "11:30"]]
weekdays = ["mon", "tue", "wed", "thu", "fry"]
days = { sat = [["07:30", "11:30"]] }

[schedules.overlap]
sessions = [["07:30", "11:30"], ["11:00", "17:00"]]

[schedules.seasonal]
[[schedules.seasonal.periods]]
name = "summer"
from = "04-15"
to = "10-14"
sessions = [["07:00", "11:30"], ["13:30", "17:00"]]
[[schedules.seasonal.periods]]
name = "winter"
from = "10-10"
to = "03-31"
sessions = [["07:30", "11:30"], ["13:00", "17:00"]]

[units.SNV]
schedule = "ofice"

[calendar]
days_off = [{date = 2026-01-02}, {date = "2026-13-01", name = "x"}]
workdays = [{from = 2026-01-10, to = 2026-01-09}, {date = 2026-01-03, from = 2026-01-03, to = 2026-01-04}]

[rules]
late_count_per_month = -1
absent_days_per_mont = 3

[leave]
half_day_symbol = "{morning}"
[leave.kinds.XN]
counts_as_work = true
'''

EXPECTED = [
    "config.toml:3: schedules.office.grace_minutes: unknown key; did you mean 'grace_in_minutes'?",
    "config.toml:5: schedules.office.late_as_absent_minutes: 5 must be greater than grace_in_minutes (5),"
    " or nobody could be merely late",
    "config.toml:4: schedules.office.punch_mode: 'first_last' is not a punch mode (first-last: first punch in,"
    " last punch out; per-session: in and out each session)",
    "config.toml:9: schedules.night.sessions[0]: 22:00–06:00 crosses midnight or is empty: a session must end"
    " after it starts on the same day (night sessions are not supported yet)",
    "config.toml:13: schedules.typo.weekdays: 'fry' (item 4) is not a weekday: use mon, tue, wed, thu, fri, sat,"
    " sun (or t2..t7, cn)",
    "config.toml:12: schedules.typo.sessions[0]: '7h30' is not a time of day (write \"07:30\")",
    "config.toml:14: schedules.typo.days.sat: sat is not in weekdays (add it there, or remove these sessions)",
    "config.toml:17: schedules.overlap.sessions[1]: 11:00–17:00 starts before the previous session 07:30–11:30"
    " ends (list sessions in order, without overlap)",
    "config.toml:20: schedules.seasonal.periods: no period covers 04-01..04-14 (periods must cover the whole year"
    " without overlap)",
    "config.toml:20: schedules.seasonal.periods: periods[0] ('summer') and periods[1] ('winter') both cover"
    " 10-10..10-14 (periods must not overlap)",
    "config.toml:32: units.SNV.schedule: no schedule 'ofice'; did you mean 'office'? (defined: default, night,"
    " office, overlap, seasonal, typo)",
    "config.toml:35: calendar.days_off[0].name: is required",
    "config.toml:35: calendar.days_off[1].date: '2026-13-01' is not a date (write 2026-01-02)",
    "config.toml:36: calendar.workdays[0].to: 2026-01-09 is before from (2026-01-10)",
    "config.toml:36: calendar.workdays[1]: give either date or from/to, not both",
    "config.toml:44: leave.kinds.XN.name: is required",
    "config.toml:43: leave.half_day_symbol: '{morning}' must contain both {morning} and {afternoon}",
    "config.toml:40: rules.absent_days_per_mont: unknown key; did you mean 'absent_days_per_month'?",
    "config.toml:39: rules.late_count_per_month: -1 must not be negative (0 turns the warning off)",
]


def parse(text: str) -> OfficePolicy:
    return parse_config(text, source="config.toml", base=Path(".")).policy


def test_every_problem_is_reported_with_its_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse(BAD)
    assert caught.value.problems == EXPECTED


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param('[schedules.s]\nname = "no hours"\n',
                     'config.toml:1: schedules.s: needs sessions, e.g. sessions = [["07:30", "11:30"],'
                     ' ["13:30", "17:00"]], or periods', id="no sessions"),
        pytest.param('[schedules.s]\nsessions = [["07:30", "07:30"]]\n',
                     "config.toml:2: schedules.s.sessions[0]: 07:30–07:30 crosses midnight or is empty: a session"
                     " must end after it starts on the same day (night sessions are not supported yet)",
                     id="empty session"),
        pytest.param('[schedules.s]\nsessions = [["07:30", "25:00"]]\n',
                     "config.toml:2: schedules.s.sessions[0]: '25:00' is not a time of day (write \"07:30\")",
                     id="hour 25"),
        pytest.param('[schedules.s]\nsessions = [["07:30", "17:00"]]\n[[schedules.s.periods]]\nfrom = "01-01"\n'
                     'to = "02-30"\n',
                     "config.toml:5: schedules.s.periods[0].to: '02-30' is not a month-day (write \"04-15\" for"
                     " 15 April)", id="no such month-day"),
        pytest.param('[schedules.s]\nsessions = [["07:30", "17:00"]]\n[[schedules.s.periods]]\nfrom = "01-01"\n'
                     'to = "02-28"\n',
                     "config.toml:3: schedules.s.periods: no period covers 02-29..12-31 (periods must cover the"
                     " whole year without overlap)", id="leap day uncovered"),
        pytest.param('[schedules.s]\nsessions = [["07:30", "17:00"]]\nwindow_after_minutes = -5\n',
                     "config.toml:3: schedules.s.window_after_minutes: -5 must not be negative", id="negative window"),
        pytest.param('[calendar]\ndays_off = [{date = 2026-01-02, name = "a"}, {date = 2026-01-02, name = "b"}]\n',
                     "config.toml:2: calendar.days_off[1]: 2026-01-02 is already listed in days_off[0]",
                     id="date twice"),
        pytest.param('[calendar]\ndays_off = [{date = 2026-04-30, name = "a"}]\n'
                     'workdays = [{from = 2026-04-29, to = 2026-05-01}]\n',
                     "config.toml:3: calendar.workdays[0]: 2026-04-30 is already listed in days_off[0]",
                     id="day off and workday"),
        pytest.param('[leave.kinds."C T"]\nname = "x"\n',
                     "config.toml:1: leave.kinds.C T: 'C T' is not a usable symbol (1 to 8 characters, no spaces,"
                     " ',', ';' or '/')", id="bad leave symbol"),
        pytest.param('[schedules."bad id"]\nsessions = [["07:30", "17:00"]]\n',
                     "config.toml:1: schedules.bad id: 'bad id' is not a valid schedule id (letters, digits, '-',"
                     " '_', '.')", id="bad schedule id"),
    ],
)
def test_single_problem(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    assert caught.value.problems == [problem]


def test_sections_default_when_absent() -> None:
    policy = parse("")
    assert policy.schedules == {DEFAULT_ID: SITE_DEFAULT}
    assert policy.leave.kinds["CT"].counts_as_work and not policy.leave.kinds["P"].counts_as_work
    assert dict(policy.rules.thresholds) == {"late_count_per_month": 3, "absent_days_per_month": 3,
                                             "absent_days_per_year": 20}


def test_a_valid_config(policy: OfficePolicy) -> None:
    seasonal = policy.schedules["seasonal"]
    assert [p.name for p in seasonal.periods] == ["summer", "winter"]
    assert str(seasonal.sessions_on(date(2026, 7, 1))[0]) == "07:00–11:30"
    assert str(seasonal.sessions_on(date(2026, 1, 5))[1]) == "13:00–17:00"
    saturday = policy.schedules["saturday"]
    assert [str(s) for s in saturday.sessions_on(date(2026, 11, 7))] == ["07:30–11:30"]
    assert [str(s) for s in saturday.sessions_on(date(2026, 11, 7), makeup=True)] == ["07:30–11:30", "13:30–17:00"]
    assert policy.calendar.overrides[date(2026, 1, 2)].ref == "CV 1/VPCP-KGVX"
    assert policy.units["PTC"].overrides[date(2026, 11, 20)].off


def test_local_kinds_and_vietnamese_weekday_names() -> None:
    policy = parse('[schedules.s]\nweekdays = ["T2", "t3", "T4", "T5", "T6", "T7"]\nsessions = [["07:30", "11:30"]]\n'
                   '[leave.kinds.HT]\nname = "Học tập trung"\nname_en = "Full-time study"\ncounts_as_work = true\n'
                   '[leave.kinds.H]\ncounts_as_work = true\n')
    assert policy.schedules["s"].weekdays == frozenset(range(6))
    assert policy.leave.kind("ht").name == "Học tập trung"
    assert policy.leave.kinds["H"].counts_as_work and policy.leave.kinds["H"].name == "Hội nghị, học tập"


@pytest.mark.parametrize(
    ("typed", "code"),
    [("P", "P"), ("o", "Ô"), ("Ô", "Ô"), ("co", "Cô"), ("ld", "LĐ"), ("LĐ", "LĐ"), ("ct", "CT")],
)
def test_leave_kinds_typed_without_marks(policy: OfficePolicy, typed: str, code: str) -> None:
    assert policy.leave.kind(typed).code == code


def test_unknown_leave_kind_lists_the_known_ones(policy: OfficePolicy) -> None:
    with pytest.raises(Exception) as caught:
        policy.leave.kind("X")
    assert str(caught.value) == (
        "unknown leave kind 'X' (known: P, Ô, Cô, TS, T, H, NB, KL, N, LĐ, CT; add local codes under [leave.kinds]"
        " in the config)"
    )


PARENTS = {"UBND": None, "SNV": "UBND", "PTC": "SNV", "STC": "UBND"}


@pytest.mark.parametrize(
    ("employee_schedule", "unit", "imported", "expected"),
    [
        pytest.param("sessions", "PTC", {}, "sessions", id="the employee's own schedule wins"),
        pytest.param(None, "PTC", {}, "office", id="inherited from the top unit through two levels"),
        pytest.param(None, "PTC", {"SNV": "seasonal"}, "seasonal", id="a nearer unit's imported schedule"),
        pytest.param(None, "UBND", {"UBND": "seasonal"}, "office", id="config beats the imported column"),
        pytest.param(None, "ELSEWHERE", {}, "default", id="no schedule anywhere: the site default"),
    ],
)
def test_schedule_resolution(policy: OfficePolicy, employee_schedule, unit, imported, expected) -> None:
    assert policy.schedule_for(employee_schedule, unit, PARENTS, imported).id == expected


def test_an_imported_schedule_that_does_not_exist(policy: OfficePolicy) -> None:
    with pytest.raises(ConfigError) as caught:
        policy.schedule_for(None, "STC", PARENTS, {"STC": "winter"})
    assert str(caught.value) == (
        "the schedule imported for unit STC is 'winter', which no [schedules.winter] defines"
        " (defined: default, office, saturday, seasonal, sessions, strict)"
    )


def test_the_example_config_documents_valid_office_hours() -> None:
    example = Path(__file__).resolve().parents[3] / "config.example.toml"
    policy = parse(example.read_text(encoding="utf-8"))
    assert policy.units["UBND"].schedule == "office"
    assert policy.schedules["office"].punch_mode == "first-last"
