"""The unit chart's day by day counts (store.day_trend) add up every unit asked for:
counted per unit and day, then per day, they equal the day rows' own counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from monitor.engine.day import REQUIRED_STATUSES
from monitor.service.evaluation import Evaluation
from monitor.store import Store
from tests.monitor.engine_helpers import ZONE
from tests.monitor.reports.test_reports import build_november


def test_the_trend_adds_up_every_unit_of_each_day(directory: Store, policy) -> None:
    build_november(directory)
    Evaluation(directory, policy, datetime(2026, 12, 1, 8, 0, tzinfo=ZONE)).run()
    units = [unit["code"] for unit in directory.units()]
    first, last = date(2026, 11, 1), date(2026, 11, 30)
    rows = directory.day_results_between(first, last, unit_codes=units)
    expected = []
    day = first
    while day <= last:
        of_day = [row for row in rows if row["day"] == day.isoformat()]
        if of_day:
            expected.append({
                "day": day.isoformat(),
                "late": sum(row["late_count"] > 0 for row in of_day),
                "late_minutes": sum(row["late_minutes"] for row in of_day),
                "absent": sum(row["absent_fraction"] for row in of_day),
                "required": sum(row["status"] in REQUIRED_STATUSES for row in of_day),
            })
        day += timedelta(days=1)
    assert len({row["unit_code"] for row in rows}) > 1 and any(row["late"] for row in expected)
    assert directory.day_trend(units, first, last) == expected
