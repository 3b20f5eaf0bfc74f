"""The incremental evaluation over a real database: what gets judged, and when again."""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.errors import ConfigError
from monitor.service.evaluation import Evaluation
from monitor.store import Store
from tests.monitor.engine_helpers import (
    EMPLOYEES,
    OFFICE_TOML,
    ZONE,
    add_punches,
    fill_directory,
    parse_policy,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


def results(store: Store, *columns: str) -> dict[tuple[str, str], tuple]:
    names = ", ".join(columns or ("status", "arrival", "departure", "late_minutes", "early_minutes", "provisional"))
    return {(row[0], row[1]): tuple(row[2:]) for row in store.db.conn.execute(
        f"SELECT employee_code, day, {names} FROM day_results ORDER BY employee_code, day")}


def everything(store: Store) -> list[tuple]:
    """Every stored judgement, without the time it was made."""
    columns = [row[1] for row in store.db.conn.execute("PRAGMA table_info(day_results)") if row[1] != "evaluated_at"]
    return list(store.db.conn.execute(f"SELECT {', '.join(columns)} FROM day_results ORDER BY employee_code, day"))


def test_first_run_judges_from_the_oldest_punch_to_today(directory: Store, policy) -> None:
    add_punches(directory, "NV001 2026-11-02 07:31", "NV001 2026-11-02 17:01", "NV002 2026-11-02 07:45",
                "NV002 2026-11-02 17:00")
    summary = Evaluation(directory, policy, at("2026-11-03T09:00")).run()
    assert (summary.judged, summary.provisional, summary.first_day) == (4, 2, date(2026, 11, 2))
    assert results(directory) == {
        ("NV001", "2026-11-02"): ("present", "07:31:00", "17:01:00", 0, 0, 0),
        ("NV001", "2026-11-03"): ("pending", None, None, 0, 0, 1),
        ("NV002", "2026-11-02"): ("present", "07:45:00", "17:00:00", 15, 0, 0),
        ("NV002", "2026-11-03"): ("pending", None, None, 0, 0, 1),
    }
    # NV003 is hired on 2026-11-04: nothing is judged for them yet
    assert directory.dirty_pairs(date(2026, 12, 31)) == []


def test_a_clock_that_syncs_late_gets_its_past_day_judged_again(directory: Store, policy) -> None:
    add_punches(directory, "NV002 2026-11-02 07:45", "NV002 2026-11-02 17:00")
    Evaluation(directory, policy, at("2026-11-03T22:00")).run()
    assert results(directory)[("NV002", "2026-11-02")][3] == 15
    before = everything(directory)
    # the gate's clock was offline; it delivers NV002's earlier punch two days late
    add_punches(directory, "NV002 2026-11-02 07:20", device="gate-2")
    summary = Evaluation(directory, policy, at("2026-11-04T08:00")).run()
    assert summary.dirty == 1
    assert results(directory)[("NV002", "2026-11-02")] == ("present", "07:20:00", "17:00:00", 0, 0, 0)
    changed = {row[:2] for row in set(everything(directory)) - set(before)}
    # the late day, plus the new day (still open) for each employee on the books
    assert changed == {("NV002", "2026-11-02"), ("NV001", "2026-11-04"), ("NV002", "2026-11-04"),
                       ("NV003", "2026-11-04")}


def test_running_again_changes_nothing(directory: Store, policy) -> None:
    add_punches(directory, "NV001 2026-11-02 07:31", "NV001 2026-11-03 07:40", "NV001 2026-11-03 16:30",
                "NV002 2026-11-04 12:00")
    Evaluation(directory, policy, at("2026-11-05T22:00")).run()
    judged = everything(directory)
    again = Evaluation(directory, policy, at("2026-11-05T22:00")).run()
    assert again.judged == 0
    full = Evaluation(directory, policy, at("2026-11-05T22:00")).run(day_from=date(2026, 11, 2))
    assert full.judged == len(judged)
    assert everything(directory) == judged


def test_today_is_provisional_until_the_window_closes(directory: Store, policy) -> None:
    add_punches(directory, "NV001 2026-11-04 07:29")
    Evaluation(directory, policy, at("2026-11-04T20:59:59")).run()
    assert results(directory)[("NV001", "2026-11-04")] == ("present", "07:29:00", None, 0, 0, 1)
    assert results(directory, "status", "missing_out")[("NV002", "2026-11-04")] == ("pending", 0)
    summary = Evaluation(directory, policy, at("2026-11-04T21:00:00")).run()
    assert summary.judged == 3 and summary.provisional == 0
    assert results(directory, "status", "missing_out", "provisional")[("NV001", "2026-11-04")] == ("present", 1, 0)
    assert results(directory, "status", "absent_fraction")[("NV002", "2026-11-04")] == ("absent", 1.0)


def test_leave_recorded_afterwards_excuses_the_day(directory: Store, policy) -> None:
    add_punches(directory, "NV001 2026-11-02 07:31")
    Evaluation(directory, policy, at("2026-11-05T22:00")).run()
    assert results(directory, "status")[("NV002", "2026-11-03")] == ("absent",)
    directory.add_leave("NV002", date(2026, 11, 3), date(2026, 11, 3), part="full", kind="Ô", reason="Ốm", actor="hr")
    summary = Evaluation(directory, policy, at("2026-11-05T22:30")).run()
    assert summary.judged == 1
    assert results(directory, "status", "symbol", "leave_kind")[("NV002", "2026-11-03")] == ("leave", "Ô", "Ô")


def test_changed_office_hours_re_judge_everyone(directory: Store, policy) -> None:
    add_punches(directory, "NV002 2026-11-02 07:45", "NV002 2026-11-02 17:00")
    Evaluation(directory, policy, at("2026-11-03T22:00")).run()
    relaxed = parse_policy(OFFICE_TOML.replace("grace_in_minutes = 5\ngrace_out_minutes = 5\n\n[schedules.strict]",
                                               "grace_in_minutes = 20\ngrace_out_minutes = 5\n\n[schedules.strict]"))
    summary = Evaluation(directory, relaxed, at("2026-11-03T22:00")).run()
    assert summary.rebased == 2 and summary.judged == 4
    assert results(directory)[("NV002", "2026-11-02")][3] == 0


def test_moving_someone_keeps_their_past_and_changes_the_days_ahead(directory: Store, policy) -> None:
    add_punches(directory, "NV001 2026-11-02 07:31", "NV001 2026-11-02 17:00")
    Evaluation(directory, policy, at("2026-11-02T22:00")).run()
    directory.upsert_employees([{**EMPLOYEES[0], "unit_code": "PTC", "schedule": "strict"}], actor="hr")
    add_punches(directory, "NV001 2026-11-03 08:45", "NV001 2026-11-03 17:00",
                "NV001 2026-11-02 12:00", device="late-clock")  # the old day is judged again too
    summary = Evaluation(directory, policy, at("2026-11-03T22:00")).run()
    assert summary.rebased == 0
    placed = results(directory, "unit_code", "schedule_id", "status")
    assert placed[("NV001", "2026-11-02")] == ("SNV", "office", "present")
    assert placed[("NV001", "2026-11-03")] == ("PTC", "strict", "partial_absent")  # 75 min late: absent morning


def test_a_unit_given_another_schedule_keeps_the_days_already_judged(directory: Store, policy) -> None:
    add_punches(directory, "NV001 2026-11-02 08:45", "NV001 2026-11-02 17:00")
    Evaluation(directory, policy, at("2026-11-02T22:00")).run()
    reassigned = parse_policy(OFFICE_TOML.replace('[units.UBND]\nschedule = "office"', '[units.UBND]\nschedule = "strict"'))
    summary = Evaluation(directory, reassigned, at("2026-11-03T22:00")).run()
    assert summary.rebased == 2  # the config changed: everything is judged again ...
    placed = results(directory, "schedule_id", "status")
    assert placed[("NV001", "2026-11-02")] == ("office", "present")  # ... under the schedule of the time
    assert placed[("NV001", "2026-11-03")] == ("strict", "absent")


def test_an_employee_schedule_missing_from_the_config(directory: Store, policy) -> None:
    directory.upsert_employees([{**EMPLOYEES[0], "schedule": "night"}], actor="hr")
    with pytest.raises(ConfigError) as caught:
        Evaluation(directory, policy, at("2026-11-03T22:00")).run()
    assert str(caught.value) == (
        "employee NV001: their own schedule is 'night', which no [schedules.night] defines"
        " (defined: default, office, saturday, seasonal, sessions, strict)"
    )


def test_punches_before_the_first_judged_day_are_kept_but_not_judged(directory: Store) -> None:
    policy = parse_policy(OFFICE_TOML.replace("[calendar]\n", "[calendar]\nevaluate_from = 2026-11-02\n"))
    add_punches(directory, "NV001 2026-10-30 07:30", "NV001 2026-11-02 07:30")
    summary = Evaluation(directory, policy, at("2026-11-02T22:00")).run()
    assert summary.first_day == date(2026, 11, 2)
    assert set(results(directory)) == {("NV001", "2026-11-02"), ("NV002", "2026-11-02")}
    assert directory.dirty_pairs(date(2026, 12, 31)) == []


def test_older_punches_move_the_first_day_back(directory: Store, policy) -> None:
    add_punches(directory, "NV001 2026-11-04 07:30")
    Evaluation(directory, policy, at("2026-11-04T22:00")).run()
    assert sorted(results(directory)) == [("NV001", "2026-11-04"), ("NV002", "2026-11-04"), ("NV003", "2026-11-04")]
    assert directory.get_meta("evaluation_first_day") == "2026-11-04"
    # a USB export brings last Monday's punches
    add_punches(directory, "NV001 2026-11-02 07:30", device="usb-export")
    summary = Evaluation(directory, policy, at("2026-11-04T22:05")).run()
    assert (summary.first_day, summary.rebased) == (date(2026, 11, 2), 2)  # NV003 starts on their hire date
    assert sorted(day for code, day in results(directory) if code == "NV002") == ["2026-11-02", "2026-11-03",
                                                                                   "2026-11-04"]
    assert directory.get_meta("evaluation_first_day") == "2026-11-02"


def test_someone_who_left_is_judged_up_to_their_last_day(directory: Store, policy) -> None:
    directory.upsert_employees([{**EMPLOYEES[1], "left_on": "2026-11-03", "active": 0}], actor="hr")
    add_punches(directory, "NV001 2026-11-02 07:30")
    Evaluation(directory, policy, at("2026-11-05T22:00")).run()
    assert sorted(day for code, day in results(directory) if code == "NV002") == ["2026-11-02", "2026-11-03"]
    add_punches(directory, "NV002 2026-11-05 08:00")  # a visit after leaving: judged, never a violation
    Evaluation(directory, policy, at("2026-11-05T22:00")).run()
    assert results(directory, "status", "arrival")[("NV002", "2026-11-05")] == ("not_required", "08:00:00")


# --- incremental equals from scratch --------------------------------------------------------

WEEK = [date(2026, 11, 2) + timedelta(days=n) for n in range(7)]
punch_events = st.lists(
    st.tuples(st.sampled_from(["NV001", "NV002"]), st.sampled_from(WEEK), st.integers(5 * 3600, 21 * 3600)),
    max_size=25,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=punch_events, split=st.integers(0, 25), middle=st.integers(0, 6 * 24))
def test_judging_as_punches_trickle_in_ends_like_judging_once(policy, events, split, middle) -> None:
    """Deliver the punches in two parts with an evaluation in between (at any hour of
    the week); the final judgements equal those of one evaluation at the end."""
    stamps = [f"{code} {day} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for code, day, s in events]
    final_now = at("2026-11-09T22:00")
    with tempfile.TemporaryDirectory() as folder:
        trickled = _fresh_store(Path(folder) / "a.db", final_now)
        if stamps[:split]:
            add_punches(trickled, *stamps[:split])
        Evaluation(trickled, policy, at("2026-11-02T06:00") + timedelta(hours=middle)).run()
        if stamps[split:]:
            add_punches(trickled, *stamps[split:], device="dev2")
        Evaluation(trickled, policy, final_now).run()
        once = _fresh_store(Path(folder) / "b.db", final_now)
        if stamps[:split]:
            add_punches(once, *stamps[:split])
        if stamps[split:]:
            add_punches(once, *stamps[split:], device="dev2")
        Evaluation(once, policy, final_now).run()  # a first run judges from the first day
        try:
            assert _without_ids(trickled) == _without_ids(once)
        finally:
            trickled.close()
            once.close()


def _fresh_store(path: Path, now: datetime) -> Store:
    return fill_directory(Store(path, zone=ZONE, now=lambda: now, create=True))


def _without_ids(store: Store) -> list[tuple]:
    """Judgements without punch ids (the two stores number their punches differently)."""
    columns = [row[1] for row in store.db.conn.execute("PRAGMA table_info(day_results)")
               if row[1] not in ("evaluated_at", "punch_ids")]
    return list(store.db.conn.execute(f"SELECT {', '.join(columns)} FROM day_results ORDER BY employee_code, day"))
