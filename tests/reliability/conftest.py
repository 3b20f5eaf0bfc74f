"""A real collector for the reliability trials: ``monitor run`` in a subprocess, on the
wall clock (its scheduler runs jobs at real times), against a database made by
``monitor init`` and simulators in this process (a ZK clock on 127.0.0.1, card readers
on pseudo-terminals). The process writes its output to a file: a pipe nobody reads
could fill and stall it, and the file is shown when a trial fails."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from drivers.base import Punch
from monitor.config import load_config
from monitor.service.keys import open_store

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 30.0  # a loaded CI machine imports flask and apscheduler slowly


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` (another process's database or files: nothing signals us) until
    it holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def read(db: Path, sql: str, *params: object) -> list[tuple]:
    """A read on a connection of its own, closed at once (the collector owns the writes)."""
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


class Collector:
    """One ``monitor run`` process; :meth:`kill` is kill -9, :meth:`terminate` SIGTERM."""

    def __init__(self, config: Path, log: Path, *args: str):
        self.log = log
        env = dict(os.environ, PYTHONPATH=str(ROOT), MONITOR_ACTOR="collector")
        env.pop("MONITOR_NOW", None)
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "monitor", "--config", str(config), "run", *args],
                stdout=out, stderr=subprocess.STDOUT, env=env,
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self) -> float:
        """SIGTERM; returns the seconds until the process had exited."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"monitor run ignored SIGTERM for 30 s:\n{self.output()}")
        return time.monotonic() - started

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"monitor run did not end within {timeout} s:\n{self.output()}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait()


class Site:
    """A folder with a config, a database made by ``monitor init`` and its key."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.config = folder / "config.toml"
        self.db = folder / "attendance.db"
        self.spool = folder / "attendance.spool"
        self.started: list[Collector] = []
        self.config.write_text(
            '[site]\nname = "Reliability trials"\ntimezone = "Asia/Ho_Chi_Minh"\n\n'
            '[storage]\ndatabase = "attendance.db"\n',
            encoding="utf-8",
        )
        secret = folder / "admin-password"
        secret.write_text("correct horse battery\n", encoding="utf-8")
        self.monitor("init", "--password-file", str(secret))

    def monitor(self, *args: str, timeout: float = 120) -> str:
        """A one-shot command; its output, or the test fails with it."""
        env = dict(os.environ, PYTHONPATH=str(ROOT), MONITOR_ACTOR="tester")
        env.pop("MONITOR_NOW", None)
        done = subprocess.run([sys.executable, "-m", "monitor", "--config", str(self.config), *args],
                              capture_output=True, text=True, env=env, timeout=timeout)
        assert done.returncode == 0, f"monitor {' '.join(args)} exited with {done.returncode}:\n{done.stdout}{done.stderr}"
        return done.stdout

    def add_device(self, entry: str) -> None:
        with self.config.open("a", encoding="utf-8") as config:
            config.write("\n[[devices]]\n" + entry.strip() + "\n")

    def start(self, *args: str) -> Collector:
        collector = Collector(self.config, self.folder / "run.log", *args)
        self.started.append(collector)
        if collector.process.poll() is not None:
            pytest.fail(f"monitor run exited at once:\n{collector.output()}")
        return collector

    def status(self, device_id: str) -> str | None:
        rows = read(self.db, "SELECT status FROM devices WHERE id = ?", device_id)
        return rows[0][0] if rows else None

    def forget_status(self, device_id: str) -> None:
        """Clear a device's stored status (what a killed collector leaves behind)."""
        conn = sqlite3.connect(self.db, timeout=30)
        try:
            with conn:
                conn.execute("UPDATE devices SET status = 'unknown' WHERE id = ?", (device_id,))
        finally:
            conn.close()

    def close(self) -> None:
        for collector in self.started:
            collector.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = Site(tmp_path)
    yield made
    made.close()


@pytest.fixture
def trials(request: pytest.FixtureRequest) -> int:
    return request.config.getoption("--reliability-trials")


def staff(site: Site, people: int, days: int, today: date) -> int:
    """``people`` staff of one unit, each enrolled as device user ``str(n)`` on every
    device and punching in and out on each of the ``days`` days before ``today``;
    returns the number of employee-days that hold punches (an evaluation from scratch
    judges these and the punchless days up to today). Written with the site's key, as
    the monitor writes, so ``monitor verify`` passes afterwards."""
    with open_store(load_config(site.config)) as store:
        store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ"}], actor="setup")
        hired = (today - timedelta(days=days)).isoformat()
        store.upsert_employees([{"code": f"NV{n:04d}", "full_name": f"Người {n}", "unit_code": "SNV", "hired_on": hired}
                                for n in range(people)], actor="setup")
        store.upsert_enrollments([{"device_id": "*", "device_user_id": str(n), "employee_code": f"NV{n:04d}"}
                                  for n in range(people)], actor="setup")
        start = today - timedelta(days=days)

        def punches() -> Iterator[Punch]:
            for offset in range(days):
                day = start + timedelta(days=offset)
                for n in range(people):
                    arrival = datetime(day.year, day.month, day.day, 7, 20 + (n * 7 + offset) % 25)
                    yield Punch(str(n), arrival)
                    yield Punch(str(n), arrival + timedelta(hours=9, minutes=n % 40))

        store.add_punches("gate", punches(), source="device")
    return people * days
