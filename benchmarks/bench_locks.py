"""Benchmark: how long the write lock is held during bulk work.

    .venv/bin/python benchmarks/bench_locks.py [--employees N] [--punches N] [--records N]

For each of three bulk jobs, in this process, the store's own measure of its longest
write transaction (``BEGIN IMMEDIATE`` to the end of ``COMMIT``; bulk jobs run with
SQLite's auto-checkpoint off, so no checkpoint falls inside it), the longest WAL
checkpoint the job ran between its batches (no lock held: a PASSIVE checkpoint blocks
no writer, it is printed to show where that time went), and the longest wait of a *prober*
process standing in for another of the monitor's writers (a web action, a CLI command): it
takes the write lock every 5 ms, through the writers' turnstile as they do
(monitor.store.turnstile), so it goes before the job's next batch. Its wait can still
exceed a single hold by one step of SQLite's busy handler (which sleeps up to 100 ms a
step); live readers do not wait on it (their punches go to the spool first). The jobs:

1. the month's evaluation for 10,000 staff from scratch (as bench_evaluate.py builds it),
   also timed against the SQL floor (first/last punch per employee-day in one statement);
2. a 1,000,000-punch import of a USB export (the import the CLI runs);
3. a 100,000-record pull from a simulated ZKTeco clock over TCP.

Targets (2 cores): longest write held and longest prober wait ≤ 250 ms in each;
evaluation from scratch ≤ 10 s and ≤ 3× the SQL floor. The load average is printed
with the figures: on a shared machine they are pessimistic.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
TARGET_MS = 250


def cpu_seconds() -> float:
    """CPU time of this process, every thread (the prober is another process)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def probe(path: str, stop, result) -> None:
    """Take the write lock every 5 ms until told to stop, the way the monitor's writers
    take it (the turnstile, then BEGIN IMMEDIATE asked for every millisecond); send the
    longest wait."""
    from monitor.store.turnstile import WriterTurnstile

    conn = sqlite3.connect(path, isolation_level=None, timeout=120)
    turnstile = WriterTurnstile(path)
    longest, attempts = 0.0, 0
    while not stop.is_set():
        started = time.perf_counter()
        turnstile.begin(conn, 120)
        waited = time.perf_counter() - started
        conn.execute("COMMIT")
        longest = max(longest, waited)
        attempts += 1
        stop.wait(0.005)
    conn.close()
    turnstile.close()
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
        cpu_before = cpu_seconds()
        summary = Evaluation(store, OfficePolicy(), now).run()
        scratch = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_before
    # read now: the floor below is a write transaction of its own (as long as the floor)
    held, checkpoint = store.longest_write, store.longest_checkpoint
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
    store.close()
    print(f"1. evaluation: {summary.judged:,} employee-days in {scratch:.2f} s (CPU {cpu:.2f} s, {100 * cpu / scratch:.0f}%"
          f" of one core); SQL floor {floor:.2f} s", flush=True)
    return [
        ("evaluation, longest write held", held * 1000, "ms"),
        ("evaluation, longest wait of a prober", prober.longest * 1000, "wait"),
        ("evaluation, longest checkpoint", checkpoint * 1000, "info"),
        ("evaluation from scratch", scratch, "s"),
        ("evaluation / SQL floor", scratch / floor, "x"),
    ]


def import_file(folder: Path, punches: int) -> list[tuple[str, float, str]]:
    from bench_import import generate

    from monitor.imports.punch_files import DeviceMap, PunchWindow, import_punch_file
    from monitor.store import Store

    export = folder / "attlog.dat"
    print(f"generating {punches:,} punches ...", flush=True)
    generate(export, punches, 2000)
    path = folder / "import.db"
    now = datetime(2026, 11, 26, 9, 0, tzinfo=ZONE)
    store = Store(path, zone=ZONE, now=lambda: now, create=True)
    devices = DeviceMap.parse([f"{n}=dev{n}" for n in range(1, 6)])
    with Prober(path) as prober:
        started = time.perf_counter()
        import_punch_file(store, export, devices, known_devices=set(), window=PunchWindow.around(now),
                          allow_new_device=True)
        seconds = time.perf_counter() - started
    held, checkpoint = store.longest_write, store.longest_checkpoint
    store.close()
    print(f"2. import: {punches:,} punches in {seconds:.2f} s", flush=True)
    return [("import, longest write held", held * 1000, "ms"), ("import, longest wait of a prober", prober.longest * 1000, "wait"),
            ("import, longest checkpoint", checkpoint * 1000, "info")]


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
        held, checkpoint = store.longest_write, store.longest_checkpoint
    finally:
        server.kill()
        server.join()
        store.close()
    print(f"3. pull: {report.new:,} records in {seconds:.2f} s", flush=True)
    return [("pull, longest write held", held * 1000, "ms"), ("pull, longest wait of a prober", prober.longest * 1000, "wait"),
            ("pull, longest checkpoint", checkpoint * 1000, "info")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--punches", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    mp.set_start_method("fork")
    print(f"load average (1, 5, 15 min) at the start  {' '.join(f'{n:.2f}' for n in os.getloadavg())}", flush=True)
    figures: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-locks-") as folder:
        figures += evaluation(Path(folder), args.employees)
        figures += import_file(Path(folder), args.punches)
        figures += pull(Path(folder), args.records)
    print()
    for label, value, unit in figures:
        print(f"{label:<38} {value:10.2f} {'ms' if unit in ('wait', 'info') else unit}")
    print(f"load average (1, 5, 15 min) at the end  {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
    targets = [(label, value <= TARGET_MS) for label, value, unit in figures if unit in ("ms", "wait")]
    by_label = {label: value for label, value, _ in figures}
    targets += [("evaluation <= 10 s", by_label["evaluation from scratch"] <= 10),
                ("ratio <= 3x", by_label["evaluation / SQL floor"] <= 3)]
    print("targets: " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in targets))


if __name__ == "__main__":
    main()
