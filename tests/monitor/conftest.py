"""Fixtures for the monitor tests, smallest first: a policy parsed from real config
text, its calendar, a judge for the pure function, and a small real database (a unit
tree, employees, enrolled badges) for the runner, reports and CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from monitor.engine.calendar import WorkCalendar
from monitor.engine.policy import OfficePolicy
from monitor.store import Store
from tests.conftest import ZONE
from tests.monitor.engine_helpers import (
    OFFICE_TOML,
    Judge,
    fill_directory,
    parse_policy,
)
from tests.monitor.month_helpers import NOW, judged_october


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


# --- a judged October with a web user per role (closing the month) ----------------------


@pytest.fixture(scope="session")
def october_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("october") / "october.db"
    store = Store(path, zone=ZONE, now=lambda: NOW, create=True)
    judged_october(store, parse_policy(OFFICE_TOML))
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture
def october_copy(october_template: Path, db_path: Path, clock) -> Store:
    shutil.copyfile(october_template, db_path)
    store = Store(db_path, zone=ZONE, now=clock)
    yield store
    store.close()
