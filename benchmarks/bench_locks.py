"""Benchmark: how long the write lock is held, seen from a card reader's side.

    .venv/bin/python benchmarks/bench_locks.py [--employees N] [--punches N] [--records N]

For each of three bulk jobs a *prober* process stands in for a card reader: it takes the
write lock (``BEGIN IMMEDIATE``; ``COMMIT``) every 5 ms on its own connection and
records how long it had to wait. Its longest wait is the longest time the job held the
lock. The jobs:

1. the month's evaluation for 10,000 staff from scratch (as bench_evaluate.py builds it),
   also timed against the SQL floor (first/last punch per employee-day in one statement);
2. a 1,000,000-punch import of a USB export through the real CLI (a child process);
3. a 100,000-record pull from a simulated ZKTeco clock over TCP.

Targets (2 cores): longest hold ≤ 250 ms in each; evaluation from scratch ≤ 10 s and
≤ 3× the SQL floor.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
TARGET_MS = 250


def probe(path: str, stop, result) -> None:
    """Take the write lock every 5 ms until told to stop; send the longest wait."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=120)
    longest, attempts = 0.0, 0
    while not stop.is_set():
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        waited = time.perf_counter() - started
        conn.execute("COMMIT")
        longest = max(longest, waited)
        attempts += 1
        stop.wait(0.005)
    conn.close()
    result.send((longest, attempts))


class Prober:
    def __init__(self, path: Path):
        self.stop = mp.Event()
        self.receive, send = mp.Pipe(duplex=False)
        self.process = mp.Process(target=probe, args=(str(path), self.stop, send), daemon=True)

    def __enter__(self) -> Prober:
        self.process.start()
        time.sleep(0.2)  # let it connect before the job starts (not part of any figure)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.longest, self.attempts = self.receive.recv()
        self.process.join()


def evaluation(folder: Path, employees: int) -> list[tuple[str, float, str]]:
    from bench_evaluate import MONTH_END, MONTH_START, build

    from monitor.engine.policy import OfficePolicy
    from monitor.service.evaluation import Evaluation
    from monitor.store import Store

    path = folder / "evaluate.db"
    now = datetime(2026, 11, 1, 8, 0, tzinfo=ZONE)
    store = Store(path, zone=ZONE, now=lambda: now, create=True)
    print(f"building {employees:,} staff, one month of punches ...", flush=True)
    build(store, employees)
    store.longest_write = 0.0
    with Prober(path) as prober:
        started = time.perf_counter()
        summary = Evaluation(store, OfficePolicy(), now).run()
        scratch = time.perf_counter() - started
    started = time.perf_counter()
    with store.write():
        store.db.conn.execute(
            "CREATE TABLE floor_first_last AS SELECT employee_code, substr(punched_at, 1, 10) AS day,"
            " MIN(punched_at) AS first_punch, MAX(punched_at) AS last_punch FROM punches"
            " WHERE employee_code IS NOT NULL AND punched_at >= ? AND punched_at < ?"
            " GROUP BY employee_code, substr(punched_at, 1, 10)",
            (MONTH_START.isoformat(), (MONTH_END + timedelta(days=1)).isoformat()),
        )
    floor = time.perf_counter() - started
    held = store.longest_write
    store.close()
    print(f"1. evaluation: {summary.judged:,} employee-days in {scratch:.2f} s; SQL floor {floor:.2f} s;"
          f" ratio {scratch / floor:.2f}x; longest own write {held * 1000:.0f} ms", flush=True)
    return [
        ("evaluation, longest lock wait", prober.longest * 1000, "ms"),
        ("evaluation from scratch", scratch, "s"),
        ("evaluation / SQL floor", scratch / floor, "x"),
    ]


def import_file(folder: Path, punches: int) -> list[tuple[str, float, str]]:
    from bench_import import generate

    export = folder / "attlog.dat"
    print(f"generating {punches:,} punches ...", flush=True)
    generate(export, punches, 2000)
    (folder / "config.toml").write_text('[storage]\ndatabase = "import.db"\n', encoding="utf-8")
    (folder / "password").write_text("benchmark-password\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), MONITOR_ACTOR="bench")

    def monitor(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "monitor", "--quiet", *args], cwd=folder, env=env,
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"monitor {' '.join(args)} failed:\n{done.stdout}{done.stderr}")

    monitor("init", "--password-file", "password")
    devices = [f"--device={n}=dev{n}" for n in range(1, 6)]
    with Prober(folder / "import.db") as prober:
        started = time.perf_counter()
        monitor("import", "punches", export.name, *devices, "--new-device")
        seconds = time.perf_counter() - started
    print(f"2. import: {punches:,} punches in {seconds:.2f} s", flush=True)
    return [("import, longest lock wait", prober.longest * 1000, "ms")]


def pull(folder: Path, records: int) -> list[tuple[str, float, str]]:
    from bench_zk import start_clock

    from drivers.base import DeviceSettings
    from monitor.config import DeviceConfig
    from monitor.service.ingest import pull_device
    from monitor.store import Store

    server, url = start_clock("tcp", records, None)
    path = folder / "pull.db"
    now = datetime(2026, 11, 26, 9, 0, tzinfo=ZONE)
    store = Store(path, zone=ZONE, now=lambda: now, create=True)
    device = DeviceConfig(DeviceSettings(id="zk", protocol="zkteco", port=url, timeout=30.0))
    try:
        with Prober(path) as prober:
            started = time.perf_counter()
            report = pull_device(store, device, now=lambda: now, actor="bench")
            seconds = time.perf_counter() - started
    finally:
        server.kill()
        server.join()
        store.close()
    print(f"3. pull: {report.new:,} records in {seconds:.2f} s", flush=True)
    return [("pull, longest lock wait", prober.longest * 1000, "ms")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--punches", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    mp.set_start_method("fork")
    figures: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-locks-") as folder:
        figures += evaluation(Path(folder), args.employees)
        figures += import_file(Path(folder), args.punches)
        figures += pull(Path(folder), args.records)
    print()
    for label, value, unit in figures:
        print(f"{label:<34} {value:10.2f} {unit}")
    targets = [(label, value <= TARGET_MS) for label, value, unit in figures if unit == "ms"]
    targets += [("evaluation <= 10 s", figures[1][1] <= 10), ("ratio <= 3x", figures[2][1] <= 3)]
    print("targets: " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in targets))


if __name__ == "__main__":
    main()
