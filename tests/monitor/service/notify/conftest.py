"""Fixtures for the notification tests: real SMTP and HTTP servers on 127.0.0.1, a
certificate, and the office database at a settable moment."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from monitor.store import Store
from tests.conftest import ZONE
from tests.monitor.service.notify.notify_helpers import HookReceiver, MailSink, fill_office, self_signed

MORNING = datetime(2026, 11, 26, 7, 50, tzinfo=ZONE)  # Thursday; the default digest time is 07:45


@pytest.fixture
def mail():
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def receiver():
    hook = HookReceiver().start()
    yield hook
    hook.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def office_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Filled once per run (password hashing is slow), copied for each test."""
    path = tmp_path_factory.mktemp("office") / "office.db"
    store = Store(path, zone=ZONE, now=lambda: MORNING, create=True)
    fill_office(store, MORNING)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture
def office(tmp_path: Path, office_template: Path, clock) -> Path:
    import shutil

    path = tmp_path / "office.db"
    shutil.copyfile(office_template, path)
    clock.now = MORNING
    return path
