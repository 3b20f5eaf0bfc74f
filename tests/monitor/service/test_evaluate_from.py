"""'monitor evaluate --from D' before the first judged day: judged from D, or told why not."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from monitor.errors import Refused
from monitor.service.evaluation import Evaluation
from monitor.store import Store
from tests.monitor.engine_helpers import OFFICE_TOML, ZONE, add_punches, parse_policy

NOW = datetime(2026, 11, 5, 22, 0, tzinfo=ZONE)


def _days(store: Store, code: str) -> list[str]:
    return [row[0] for row in store.db.conn.execute(
        "SELECT day FROM day_results WHERE employee_code = ? ORDER BY day", (code,))]


def test_from_before_the_oldest_punch_judges_from_that_day_never_before_hiring(directory: Store, policy) -> None:
    add_punches(directory, "NV001 2026-11-02 07:30", "NV001 2026-11-02 17:00")
    Evaluation(directory, policy, NOW).run()
    assert _days(directory, "NV001")[0] == "2026-11-02"
    summary = Evaluation(directory, policy, NOW).run(day_from=date(2026, 10, 26))
    assert summary.first_day == date(2026, 10, 26)
    assert _days(directory, "NV001")[:2] == ["2026-10-26", "2026-10-27"]
    assert _days(directory, "NV003")[0] == "2026-11-04"  # hired on 4 November
    # the next ordinary run keeps the earlier start instead of forgetting those days
    Evaluation(directory, policy, NOW).run()
    assert _days(directory, "NV001")[0] == "2026-10-26"


def test_from_before_the_configured_first_day_says_what_to_set(directory: Store) -> None:
    policy = parse_policy(OFFICE_TOML.replace("[calendar]\n", "[calendar]\nevaluate_from = 2026-11-01\n"))
    with pytest.raises(Refused, match="2026-10-26 is before \\[calendar\\] evaluate_from = 2026-11-01.*"
                                      "set evaluate_from = 2026-10-26 in the config"):
        Evaluation(directory, policy, NOW).run(day_from=date(2026, 10, 26))
