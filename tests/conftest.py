"""Shared fixtures, smallest first: a database path, a store, a CLI runner."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from monitor.cli import AppContext, cli
from monitor.store import Store

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
FIXED_NOW = datetime(2026, 11, 26, 9, 0, 0, tzinfo=ZONE)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--serial-port", default=None, help="run the 'serial' tests against this physical port")
    # here rather than in tests/reliability/conftest.py: pytest only takes options from
    # the conftest files it loads first, and a plain `pytest -q` loads this one
    parser.addoption("--reliability-trials", type=int, default=3,
                     help="kill -9 trials per scenario in tests/reliability (the issue's long run: 60)")
    parser.addoption("--reliability-long", action="store_true",
                     help="run the full-size long-evaluation scenario (2,000 staff x 2 years, 188 cards)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--reliability-long"):
        long = pytest.mark.skip(reason="the full-size scenario: pass --reliability-long")
        for item in items:
            if "reliability_long" in item.keywords:
                item.add_marker(long)
    if config.getoption("--serial-port"):
        return
    skip = pytest.mark.skip(reason="needs a physical port: pass --serial-port=PORT")
    for item in items:
        if "serial" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def serial_port(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--serial-port")


@pytest.fixture
def clock():
    """A settable clock: ``clock.now`` is what the code under test sees."""

    class Clock:
        def __init__(self) -> None:
            self.now = FIXED_NOW

        def __call__(self) -> datetime:
            return self.now

    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "attendance.db"


@pytest.fixture
def store(db_path: Path, clock) -> Store:
    store = Store(db_path, zone=ZONE, now=clock, create=True)
    yield store
    store.close()


@pytest.fixture
def config_file(tmp_path: Path, db_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[site]\nname = "Test office"\ntimezone = "Asia/Ho_Chi_Minh"\n\n[storage]\ndatabase = "{db_path.name}"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def run(config_file: Path, clock, monkeypatch: pytest.MonkeyPatch):
    """Invoke the CLI with the test config and clock; returns click's Result."""
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    monkeypatch.delenv("MONITOR_DATABASE", raising=False)
    monkeypatch.setenv("MONITOR_ACTOR", "tester")
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, config: Path | None = None):
        app = AppContext(config or config_file, now=clock)
        return runner.invoke(cli, [str(a) for a in args], obj=app, input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def initialized(run, tmp_path: Path) -> Path:
    """A database made by 'monitor init' with an admin whose password is in a file."""
    secret = tmp_path / "admin-password"
    secret.write_text("correct horse battery\n", encoding="utf-8")
    result = run("init", "--password-file", secret)
    assert result.exit_code == 0, result.output
    return tmp_path / "attendance.db"
