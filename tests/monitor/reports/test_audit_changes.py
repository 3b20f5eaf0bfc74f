"""The audit trail as people read it: the fields a change made, side by side."""

from __future__ import annotations

from monitor.reports.audit import changes, changes_text


def test_a_lock_lists_its_state_and_chain_head_but_not_the_seals_verify_reads() -> None:
    before = {"state": "approved"}
    after = {"state": "locked", "chain_head": "12:ab", "step": "7:" + "c" * 64, "roster": "d" * 64}
    listed = changes(before, after)
    assert listed == [{"field": "chain_head", "before": None, "after": "12:ab"},
                      {"field": "state", "before": "approved", "after": "locked"}]
    assert changes_text({"changes": listed}) == "chain_head: ∅ → 12:ab; state: approved → locked"


def test_values_that_are_not_dicts_are_one_change() -> None:
    assert changes(None, "P") == [{"field": "", "before": None, "after": "P"}]
    assert changes("P", "P") == []
