"""Import benchmark: one million punches from a ZKTeco USB export.

Generates a merged export of 1,000,000 punches (2,000 employees, 5 devices), imports it
into a fresh database with the real CLI (a child process, so its peak RSS is its own),
imports it again (a no-op), and times a bare ``sqlite3`` ``executemany`` of the same
rows into a table with the same columns and unique index as the floor.

    python benchmarks/bench_import.py [--punches N] [--keep DIR]

Targets (2-core machine): >= 100,000 punches/s, re-import < 5 s, peak RSS < 300 MB,
first import within 3x of the bare insert.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.imports.sample_data import day_punches, make_employees, workdays  # noqa: E402

DEVICES = 5


def generate(path: Path, punches: int, employees: int) -> int:
    import random

    people = make_employees(employees, ["U"], seed=3)
    rng = random.Random(11)
    count = 0
    day = date(2025, 1, 1)
    with path.open("w", encoding="ascii", newline="") as handle:
        while count < punches:
            for current in workdays(day, day):
                records = []
                for index, person in enumerate(people):
                    machine = index % DEVICES + 1
                    for stamp, state in day_punches(rng, current):
                        records.append((stamp, person.pin, machine, state))
                records.sort()
                for stamp, pin, machine, state in records:
                    if count >= punches:
                        break
                    handle.write(f"{pin:>9}\t{stamp:%Y-%m-%d %H:%M:%S}\t{machine}\t{state}\t1\t0\r\n")
                    count += 1
            day += timedelta(days=1)
    return count


def monitor(*args: str, cwd: Path) -> tuple[float, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), MONITOR_ACTOR="bench")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "monitor", "--quiet", *args], cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"monitor {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout.strip()


def bare_insert(path: Path, export: Path) -> float:
    """The floor: the same rows, the same columns and unique index, one executemany."""
    rows = []
    received = "2026-11-26T09:00:00+07:00"
    with export.open("r", encoding="ascii") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            pin, stamp, machine, state, verify, work = line.split("\t")
            rows.append((number, f"dev{machine}", pin.strip(), stamp.replace(" ", "T") + "+07:00", None, int(verify), int(state),
                         int(work), "file", line, received, 0, hashlib.sha256(line.encode()).hexdigest()))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE punches (id INTEGER PRIMARY KEY, device_id TEXT NOT NULL, device_user_id TEXT NOT NULL,"
        " punched_at TEXT NOT NULL, employee_code TEXT, verify_mode INTEGER, state INTEGER, work_code INTEGER,"
        " source TEXT NOT NULL, raw TEXT, received_at TEXT NOT NULL, clock_suspect INTEGER NOT NULL DEFAULT 0, hash TEXT NOT NULL)"
    )
    conn.execute("CREATE UNIQUE INDEX idx ON punches(device_id, punched_at, device_user_id)")
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO punches VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--punches", type=int, default=1_000_000)
    parser.add_argument("--employees", type=int, default=2_000)
    parser.add_argument("--keep", type=Path, help="Work in this folder and keep it.")
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="bench-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / "merged_attlog.dat"
    start = time.perf_counter()
    lines = generate(export, options.punches, options.employees)
    print(f"generated {lines:,} punches ({export.stat().st_size / 1e6:.1f} MB) for {options.employees:,} employees on {DEVICES} devices in {time.perf_counter() - start:.1f} s")

    (folder / "config.toml").write_text('[storage]\ndatabase = "bench.db"\n', encoding="utf-8")
    (folder / "password").write_text("benchmark-password\n", encoding="utf-8")
    if (folder / "bench.db").exists():
        for suffix in ("", "-wal", "-shm", "-writers"):
            Path(str(folder / "bench.db") + suffix).unlink(missing_ok=True)
    monitor("init", "--password-file", "password", cwd=folder)
    devices = [f"--device={n}=dev{n}" for n in range(1, DEVICES + 1)]
    first, output = monitor("import", "punches", export.name, *devices, "--new-device", cwd=folder)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"first import:  {first:6.2f} s  {lines / first:10,.0f} punches/s   [{output.splitlines()[0]}]")
    again, output = monitor("import", "punches", export.name, *devices, cwd=folder)
    print(f"re-import:     {again:6.2f} s  (no-op)                   [{output.splitlines()[0]}]")
    check, output = monitor("verify", cwd=folder)
    print(f"verify chain:  {check:6.2f} s  [{output}]")
    floor = bare_insert(folder / "bare.db", export)
    print(f"bare executemany of the same rows: {floor:.2f} s ({lines / floor:,.0f} rows/s)")
    print(f"ratio first import / bare insert: {first / floor:.2f}x")
    print(f"peak RSS of the import process: {peak_kb / 1024:.0f} MB")
    print()
    print("targets: >= 100,000 punches/s | re-import < 5 s | peak RSS < 300 MB | ratio <= 3x")
    print(
        f"result:  {'OK' if lines / first >= 100_000 else 'MISS'} | {'OK' if again < 5 else 'MISS'} | "
        f"{'OK' if peak_kb / 1024 < 300 else 'MISS'} | {'OK' if first / floor <= 3 else 'MISS'}"
    )
    if not options.keep:
        import shutil

        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
