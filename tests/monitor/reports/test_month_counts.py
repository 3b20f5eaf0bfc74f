"""The month report as the paged month page asks for it (issue 11): everyone's list of
the counts it sorts and totals, then the whole report rows of the people it shows. Each
part is the report's own; the province's query (every employee, read along the primary
key) counts exactly what the query for chosen units counts."""

from __future__ import annotations

from datetime import datetime

import pytest

from monitor.reports.attendance import MONTH_LIST_KEYS, month_counts, month_details, month_list, month_report
from monitor.service.evaluation import Evaluation
from monitor.store import Store
from monitor.store.results import month_totals_sql
from tests.monitor.engine_helpers import OFFICE_TOML, ZONE, parse_policy
from tests.monitor.reports.test_reports import NOVEMBER, build_november


@pytest.fixture
def november(directory: Store, policy) -> Store:
    build_november(directory)
    Evaluation(directory, policy, datetime(2026, 12, 1, 8, 0, tzinfo=ZONE)).run()
    return directory


STRICT = OFFICE_TOML + "\n[rules]\nlate_count_per_month = 1\nabsent_days_per_month = 1\nabsent_days_per_year = 10\n"


@pytest.mark.parametrize("rules", [OFFICE_TOML, STRICT], ids=["default-rules", "strict-rules"])
def test_counts_then_details_are_the_report(november: Store, rules: str) -> None:
    policy = parse_policy(rules)
    report = month_report(november, policy, NOVEMBER)
    counts = month_counts(november, NOVEMBER)
    assert [row["employee"] for row in counts] == [row["employee"] for row in report]
    assert all(row["leave_days"] == {} and row["flags"] == [] for row in counts)  # left for the details
    assert month_details(november, policy, NOVEMBER, counts) == report
    assert any(row["flags"] for row in report) and any(row["leave_days"] for row in report)


def test_details_of_some_rows_are_those_rows_of_the_report(november: Store) -> None:
    policy = parse_policy(STRICT)
    report = {row["employee"]: row for row in month_report(november, policy, NOVEMBER)}
    shown = [row for row in month_counts(november, NOVEMBER) if row["employee"] in ("NV001", "NV003")]
    assert month_details(november, policy, NOVEMBER, shown) == [report["NV001"], report["NV003"]]


@pytest.mark.parametrize("units", [None, ["SNV", "PTC"]], ids=["province", "some-units"])
def test_the_list_has_the_reports_counts(november: Store, policy, units: list[str] | None) -> None:
    report = month_report(november, policy, NOVEMBER, unit_codes=units)
    keys = ("employee", "name", "unit", "month", *MONTH_LIST_KEYS)
    assert month_list(november, NOVEMBER, unit_codes=units) == [{key: row[key] for key in keys} for row in report]


def test_the_report_of_some_people_is_their_rows(november: Store) -> None:
    policy = parse_policy(STRICT)
    report = {row["employee"]: row for row in month_report(november, policy, NOVEMBER)}
    assert month_report(november, policy, NOVEMBER, employee_codes=["NV003", "NV001"]) == [report["NV001"], report["NV003"]]
    assert month_report(november, policy, NOVEMBER, unit_codes=["STC"], employee_codes=["NV001"]) == []


def test_the_whole_province_counts_what_its_units_count(november: Store, policy) -> None:
    everyone = month_counts(november, NOVEMBER)  # no unit list: employees walked in code order
    every_unit = [unit["code"] for unit in november.units()]
    assert month_counts(november, NOVEMBER, unit_codes=every_unit) == everyone
    assert {row["employee"] for row in everyone} == {"NV001", "NV002", "NV003"}


@pytest.mark.parametrize("units", [["SNV"], ["SNV", "PTC"], ["UBND", "SNV", "PTC", "STC"]])
@pytest.mark.parametrize("lean", [False, True], ids=["whole", "lean"])
def test_both_ways_of_reading_some_units_count_the_same(november: Store, units: list[str], lean: bool) -> None:
    """Units holding most of the staff are read along every employee's key, the others
    through the (unit, day) index: the same rows either way."""
    found = []
    for walk in (True, False):
        sql, params = month_totals_sql(NOVEMBER.first, NOVEMBER.last, units, None, lean=lean, walk_employees=walk)
        found.append(november.query(sql, params))
    assert found[0] == found[1] and found[0]
    assert november.month_totals(NOVEMBER.first, NOVEMBER.last, unit_codes=units, lean=lean) == found[0]


def test_the_province_query_reads_each_persons_month_along_the_primary_key(november: Store) -> None:
    """The plan that keeps the province month under a second at 10,000 people: no
    sorter over the month's rows, one primary-key range per employee."""
    for lean in (False, True):
        sql, params = month_totals_sql(NOVEMBER.first, NOVEMBER.last, None, None, lean=lean)
        plan = [row[3] for row in november.db.conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        assert any("PRIMARY KEY (employee_code=? AND day>? AND day<?)" in step for step in plan), plan
        assert not any("TEMP B-TREE FOR GROUP BY" in step for step in plan), plan


def test_a_pages_people_are_read_by_their_keys_within_the_units(november: Store) -> None:
    """The hundred rows a page shows: each person's month along the key, the units still
    filtering, not every day of the units read from the (unit, day) index."""
    sql, params = month_totals_sql(NOVEMBER.first, NOVEMBER.last, ["SNV", "PTC"], None, ["NV001", "NV002"])
    plan = [row[3] for row in november.db.conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
    assert any("PRIMARY KEY (employee_code=? AND day>? AND day<?)" in step for step in plan), plan
    assert "r.unit_code IN (?,?)" in sql
