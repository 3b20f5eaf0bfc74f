"""Invariants of judging a day, checked on generated days (Hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.engine.judge import (
    REQUIRED,
    DayResult,
    LeaveDay,
    evaluate_day,
    judge_required_day,
    plan_day,
)
from tests.monitor.engine_helpers import ZONE

MONDAY = date(2026, 11, 2)
MINUTE_FIELDS = ("late_minutes", "early_minutes", "worked_minutes", "away_minutes")

schedules = st.sampled_from(["office", "strict", "sessions", "seasonal"])
moments = st.integers(min_value=4 * 3600, max_value=22 * 3600)  # around and beyond the window
punch_lists = st.lists(moments, max_size=8).map(sorted)
leave_parts = st.lists(st.tuples(st.sampled_from(["P", "Ô", "CT"]), st.sampled_from(["full", "morning", "afternoon"])),
                       max_size=1)
days = st.integers(min_value=0, max_value=400).map(lambda n: MONDAY + timedelta(days=n))
# "now" anywhere from the morning of the day to two days later
nows = st.integers(min_value=5 * 3600, max_value=3 * 86400).map(
    lambda s: datetime(MONDAY.year, MONDAY.month, MONDAY.day, tzinfo=ZONE) + timedelta(seconds=s)
)


def boundaries(plan) -> list[int]:
    """Every second where a rule changes its mind, and its neighbours."""
    points = [plan.window_start, plan.window_end, plan.late_after, plan.early_before, plan.absent_after]
    for session in plan.sessions:
        points += [session.start, session.end]
    if plan.sessions:
        points.append((plan.sessions[0].start + plan.sessions[-1].end) // 2)
    for before, after in zip(plan.sessions, plan.sessions[1:]):
        points.append((before.end + after.start) // 2)
    return sorted({p + delta for p in points for delta in (-1, 0, 1) if 0 <= p + delta < 86400})


def day_punches(plan) -> st.SearchStrategy[list[int]]:
    """Punch times mixing random moments, boundary seconds and out/back pairs whose
    gap sits on the away threshold."""
    if not plan.sessions:
        return punch_lists
    edge = st.sampled_from(boundaries(plan))
    first = plan.sessions[0]
    # out at `out`, back a threshold (± a second, or a minute more) later, inside the first session
    away = st.tuples(st.integers(first.start, first.end - plan.away_over - 61), st.sampled_from([-1, 0, 1, 60])).map(
        lambda pair: [pair[0], pair[0] + plan.away_over + pair[1]])
    return st.tuples(st.lists(st.one_of(moments, edge), max_size=6), st.lists(away, max_size=1)).map(
        lambda parts: sorted(parts[0] + [t for pair in parts[1] for t in pair]))


def _judge(policy, calendar, schedule: str, day: date, stamps: list[int], leave=(), now=None) -> DayResult:
    chosen = policy.schedules[schedule]
    plan = plan_day(chosen, calendar.day(day, "UBND", chosen.weekdays))
    punches = [(s, n + 1) for n, s in enumerate(stamps)]
    leave_days = [LeaveDay(policy.leave.kind(kind), part) for kind, part in leave]
    return evaluate_day(plan, punches, leave_days, now or datetime(day.year + 1, 1, 1, tzinfo=ZONE), policy.leave)


@settings(max_examples=300)
@given(schedule=schedules, day=days, stamps=punch_lists, leave=leave_parts, now=nows)
def test_judging_again_gives_the_same_result(policy, calendar, schedule, day, stamps, leave, now) -> None:
    first = _judge(policy, calendar, schedule, day, stamps, leave, now)
    assert _judge(policy, calendar, schedule, day, list(stamps), list(leave), now) == first


@settings(max_examples=300)
@given(schedule=schedules, leave=leave_parts, now=nows, data=st.data())
def test_minutes_are_never_negative_and_fractions_add_up(policy, calendar, schedule, leave, now, data) -> None:
    chosen = policy.schedules[schedule]
    stamps = data.draw(day_punches(plan_day(chosen, calendar.day(MONDAY, "UBND", chosen.weekdays))), label="punches")
    result = _judge(policy, calendar, schedule, MONDAY, stamps, leave, now)
    for field in MINUTE_FIELDS + ("missing_in", "missing_out", "late_count", "early_count"):
        assert getattr(result, field) >= 0, field
    assert 0 <= result.absent_fraction <= 1
    assert result.absent_fraction + result.leave_fraction <= 1.0001
    assert 0 <= result.present_fraction <= 1
    assert result.late_count <= len(policy.schedules[schedule].periods[0].sessions)
    if result.provisional:
        assert result.absent_fraction == 0 and result.missing_out == 0 and result.early_minutes == 0


@settings(max_examples=300)
@given(schedule=schedules, day=days, data=st.data())
def test_a_punch_inside_the_on_time_window_never_adds_lateness(policy, calendar, schedule, day, data) -> None:
    chosen = policy.schedules[schedule]
    plan = plan_day(chosen, calendar.day(day, "UBND", chosen.weekdays))
    if not plan.sessions:
        return
    stamps = data.draw(day_punches(plan), label="punches")
    before = _judge(policy, calendar, schedule, day, stamps)
    on_time = data.draw(st.integers(min_value=plan.window_start, max_value=plan.late_after), label="on-time punch")
    after = _judge(policy, calendar, schedule, day, sorted(stamps + [on_time]))
    assert after.late_minutes <= before.late_minutes
    assert after.late_count <= before.late_count


@settings(max_examples=500)
@given(schedule=st.sampled_from(["office", "strict", "seasonal"]), day=days, data=st.data())
def test_the_shortcut_agrees_with_the_general_path(policy, calendar, schedule, day, data) -> None:
    chosen = policy.schedules[schedule]
    plan = plan_day(chosen, calendar.day(day, "UBND", chosen.weekdays))
    if plan.kind != REQUIRED:
        return
    stamps = data.draw(day_punches(plan), label="punches")
    punches = [(s, n + 1) for n, s in enumerate(stamps)]
    now = datetime(day.year + 1, 1, 1, tzinfo=ZONE)
    assert evaluate_day(plan, punches, [], now, policy.leave) == judge_required_day(plan, punches, [], True, policy.leave)
