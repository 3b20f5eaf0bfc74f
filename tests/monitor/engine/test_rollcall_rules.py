"""The roll-call at a moment: one row per case, most of them at a session's boundary.

Schedules (tests/monitor/engine_helpers.py): ``office`` first-last 07:30–11:30 and
13:30–17:00 with 5 minutes' grace in and out; ``sessions`` the same hours per session.
Wednesday 25/11/2026 is an ordinary working day.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.engine.judge import LeaveDay
from monitor.engine.rollcall import (
    ABSENT,
    AFTER_HOURS,
    BEFORE_HOURS,
    BETWEEN_SESSIONS,
    EXCUSED,
    GONE_ON_TIME,
    HOLIDAY,
    IN,
    LEFT,
    NOT_ARRIVED,
    NOT_HIRED,
    OFF,
    ON_LEAVE,
    PRESENT,
    WEEKEND,
    WENT_OUT,
    WITHIN_GRACE,
    stand_at,
)
from tests.monitor.engine_helpers import Judge, parse_policy, seconds

WEDNESDAY = date(2026, 11, 25)
C = pytest.param


@pytest.fixture(scope="module")
def planner(policy, calendar) -> Judge:
    """Plans days through the real calendar (the roll-call needs plans, not judgements)."""
    return Judge(policy, calendar)


@pytest.mark.parametrize(
    ("schedule", "punches", "leave", "at", "group", "reason", "since"),
    [
        # arriving: the start and the grace
        C("office", [], [], "07:10", OFF, BEFORE_HOURS, None, id="before-the-first-session"),
        C("office", ["07:20"], [], "07:29", PRESENT, IN, "07:20", id="in-before-the-start"),
        C("office", [], [], "07:30", OFF, WITHIN_GRACE, None, id="at-the-start-nobody-is-late-yet"),
        C("office", [], [], "07:35:00", OFF, WITHIN_GRACE, None, id="at-the-end-of-the-grace"),
        C("office", [], [], "07:35:01", ABSENT, NOT_ARRIVED, None, id="a-second-after-the-grace"),
        C("office", ["07:45:00"], [], "07:45:00", PRESENT, IN, "07:45", id="a-punch-at-the-moment-counts"),
        C("office", ["07:45:01"], [], "07:45:00", ABSENT, NOT_ARRIVED, None, id="a-punch-after-the-moment-does-not"),
        C("office", ["05:00"], [], "09:50", ABSENT, NOT_ARRIVED, None, id="a-punch-before-the-window-is-ignored"),
        C("office", ["07:40:00", "07:40:30"], [], "09:50", PRESENT, IN, "07:40", id="a-double-tap-counts-once"),
        # during the morning: out and back
        C("office", ["07:30", "09:00"], [], "09:20", ABSENT, WENT_OUT, "09:00", id="went-out"),
        C("office", ["07:30", "09:00", "09:40"], [], "09:50", PRESENT, IN, "09:40", id="back-in"),
        C("office", ["07:30", "11:24:59"], [], "11:29", ABSENT, WENT_OUT, "11:24:59", id="out-before-the-morning-grace"),
        C("office", ["07:30", "11:25"], [], "11:29", OFF, GONE_ON_TIME, "11:25", id="out-within-the-morning-grace"),
        # the lunch break
        C("office", ["07:30", "11:29"], [], "11:30", OFF, BETWEEN_SESSIONS, "11:29", id="the-end-of-a-session-is-excluded"),
        C("office", [], [], "12:00", OFF, BETWEEN_SESSIONS, None, id="nobody-expected-at-lunch"),
        C("office", ["07:30"], [], "12:00", PRESENT, IN, "07:30", id="first-last-in-over-lunch"),
        C("office", ["07:30", "11:31"], [], "13:30", OFF, WITHIN_GRACE, "11:31", id="back-from-lunch-within-the-grace"),
        C("office", ["07:30", "11:31"], [], "13:35:01", ABSENT, WENT_OUT, "11:31", id="not-back-from-lunch"),
        C("office", ["07:30", "11:31", "13:28"], [], "13:40", PRESENT, IN, "13:28", id="back-from-lunch"),
        # per-session: only the punches of the session at the moment
        C("sessions", ["07:30"], [], "12:00", PRESENT, IN, "07:30", id="per-session-no-lunch-punch-yet"),
        C("sessions", ["07:30", "13:28"], [], "13:40", PRESENT, IN, "13:28", id="per-session-forgot-lunch-out"),
        C("sessions", ["07:30", "11:31"], [], "13:40", ABSENT, NOT_ARRIVED, None, id="per-session-afternoon-not-in"),
        C("sessions", ["07:30", "12:30:00"], [], "13:40", ABSENT, NOT_ARRIVED, None,
          id="per-session-halfway-belongs-to-the-morning"),
        C("sessions", ["07:30", "12:30:01"], [], "13:40", PRESENT, IN, "12:30:01", id="per-session-after-halfway"),
        C("sessions", ["07:30", "11:31"], [], "13:32", OFF, WITHIN_GRACE, None, id="per-session-afternoon-grace"),
        # leaving
        C("office", ["07:30", "16:00"], [], "16:30", ABSENT, WENT_OUT, "16:00", id="left-early"),
        C("office", ["07:30", "16:54:59"], [], "16:58", ABSENT, WENT_OUT, "16:54:59", id="left-a-second-too-early"),
        C("office", ["07:30", "16:55"], [], "16:58", OFF, GONE_ON_TIME, "16:55", id="left-within-the-grace"),
        C("office", [], [], "17:00", OFF, AFTER_HOURS, None, id="after-the-last-session"),
        C("office", ["07:30"], [], "18:00", PRESENT, IN, "07:30", id="still-in-after-hours"),
        # leave covers sessions
        C("office", [], [("P", "morning")], "09:50", EXCUSED, ON_LEAVE, None, id="morning-leave-in-the-morning"),
        C("office", [], [("P", "morning")], "14:00", ABSENT, NOT_ARRIVED, None, id="morning-leave-in-the-afternoon"),
        C("office", [], [("P", "morning")], "13:33", OFF, WITHIN_GRACE, None, id="morning-leave-afternoon-grace"),
        C("office", [], [("CT", "full")], "14:00", EXCUSED, ON_LEAVE, None, id="business-trip"),
        C("office", ["07:30", "09:00"], [("P", "afternoon")], "14:00", EXCUSED, ON_LEAVE, "09:00",
          id="left-for-afternoon-leave"),
        C("office", ["07:29"], [("P", "full")], "09:50", PRESENT, IN, "07:29", id="came-in-despite-leave"),
    ],
)
def test_standing_at_a_moment(planner: Judge, schedule, punches, leave, at, group, reason, since) -> None:
    plan = planner.plan(WEDNESDAY, schedule=schedule)
    leave_days = [LeaveDay(planner.policy.leave.kind(kind), part) for kind, part in leave]
    found = stand_at(plan, [seconds(p) for p in punches], leave_days, seconds(at))
    assert (found.group, found.reason) == (group, reason)
    assert found.since == (None if since is None else seconds(since))
    if group == EXCUSED:
        assert found.leave == 0


@pytest.mark.parametrize(
    ("day", "punches", "hired_on", "left_on", "group", "reason"),
    [
        C(date(2026, 1, 2), [], None, None, OFF, HOLIDAY, id="holiday"),
        C(date(2026, 11, 28), [], None, None, OFF, WEEKEND, id="saturday"),
        C(date(2026, 11, 28), ["08:00"], None, None, PRESENT, IN, id="extra-work-on-a-saturday"),
        C(date(2026, 11, 28), ["08:00", "09:00"], None, None, OFF, WEEKEND, id="gone-home-on-a-saturday"),
        C(date(2026, 1, 10), [], None, None, ABSENT, NOT_ARRIVED, id="make-up-saturday-is-required"),
        C(WEDNESDAY, [], date(2026, 12, 1), None, OFF, NOT_HIRED, id="not-hired-yet"),
        C(WEDNESDAY, [], date(2020, 1, 1), date(2026, 11, 20), OFF, LEFT, id="left"),
    ],
)
def test_days_nobody_must_work(planner: Judge, day, punches, hired_on, left_on, group, reason) -> None:
    plan = planner.plan(day, hired_on=hired_on, left_on=left_on)
    found = stand_at(plan, [seconds(p) for p in punches], [], seconds("09:50"), hired_on=hired_on)
    assert (found.group, found.reason) == (group, reason)


OFFICE_ONLY = parse_policy('[schedules.office]\nsessions = [["07:30", "11:30"], ["13:30", "17:00"]]\ngrace_in_minutes = 5\n')


@given(
    punches=st.lists(st.integers(min_value=5 * 3600, max_value=20 * 3600), max_size=8),
    moment=st.integers(min_value=0, max_value=24 * 3600 - 1),
    later=st.lists(st.integers(min_value=1, max_value=6 * 3600), max_size=3),
)
def test_punches_after_the_moment_change_nothing(punches: list[int], moment: int, later: list[int]) -> None:
    """A roll-call of a past moment gives the same answer however many punches came later."""
    plan = Judge(OFFICE_ONLY, OFFICE_ONLY.work_calendar({})).plan(WEDNESDAY, unit=None)
    before = [p for p in punches if p <= moment]
    after = before + [min(moment + extra, 24 * 3600 - 1) for extra in later if moment + extra < 24 * 3600]
    assert stand_at(plan, before, [], moment) == stand_at(plan, after, [], moment)
