"""A judged October with a user per role, built once per run (password hashing is slow)
and copied for each test that closes months."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from monitor.store import Store
from tests.conftest import ZONE
from tests.monitor.engine_helpers import OFFICE_TOML, parse_policy
from tests.monitor.service.month_helpers import NOW, judged_october


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
