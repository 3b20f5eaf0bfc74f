"""Benchmark: peak memory of re-judging a big office (issue 12: ≤ 400 MB RSS).

    .venv/bin/python benchmarks/bench_memory.py [--employees 2000] [--days 730]

Builds ``--employees`` staff punching in and out on every day of ``--days`` days
(two years by default), then, each in a fresh process so that building the database
does not count, (1) judges every day from scratch and (2) re-judges the whole span
again, as after a grace setting changed. Prints each step's time and the process's
peak resident set size (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 26, 18, 0, tzinfo=ZONE)
TARGET_MB = 400


def build(path: Path, employees: int, days: int) -> int:
    """The office; returns the number of punches."""
    from drivers.base import Punch
    from monitor.store import Store

    start = NOW.date() - timedelta(days=days)
    with Store(path, zone=ZONE, now=lambda: NOW, create=True) as store:
        store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ"}], actor="bench")
        store.upsert_employees([{"code": f"NV{n:05d}", "full_name": f"Người {n}", "unit_code": "SNV",
                                 "hired_on": start.isoformat()} for n in range(employees)], actor="bench")
        store.upsert_enrollments([{"device_id": "*", "device_user_id": str(n), "employee_code": f"NV{n:05d}"}
                                  for n in range(employees)], actor="bench")

        def punches():
            for offset in range(days):
                day = start + timedelta(days=offset)
                if day.weekday() >= 5:
                    continue
                for n in range(employees):
                    arrival = datetime(day.year, day.month, day.day, 7, 15 + (n * 7 + offset) % 30, n % 60)
                    yield Punch(str(n), arrival)
                    yield Punch(str(n), arrival + timedelta(hours=9, minutes=(n + offset) % 50))

        return store.add_punches("gate", punches(), source="device").new


def judge(path: Path, day_from: str | None) -> None:
    """In a fresh process: one evaluation; prints judged, seconds and peak RSS (MB)."""
    from monitor.config import Config
    from monitor.service.evaluation import Evaluation
    from monitor.store import Store

    with Store(path, zone=ZONE, now=lambda: NOW) as store:
        started = time.perf_counter()
        span = {"day_from": date.fromisoformat(day_from), "day_to": NOW.date()} if day_from else {}
        summary = Evaluation(store, Config(path=None).policy, NOW).run(**span)
        seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(f"{summary.judged} {seconds:.2f} {peak_mb:.1f}")


def measure(path: Path, day_from: str | None) -> tuple[int, float, float]:
    args = [sys.executable, __file__, "--judge", str(path)] + (["--day-from", day_from] if day_from else [])
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    judged, seconds, peak = done.stdout.split()
    return int(judged), float(seconds), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--judge", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--day-from", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.judge:
        judge(args.judge, args.day_from)
        return
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
        path = Path(folder) / "memory.db"
        print(f"building {args.employees:,} staff x {args.days} days ...", flush=True)
        started = time.perf_counter()
        punches = build(path, args.employees, args.days)
        print(f"built {punches:,} punches in {time.perf_counter() - started:.0f} s", flush=True)
        first = measure(path, None)
        again = measure(path, (NOW.date() - timedelta(days=args.days)).isoformat())
    print()
    for label, (judged, seconds, peak) in (("from scratch", first), ("re-judge the whole span", again)):
        print(f"{label:<24} {judged:>10,} employee-days {seconds:8.1f} s   peak RSS {peak:7.1f} MB")
    worst = max(first[2], again[2])
    print(f"target: peak RSS <= {TARGET_MB} MB: {'met' if worst <= TARGET_MB else 'MISSED'} ({worst:.0f} MB)")


if __name__ == "__main__":
    main()
