"""A change of the shipped decisions judges the unlocked days again, never a locked month."""

from __future__ import annotations

import dataclasses

from monitor.engine.decisions import parse_decisions
from monitor.service.evaluation import Evaluation
from monitor.store import Store
from tests.monitor.engine_helpers import OFFICE_TOML, parse_policy
from tests.monitor.month_helpers import NOW, bring_to, day_row

# a later release ships a letter making Monday 5 and Friday 9 October 2026 days off
NEW_DATA = """
[[days]]
date = 2026-10-05
kind = "day_off"
name = "Nghỉ theo quyết định (thử)"
ref = "1/VPCP-KGVX ngày 01/10/2026"

[[days]]
date = 2026-10-09
kind = "day_off"
name = "Nghỉ theo quyết định (thử)"
ref = "1/VPCP-KGVX ngày 01/10/2026"
"""


def test_new_shipped_decisions_rejudge_unlocked_days_only(october_copy: Store) -> None:
    bring_to(october_copy, "locked")  # SNV's October is locked; PTC's and STC's are open
    locked_before = day_row(october_copy, "NV001", "2026-10-05")
    assert locked_before["status"] == "present"
    assert day_row(october_copy, "NV002", "2026-10-09")["status"] == "absent"
    policy = dataclasses.replace(parse_policy(OFFICE_TOML), decisions=parse_decisions(NEW_DATA))
    summary = Evaluation(october_copy, policy, NOW).run()
    assert summary.rebased >= 2  # the fingerprint covers the shipped data
    assert day_row(october_copy, "NV001", "2026-10-05") == locked_before
    rejudged = day_row(october_copy, "NV002", "2026-10-09")
    assert (rejudged["status"], rejudged["holiday"]) == ("holiday", "Nghỉ theo quyết định (thử)")
    assert any("in locked months kept as they were" in warning for warning in summary.warnings)
