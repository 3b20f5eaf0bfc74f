"""Benchmark: judging a month for 10,000 staff in 200 units (~900,000 punches).

    .venv/bin/python benchmarks/bench_evaluate.py [--employees N] [--keep DIR]

Builds a real database through the store (hash-chained punch log, enrollments), then
times, in one process:
1. the month's evaluation from scratch,
2. a no-op re-run,
3. a re-run after 1% of the employee-days gained a late-synced punch,
and, as the floor, one SQL statement computing the first and last punch of every
employee-day into a table. Prints employee-days/s, punches/s, peak RSS and the ratio of
the from-scratch run to that floor. Targets (2 cores): month ≤ 10 s, 1% re-run ≤ 1 s,
RSS ≤ 500 MB, ratio ≤ 3×.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.base import Punch  # noqa: E402
from monitor.engine.policy import OfficePolicy  # noqa: E402
from monitor.service.evaluation import Evaluation  # noqa: E402
from monitor.store import Store  # noqa: E402

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MONTH_START = date(2026, 10, 1)
MONTH_END = date(2026, 10, 31)
UNITS = 200
SEED = 20261001


def build_units() -> list[dict]:
    """A province: one committee, 19 departments, 180 offices below them."""
    units = [{"code": "U000", "name": "UBND tỉnh", "parent_code": None}]
    for n in range(1, 20):
        units.append({"code": f"U{n:03d}", "name": f"Sở {n}", "parent_code": "U000"})
    for n in range(20, UNITS):
        units.append({"code": f"U{n:03d}", "name": f"Phòng {n}", "parent_code": f"U{1 + n % 19:03d}"})
    return units


def day_punches(rng: random.Random, day: date) -> list[datetime]:
    """One person's punches on a working day: mostly on time, some late, some absent."""
    roll = rng.random()
    if roll < 0.03:
        return []  # absent
    base = datetime(day.year, day.month, day.day)

    def at(hour: int, minute: int, spread_seconds: int) -> datetime:
        return base + timedelta(hours=hour, minutes=minute, seconds=rng.randint(0, spread_seconds))

    arrival = at(7, 31, 40 * 60) if roll < 0.13 else at(7, 10, 20 * 60)  # 10% late
    departure = at(16, 20, 35 * 60) if roll > 0.95 else at(17, 0, 25 * 60)  # 5% early
    habit = rng.random()
    if habit < 0.03:
        return [arrival, departure]  # did not punch over lunch
    punches = [arrival, at(11, 30, 12 * 60), at(13, 10, 19 * 60), departure]
    if habit > 0.88:
        punches.insert(1, arrival + timedelta(seconds=rng.randint(2, 20)))  # pressed twice
    elif habit > 0.82:
        out = at(9, 0, 90 * 60)
        punches[1:1] = [out, out + timedelta(minutes=rng.randint(10, 70))]  # an errand in office hours
    return punches


def build(store: Store, employees: int) -> tuple[int, list[tuple[str, date]]]:
    rng = random.Random(SEED)
    store.upsert_units(build_units(), actor="bench")
    people = [
        {"code": f"NV{n:05d}", "full_name": f"Nguyễn Văn {n}", "unit_code": f"U{n % UNITS:03d}"} for n in range(employees)
    ]
    store.upsert_employees(people, actor="bench")
    # every badge works on every reader ('*'), as card systems are usually set up
    store.upsert_enrollments(
        [{"device_id": "*", "device_user_id": str(n), "employee_code": p["code"]} for n, p in enumerate(people)],
        actor="bench",
    )
    workdays = [MONTH_START + timedelta(days=n) for n in range((MONTH_END - MONTH_START).days + 1)]
    workdays = [d for d in workdays if d.weekday() < 5]
    count = 0

    def stream():
        nonlocal count
        for day in workdays:
            for n in range(employees):
                for moment in day_punches(rng, day):
                    count += 1
                    yield f"dev-{n % UNITS:03d}", Punch(str(n), moment, verify_mode=1, state=0)

    store.add_device_punches(stream(), source="device")
    return count, [(p["code"], d) for p in people for d in workdays]


def timed(label: str, action):
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    print(f"{label:<44} {seconds:8.2f} s")
    return result, seconds


