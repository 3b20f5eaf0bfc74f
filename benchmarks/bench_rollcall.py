"""Benchmark: the roll-call at a moment for 10,000 staff in 200 units, and the audit
page over 200,000 audit rows.

    .venv/bin/python benchmarks/bench_rollcall.py [--employees N] [--audit-rows N]

Builds a real database through the store (units, employees, badges, one day's punches
through the hash-chained log, leave for 2% of staff), then times:
1. the roll-call of the whole province at 09:50 (what `monitor report rollcall` and the
   web page compute), and of one department with its offices;
2. the audit page's queries: the first page unfiltered, filtered by a unit and below,
   by an employee, by a day, and the full CSV of one unit.
Prints each figure and the targets (2 cores): province roll-call ≤ 2 s, one unit ≤ 0.3 s,
any audit page ≤ 0.2 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.base import Punch  # noqa: E402
from monitor.engine.policy import OfficePolicy  # noqa: E402
from monitor.reports.audit import audit_csv, audit_rows  # noqa: E402
from monitor.reports.rollcall import rollcall  # noqa: E402
from monitor.store import Store  # noqa: E402

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 11, 25)
UNITS = 200
SEED = 20261125


def build(store: Store, employees: int, audit_rows_wanted: int) -> None:
    rng = random.Random(SEED)
    units = [{"code": "U000", "name": "UBND tỉnh", "parent_code": None}]
    units += [{"code": f"U{n:03d}", "name": f"Sở {n}", "parent_code": "U000"} for n in range(1, 20)]
    units += [{"code": f"U{n:03d}", "name": f"Phòng {n}", "parent_code": f"U{1 + n % 19:03d}"} for n in range(20, UNITS)]
    store.upsert_units(units, actor="bench")
    people = [{"code": f"NV{n:05d}", "full_name": f"Nguyễn Văn {n}", "unit_code": f"U{n % UNITS:03d}"}
              for n in range(employees)]
    store.upsert_employees(people, actor="bench")
    store.upsert_enrollments([{"device_id": "*", "device_user_id": str(n), "employee_code": p["code"]}
                              for n, p in enumerate(people)], actor="bench")
    base = datetime(DAY.year, DAY.month, DAY.day)
    punches = []
    for n in range(employees):
        roll = rng.random()
        if roll < 0.05:
            continue
        punches.append(Punch(user_id=str(n), timestamp=base + timedelta(hours=7, minutes=rng.randint(0, 50))))
        if roll > 0.9:
            out = base + timedelta(hours=9, minutes=rng.randint(0, 60))
            punches += [Punch(user_id=str(n), timestamp=out)]
    store.add_punches("gate", punches, source="file")
    for n in rng.sample(range(employees), employees // 50):
        store.add_leave(f"NV{n:05d}", DAY, DAY, part="full", kind="P", reason="Nghỉ phép năm", actor="bench")
    have = store.scalar("SELECT COUNT(*) FROM audit")
    with store.write():
        for n in range(max(0, audit_rows_wanted - have)):
            code = f"NV{rng.randrange(employees):05d}"
            store.audit("hr", "update", "employee", code, {"title": f"t{n}"}, {"title": f"t{n + 1}"}, "bench")


def timed(label: str, target: float, work) -> None:
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    print(f"{label:<52} {seconds:7.3f} s  (target ≤ {target} s){'' if seconds <= target else '  OVER'}  {result}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--audit-rows", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.db", zone=ZONE, now=lambda: datetime(2026, 11, 26, 9, 0, tzinfo=ZONE),
                      create=True)
        started = time.perf_counter()
        build(store, args.employees, args.audit_rows)
        print(f"built {args.employees:,} staff, {store.punch_count():,} punches, "
              f"{store.scalar('SELECT COUNT(*) FROM audit'):,} audit rows in {time.perf_counter() - started:.1f} s")
        policy = OfficePolicy()
        at = datetime(2026, 11, 25, 9, 50)
        timed("roll-call, the whole province at 09:50", 2.0,
              lambda: rollcall(store, policy, at)["counts"])
        timed("roll-call, one department and its offices", 0.3,
              lambda: rollcall(store, policy, at, unit="U001")["counts"]["total"])
        below = store.unit_and_below("U001")
        timed("audit: first page, no filter", 0.2, lambda: store.audit_entries()[1])
        timed("audit: first page, a department and below", 0.2, lambda: store.audit_entries(unit_codes=below)[1])
        timed("audit: first page, one employee", 0.2, lambda: store.audit_entries(employee="NV00042")[1])
        timed("audit: first page, one day", 0.2,
              lambda: store.audit_entries(day_from=date(2026, 11, 26), day_to=date(2026, 11, 26))[1])
        timed("audit: CSV of a department and below (every row)", 2.0,
              lambda: len(audit_csv(audit_rows(store.audit_entries(unit_codes=below, limit=None)[0]))))
        store.close()


if __name__ == "__main__":
    main()
