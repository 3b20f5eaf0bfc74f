"""Benchmark: the manager's inbox and a bulk approval, 10,000 staff, 5,000 pending requests.

    .venv/bin/python benchmarks/bench_requests.py [--employees N] [--pending N] [--keep DIR]

Builds a real database through the store: 200 units with a manager each, 10,000 staff
with two weeks of punches (about 200,000, hash-chained), judged; then 5,000 pending
requests (corrections of a forgotten departure and explanations of late arrivals),
routed as the desk routes them. Times:
1. the inbox of every manager, through the site (Flask's test client, logged in, the
   page rendered with its navigation count), and the desk's ``pending_for_approver``
   alone: p50 / p95;
2. approving 500 of them in bulk, one transaction each, including judging their days
   again (one evaluation run).
Targets (2 cores): inbox p95 ≤ 100 ms, bulk approval of 500 ≤ 2 s.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.base import Punch  # noqa: E402
from monitor.config import load_config  # noqa: E402
from monitor.engine.requests import approving_unit  # noqa: E402
from monitor.service.evaluation import Evaluation  # noqa: E402
from monitor.service.requests import Actor, RequestDesk, pending_for_approver  # noqa: E402
from monitor.store import Store  # noqa: E402

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST = date(2026, 10, 1)
LAST = date(2026, 10, 15)
NOW = datetime(2026, 10, 16, 9, 0, tzinfo=ZONE)
UNITS = 200
PASSWORD = "mat-khau-bench-1"
SEED = 20261016


def build(path: Path, employees: int, pending: int) -> None:
    rng = random.Random(SEED)
    store = Store(path, zone=ZONE, now=lambda: NOW, create=True)
    units = [{"code": "U000", "name": "UBND tỉnh", "parent_code": None}]
    units += [{"code": f"U{n:03d}", "name": f"Sở {n}", "parent_code": "U000"} for n in range(1, 20)]
    units += [{"code": f"U{n:03d}", "name": f"Phòng {n}", "parent_code": f"U{1 + n % 19:03d}"} for n in range(20, UNITS)]
    store.upsert_units(units, actor="bench")
    people = [{"code": f"NV{n:05d}", "full_name": f"Nguyễn Văn {n}", "unit_code": f"U{n % UNITS:03d}"}
              for n in range(employees)]
    store.upsert_employees(people, actor="bench")
    store.upsert_enrollments([{"device_id": "gate", "device_user_id": str(n), "employee_code": f"NV{n:05d}"}
                              for n in range(employees)], actor="bench")
    days = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
    days = [d for d in days if d.weekday() < 5]
    forgot: list[tuple[str, date]] = []
    late: list[tuple[str, date]] = []
    punches: list[Punch] = []
    for n in range(employees):
        for day in days:
            base = datetime(day.year, day.month, day.day)
            roll = rng.random()
            arrival = base + timedelta(hours=7, minutes=40 if roll < 0.1 else 15, seconds=rng.randint(0, 600))
            punches.append(Punch(user_id=str(n), timestamp=arrival))
            if roll > 0.97:
                forgot.append((f"NV{n:05d}", day))
                continue  # forgot to punch out
            if roll < 0.1:
                late.append((f"NV{n:05d}", day))
            punches.append(Punch(user_id=str(n), timestamp=base + timedelta(hours=17, seconds=rng.randint(0, 900))))
    store.add_punches("gate", punches, source="file")
    Evaluation(store, load_config(None, required=False).policy, NOW).run()
    # a manager per unit; hashing is slow on purpose, so the same hash serves them all
    for code in [u["code"] for u in units]:
        store.add_user(f"tp-{code}", PASSWORD, role="manager", units=[code], actor="bench")
    parents = {u["code"]: u["parent_code"] for u in units}
    managers = store.managers_by_unit()
    unit_of = {p["code"]: p["unit_code"] for p in people}
    chosen = rng.sample(forgot, min(len(forgot), pending // 2))
    chosen_late = rng.sample(late, pending - len(chosen))
    with store.write():
        for code, day in chosen:
            store.add_request({"employee_code": code, "kind": "correction", "day_from": day.isoformat(),
                               "day_to": day.isoformat(), "claimed_out": "17:05:00", "reason": "Quên chấm công ra",
                               "status": "pending", "filed_by": code, "on_behalf": 0,
                               "approver_unit": approving_unit(unit_of[code], parents, managers, ())}, actor=code)
        for code, day in chosen_late:
            store.add_request({"employee_code": code, "kind": "explanation", "day_from": day.isoformat(),
                               "day_to": day.isoformat(), "violation": "late", "category": "hop",
                               "reason": "Họp giao ban", "status": "pending", "filed_by": code, "on_behalf": 0,
                               "approver_unit": approving_unit(unit_of[code], parents, managers, ())}, actor=code)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--pending", type=int, default=5_000)
    parser.add_argument("--keep", type=Path, help="Build the database in this folder and keep it.")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-requests-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "bench.db"
    if database.exists():
        database.unlink()
    started = time.perf_counter()
    build(database, args.employees, args.pending)
    print(f"built {args.employees:,} staff, {args.pending:,} pending requests in {time.perf_counter() - started:.1f} s")

    config_path = folder / "config.toml"
    config_path.write_text(f'[storage]\ndatabase = "{database.name}"\n', encoding="utf-8")
    config = load_config(config_path)
    from web import create_app

    app = create_app(config, now=lambda: NOW, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    managers = [f"tp-U{n:03d}" for n in range(UNITS)]
    page_times: list[float] = []
    desk_times: list[float] = []
    shown = 0
    with Store(database, zone=ZONE, now=lambda: NOW) as store:
        for username in managers:
            client = app.test_client()
            client.post("/login", data={"username": username, "password": PASSWORD})
            for _ in range(3):
                begin = time.perf_counter()
                response = client.get("/requests/inbox")
                page_times.append(time.perf_counter() - begin)
                assert response.status_code == 200, response.status_code
            shown += len(re.findall(r'name="ids"', response.get_data(as_text=True)))
            begin = time.perf_counter()
            pending_for_approver(store, username)
            desk_times.append(time.perf_counter() - begin)
    print(f"inbox page ({len(page_times)} loads by {len(managers)} managers, {shown:,} rows shown):"
          f" p50 {percentile(page_times, 0.5) * 1000:.1f} ms, p95 {percentile(page_times, 0.95) * 1000:.1f} ms"
          f" (target p95 <= 100 ms)")
    print(f"pending_for_approver alone: p50 {percentile(desk_times, 0.5) * 1000:.1f} ms,"
          f" p95 {percentile(desk_times, 0.95) * 1000:.1f} ms")

    with Store(database, zone=ZONE, now=lambda: NOW) as store:
        ids = [row[0] for row in store.db.conn.execute(
            # a spread of both kinds: a fixed scramble of the ids, not the first 500 filed
            "SELECT id FROM requests WHERE status = 'pending' ORDER BY (id * 7919) % 5003, id LIMIT 500")]
        desk = RequestDesk(store, config.policy, config.requests, NOW)
        begin = time.perf_counter()
        decided, refusals, judged = desk.decide_many(Actor("nhansu", "hr"), ids, approve=True, comment="Đồng ý")
        elapsed = time.perf_counter() - begin
        assert not refusals, refusals[:3]
        corrected = store.scalar("SELECT COUNT(*) FROM day_results WHERE corrected = 1")
        kinds = {row["kind"]: 0 for row in decided}
        for row in decided:
            kinds[row["kind"]] += 1
    print(f"bulk approval of {len(decided)} requests ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})"
          f" incl. re-judging {judged.judged if judged else 0} days ({corrected} corrected): {elapsed:.2f} s (target <= 2 s)")
    print(f"statistics: page mean {statistics.mean(page_times) * 1000:.1f} ms"
          + (f"; database kept at {database}" if args.keep else ""))
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