def _cpu_seconds() -> float:
    """CPU time of this process, every thread (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="build the database in this folder and keep it")
    parser.add_argument("--profile", action="store_true", help="profile the from-scratch run (cProfile, top 25)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-evaluate-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.db"
    path.unlink(missing_ok=True)
    clock = {"now": datetime(2026, 11, 1, 8, 0, tzinfo=ZONE)}
    store = Store(path, zone=ZONE, now=lambda: clock["now"], create=True)
    policy = OfficePolicy()
    print(f"building {args.employees:,} employees in {UNITS} units, {MONTH_START:%B %Y} ...")
    (punch_count, workdays), _ = timed("build (not part of the figures)", lambda: build(store, args.employees))
    # the run judges up to today: October, and Sunday 1 November (not required)
    now = datetime(2026, 11, 1, 8, 0, tzinfo=ZONE)
    employee_days = args.employees * ((now.date() - MONTH_START).days + 1)
    print(f"{punch_count:,} punches, {employee_days:,} employee-days ({len(workdays):,} working)")

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
    evaluation = Evaluation(store, policy, now)
    cpu_before = _cpu_seconds()
    work, planning = timed("1. month from scratch: planning", evaluation.plan)
    summary, executing = timed("   judging and writing", lambda: evaluation.execute(work))
    scratch = planning + executing
    cpu = _cpu_seconds() - cpu_before
    print(f"   {'= from scratch':<41} {scratch:8.2f} s (CPU {cpu:.2f} s, {100 * cpu / scratch:.0f}% of one core)")
    # read and judge run in this thread, the write on the writer thread beside them:
    # the parts add up to more than the whole when they overlap
    print("   of which " + ", ".join(f"{part} {seconds:.2f} s" for part, seconds in summary.seconds.items())
          + " (the write on its own thread, overlapping)")
    if args.profile:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    assert summary.judged == employee_days, summary
    again, noop = timed("2. no-op re-run", lambda: Evaluation(store, policy, now).run())
    assert again.judged == 0, again

    rng = random.Random(SEED + 1)
    sample = rng.sample(workdays, len(workdays) // 100)
    late = [
        (f"dev-{int(code[2:]) % UNITS:03d}", Punch(str(int(code[2:])), datetime(d.year, d.month, d.day, 9, rng.randint(0, 59))))
        for code, d in sample
    ]
    added, _ = timed(f"   ({len(late):,} late-synced punches stored)", lambda: store.add_device_punches(late, source="device"))
    rerun, one_percent = timed("3. re-run after 1% of days gained a punch", lambda: Evaluation(store, policy, now).run())
    assert rerun.judged == added.dirty_days, (rerun, added)

    def floor() -> None:
        with store.write():
            store.db.conn.execute("DROP TABLE IF EXISTS floor_first_last")
            store.db.conn.execute(
                "CREATE TABLE floor_first_last AS SELECT employee_code, substr(punched_at, 1, 10) AS day,"
                " MIN(punched_at) AS first_punch, MAX(punched_at) AS last_punch FROM punches"
                " WHERE employee_code IS NOT NULL AND punched_at >= ? AND punched_at < ?"
                " GROUP BY employee_code, substr(punched_at, 1, 10)",
                (MONTH_START.isoformat(), (MONTH_END + timedelta(days=1)).isoformat()),
            )

    _, floor_seconds = timed("   SQL floor: first/last punch per employee-day", floor)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"employee-days/s (from scratch)   {employee_days / scratch:12,.0f}")
    print(f"punches/s (from scratch)         {punch_count / scratch:12,.0f}")
    print(f"1% re-run                        {one_percent:12.2f} s for {rerun.judged:,} employee-days")
    print(f"peak RSS                         {peak_mb:12.0f} MB")
    print(f"ratio to the SQL floor           {scratch / floor_seconds:12.2f} x  ({floor_seconds:.2f} s)")
    targets = [
        ("month <= 10 s", scratch <= 10),
        ("1% re-run <= 1 s", one_percent <= 1),
        ("peak RSS <= 500 MB", peak_mb <= 500),
        ("ratio <= 3x", scratch / floor_seconds <= 3),
    ]
    print("targets: " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in targets))
    store.close()
    if not args.keep:
        for suffix in ("", "-wal", "-shm", "-writers"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        folder.rmdir()


if __name__ == "__main__":
    main()
