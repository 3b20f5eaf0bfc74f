"""Storage faults end in one line (what, where, what to do) and exit code 2, never a
traceback; a damaged file is refused at start; only 'init' makes a database.

Disk full and read-only are real: a 1 MB tmpfs and a read-only bind mount inside a
private mount namespace (``unshare``), the monitor a child process in it. Where the
kernel does not allow that, those tests skip and say so.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from drivers.base import Punch
from monitor.store import Store
from tests.conftest import ZONE

ROOT = Path(__file__).resolve().parents[2]


def _namespaces_work() -> str | None:
    if not shutil.which("unshare"):
        return "no unshare command"
    done = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                          capture_output=True, text=True)
    return None if done.returncode == 0 else f"cannot mount a tmpfs in a private namespace: {done.stderr.strip()}"


NO_NAMESPACE = _namespaces_work()
needs_namespace = pytest.mark.skipif(NO_NAMESPACE is not None, reason=f"disk full / read-only need a mount namespace ({NO_NAMESPACE})")


def monitor_in_namespace(setup: str, folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``monitor ARGS`` in FOLDER after the shell SETUP, in a private mount namespace."""
    command = " ".join([sys.executable, "-m", "monitor", "--config", str(folder / "config.toml"), *args])
    env = dict(os.environ, PYTHONPATH=str(ROOT), MONITOR_ACTOR="tester", MONITOR_NOW="2026-11-26T09:00:00")
    env.pop("MONITOR_CONFIG", None)
    env.pop("MONITOR_DATABASE", None)
    return subprocess.run(["unshare", "-rm", "sh", "-c", f"{setup} && cd {folder} && {command}"],
                          capture_output=True, text=True, env=env, timeout=120)


def one_error_line(result) -> str:
    assert result.exit_code if hasattr(result, "exit_code") else result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


def write_export(path: Path, lines: int) -> None:
    start = datetime(2026, 10, 1, 7, 0)
    with path.open("w", encoding="ascii") as file:
        for n in range(lines):
            file.write(f"{n % 500 + 1:>9}\t{start + timedelta(seconds=37 * n):%Y-%m-%d %H:%M:%S}\t1\t0\t1\t0\r\n")


@needs_namespace
def test_disk_full_is_one_line(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    (disk / "config.toml").write_text('[storage]\ndatabase = "attendance.db"\n', encoding="utf-8")
    (tmp_path / "password").write_text("correct horse battery\n", encoding="utf-8")
    write_export(tmp_path / "attlog.dat", 40_000)
    setup = (f"mount -t tmpfs -o size=1m tmpfs {disk} && cp {tmp_path}/config.toml.src {disk}/config.toml"
             f" && {sys.executable} -m monitor --config {disk}/config.toml init --password-file {tmp_path}/password >/dev/null")
    (tmp_path / "config.toml.src").write_text('[storage]\ndatabase = "attendance.db"\n', encoding="utf-8")
    result = monitor_in_namespace(setup, disk, "import", "punches", str(tmp_path / "attlog.dat"), "--device", "gate", "--new-device")
    assert result.returncode == 2, result.stdout + result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert line.startswith("Error: the disk holding the database ") and "is full" in line and "free some space" in line


@needs_namespace
def test_read_only_database_is_one_line(initialized: Path, config_file: Path) -> None:
    folder = initialized.parent
    setup = f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder}"
    result = monitor_in_namespace(setup, folder, "leave", "add", "NV001", "--from", "2026-11-20", "--to", "2026-11-20",
                                  "--kind", "P", "--reason", "nghỉ")
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("Error: ") and str(initialized) in lines[0]
    assert "read-only" in lines[0] or "writable by the service user" in lines[0]


def test_zero_length_file_is_refused(run, db_path: Path) -> None:
    db_path.write_bytes(b"")
    for command in (("verify",), ("run", "--once"), ("report", "day")):
        result = run(*command)
        assert result.exit_code == 2
        assert result.stderr.strip().splitlines() == [
            f"Error: the database {db_path} is an empty file (0 bytes), not a database: put the last good backup"
            " back with 'monitor restore BACKUP', or move the file away and run 'monitor init'"
        ]
    assert db_path.stat().st_size == 0  # nothing was created over it


def test_missing_database_is_refused_by_every_command_but_init(run, db_path: Path) -> None:
    for command in (("verify",), ("run", "--once"), ("backup",)):
        result = run(*command)
        assert result.exit_code == 2 and "run 'monitor init' first" in result.stderr
    assert not db_path.exists()


def corrupt_a_middle_page(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    with open(path, "r+b") as file:
        file.seek(page_size * (pages // 2))
        file.write(b"\xde\xad\xbe\xef" * (page_size // 4))


@pytest.fixture
def damaged(initialized: Path) -> Path:
    with Store(initialized, zone=ZONE) as store:
        start = datetime(2026, 10, 1, 7, 0)
        store.add_punches("gate", [Punch(str(n % 300), start + timedelta(seconds=41 * n)) for n in range(6000)], source="file")
    corrupt_a_middle_page(initialized)
    return initialized


def test_corrupt_page_run_and_serve_refuse_to_start(run, damaged: Path) -> None:
    for command in (("run", "--once"), ("serve", "--port", "1")):
        result = run(*command)
        line = one_error_line(result)
        assert line.startswith(f"Error: the database {damaged} is damaged (")
        assert "'monitor restore BACKUP'" in line


def test_corrupt_page_verify_names_it_without_a_traceback(run, damaged: Path) -> None:
    result = run("verify")
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("DAMAGED: SQLite finds the file damaged: ")
