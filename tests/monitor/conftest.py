"""Fixtures for the monitor tests, smallest first: a policy parsed from real config
text, its calendar, a judge for the pure function, and a small real database (a unit
tree, employees, enrolled badges) for the runner, reports and CLI."""

from __future__ import annotations

import pytest

from monitor.engine.calendar import WorkCalendar
from monitor.engine.policy import OfficePolicy
from monitor.store import Store
from tests.monitor.engine_helpers import (
    OFFICE_TOML,
    Judge,
    fill_directory,
    parse_policy,
)


@pytest.fixture(scope="session")
def policy() -> OfficePolicy:
    return parse_policy(OFFICE_TOML)


@pytest.fixture(scope="session")
def calendar(policy: OfficePolicy) -> WorkCalendar:
    return policy.work_calendar({"UBND": None, "SNV": "UBND", "PTC": "SNV"})


@pytest.fixture(scope="session", params=["direct", "general"])
def judge(request: pytest.FixtureRequest, policy: OfficePolicy, calendar: WorkCalendar) -> Judge:
    """Every case runs twice: as the engine judges it (the shortcut for the common day
    where it applies), and along the session by session path only."""
    return Judge(policy, calendar, direct=request.param == "direct")


@pytest.fixture
def directory(store: Store) -> Store:
    """The store with units, employees and badges (device user id = employee number)."""
    return fill_directory(store)
