"""Benchmark: the web site at province scale, through a real ``monitor serve``.

    .venv/bin/python benchmarks/bench_web.py [--employees N] [--rounds N] [--keep DIR]

Builds 10,000 staff in 200 units with a month of punches (October 2026, judged; the
same province as bench_evaluate.py), starts ``monitor serve`` on 127.0.0.1 with its
clock at 30 October 09:00, logs in over HTTP and measures with bounded request loops:
p50/p95 of each main page as the admin and as the manager of a 500-person department,
one province C01-HD workbook end to end, and the pages again while four province
timesheets are asked for at once. Targets (2 cores): today p95 ≤ 150 ms, a 50-person
unit's day ≤ 100 ms, a 500-person department's month ≤ 300 ms, the province month
≤ 1 s, the province C01-HD ≤ 10 s, pages during 4 timesheets p95 ≤ 2× idle.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_evaluate import ZONE, build  # noqa: E402
from monitor.engine.policy import OfficePolicy  # noqa: E402
from monitor.service.evaluation import Evaluation  # noqa: E402
from monitor.store import Store  # noqa: E402

PASSWORD = "mat-khau-bench-web"
NOW = "2026-10-30T09:00:00"
DAY = "2026-10-30"
MONTH = "2026-10"
DEPARTMENT = "U001"  # itself and the 9 offices below it: 500 people at 10,000 staff
SMALL_UNIT = "U050"  # 50 people, no unit below


class Browser:
    """One logged-in user: a cookie jar and a CSRF token, over plain HTTP."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.get("/login")[1].decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrf_token": token}).encode()
        with self.opener.open(f"{base}/login", form, timeout=120) as response:
            if "/login" in response.geturl():
                raise SystemExit(f"could not log in as {username}")

    def get(self, path: str) -> tuple[int, bytes]:
        status, _headers, body = self.fetch(path)
        return status, body

    def fetch(self, path: str) -> tuple[int, Mapping[str, str], bytes]:
        try:
            with self.opener.open(self.base + path, timeout=300) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, error.read()

    def timed(self, path: str) -> float:
        started = time.perf_counter()
        status, _body = self.get(path)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
        return time.perf_counter() - started

    def workbook(self, path: str) -> tuple[float, int]:
        """Seconds until the export is downloaded, asking again as a browser does: the
        202 "preparing" page reloads itself after its Retry-After (its meta refresh)."""
        started = time.perf_counter()
        for _ in range(1000):
            status, headers, body = self.fetch(path)
            if status == 200:
                return time.perf_counter() - started, len(body)
            if status == 503:
                time.sleep(1)  # the server said "busy, try again": a client backs off
            elif status == 202:
                time.sleep(float(headers.get("Retry-After", "1")))  # the page's own reload delay
            else:
                raise SystemExit(f"{path}: HTTP {status}")
        raise SystemExit(f"{path}: never finished")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def measure(browser: Browser, path: str, rounds: int) -> tuple[float, float]:
    browser.timed(path)  # warm: templates compiled, pages in the cache
    return percentiles([browser.timed(path) for _ in range(rounds)])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(folder: Path, employees: int) -> Path:
    database = folder / "bench.db"
    if database.exists():
        print(f"reusing {database}")
        return database
    store = Store(database, zone=ZONE, now=lambda: datetime(2026, 10, 30, 9, 0, tzinfo=ZONE), create=True)
    try:
        print(f"building {employees:,} employees in 200 units, October 2026 (not part of the figures) ...")
        started = time.perf_counter()
        punches, _ = build(store, employees)
        Evaluation(store, OfficePolicy(), datetime(2026, 10, 30, 9, 0, tzinfo=ZONE)).run()
        for username, role, units in (("admin", "admin", ()), ("hr1", "hr", ()), ("hr2", "hr", ()), ("hr3", "hr", ()),
                                      ("truong", "manager", (DEPARTMENT,))):
            store.add_user(username, PASSWORD, role=role, units=units, actor="bench")
        print(f"built {punches:,} punches and judged them in {time.perf_counter() - started:.0f} s")
    finally:
        store.close()
    return database


def serve(folder: Path, database: Path) -> tuple[subprocess.Popen, str, Path]:
    config = folder / "config.toml"
    config.write_text(f'[site]\nname = "UBND tỉnh (bench)"\n\n[storage]\ndatabase = "{database.name}"\n\n'
                      '[web]\nthreads = 4\n', encoding="utf-8")
    port = free_port()
    log_path = folder / "serve.log"
    env = dict(os.environ, PYTHONPATH=str(ROOT), MONITOR_NOW=NOW)
    env.pop("MONITOR_DATABASE", None)
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config), "serve", "--port", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise SystemExit(f"monitor serve exited:\n{log_path.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit("monitor serve did not listen within 30 s") from None
            time.sleep(0.05)
    return process, f"http://127.0.0.1:{port}", log_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20, help="requests per page (bounded loops)")
    parser.add_argument("--keep", type=Path, help="build the database in this folder and keep it (reused next time)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-web-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = prepare(folder, args.employees)
    process, base, log_path = serve(folder, database)
    try:
        run(base, args.rounds)
    finally:
        process.terminate()
        process.wait(timeout=30)
        if not args.keep:
            for path in sorted(folder.iterdir()):
                path.unlink()
            folder.rmdir()


def run(base: str, rounds: int) -> None:
    admin, manager = Browser(base, "admin"), Browser(base, "truong")
    mine = "U038"  # a 50-person office inside the manager's department
    pages = [  # label, as admin, as the department's manager (None: outside their units)
        ("today", "/", "/"),
        ("province day, page 1 of its people", f"/units/U000?date={DAY}", None),
        ("a 500-person department's day, page 1", f"/units/{DEPARTMENT}?date={DAY}", f"/units/{DEPARTMENT}?date={DAY}"),
        ("a 50-person unit's day", f"/units/{SMALL_UNIT}?date={DAY}", f"/units/{mine}?date={DAY}"),
        ("a 500-person department's month", f"/month?month={MONTH}&unit={DEPARTMENT}", f"/month?month={MONTH}"),
        ("a person's month", f"/employees/NV00050?month={MONTH}", f"/employees/NV00038?month={MONTH}"),
        ("person search", "/search?q=Nguy%E1%BB%85n%20V%C4%83n%2012", "/search?q=Nguy%E1%BB%85n%20V%C4%83n%2012"),
        ("day JSON, 50-person unit", f"/api/day?date={DAY}&unit={SMALL_UNIT}", f"/api/day?date={DAY}&unit={mine}"),
    ]
    figures: dict[str, float] = {}
    print(f"load average (1, 5, 15 min) at the start: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"\n{'page':<44} {'as':<8} {'p50 ms':>8} {'p95 ms':>8}")
    for label, admin_path, manager_path in pages:
        for who, browser, path in (("admin", admin, admin_path), ("manager", manager, manager_path)):
            if path is None:
                continue
            p50, p95 = measure(browser, path, rounds)
            figures[f"{label}/{who}"] = p95
            print(f"{label:<44} {who:<8} {p50 * 1000:8.0f} {p95 * 1000:8.0f}")
    province_rounds = max(3, rounds // 4)
    p50, p95 = measure(admin, f"/month?month={MONTH}", province_rounds)
    figures["province month/admin"] = p95
    print(f"{'the province month':<44} {'admin':<8} {p50 * 1000:8.0f} {p95 * 1000:8.0f}")

    seconds, size = admin.workbook(f"/month/timesheet.xlsx?month={MONTH}")
    print(f"{'the province C01-HD, end to end':<44} {'admin':<8} {seconds:8.1f} s  ({size / 1e6:.1f} MB)")

    # idle figures for the pages watched during the exports
    watched = [("login page", "/login", None), ("today", "/", admin), ("a 50-person unit's day", f"/units/{SMALL_UNIT}?date={DAY}", admin)]
    anonymous = urllib.request.build_opener()

    def once(path: str, browser: Browser | None) -> float:
        if browser is not None:
            return browser.timed(path)
        started = time.perf_counter()
        with anonymous.open(base + path, timeout=300) as response:
            response.read()
        return time.perf_counter() - started

    idle = {label: percentiles([once(path, b) for _ in range(rounds)]) for label, path, b in watched}
    exporters = [Browser(base, name) for name in ("admin", "hr1", "hr2", "hr3")]
    results: list[tuple[float, int]] = []
    threads = [threading.Thread(target=lambda b=b: results.append(b.workbook(f"/month/timesheet.xlsx?month={MONTH}")))
               for b in exporters]
    for thread in threads:
        thread.start()
    busy: dict[str, list[float]] = {label: [] for label, _, _ in watched}
    for _ in range(rounds):  # bounded: at most `rounds` samples of each page while the exports run
        if not any(thread.is_alive() for thread in threads):
            break
        for label, path, b in watched:
            busy[label].append(once(path, b))
    for thread in threads:
        thread.join()
    print(f"\n4 province timesheets at once: each done in {', '.join(f'{s:.1f}' for s, _ in sorted(results))} s")
    print(f"{'page while they are made':<44} {'idle p95':>9} {'busy p50':>9} {'busy p95':>9} {'ratio':>6}  samples")
    ratios = []
    for label, _path, _b in watched:
        idle_p95 = idle[label][1]
        if busy[label]:
            p50, p95 = percentiles(busy[label])
            ratios.append(p95 / idle_p95)
            print(f"{label:<44} {idle_p95 * 1000:8.0f}  {p50 * 1000:8.0f}  {p95 * 1000:8.0f}  {p95 / idle_p95:5.1f}x  {len(busy[label])}")
    targets = [
        ("today p95 <= 150 ms", max(figures["today/admin"], figures["today/manager"]) <= 0.150),
        ("50-person day <= 100 ms", max(figures["a 50-person unit's day/admin"],
                                        figures["a 50-person unit's day/manager"]) <= 0.100),
        ("500-person month <= 300 ms", max(figures["a 500-person department's month/admin"],
                                           figures["a 500-person department's month/manager"]) <= 0.300),
        ("province month <= 1 s", figures["province month/admin"] <= 1.0),
        ("province C01-HD <= 10 s", seconds <= 10),
        ("pages during 4 timesheets p95 <= 2x idle", bool(ratios) and max(ratios) <= 2.0),
    ]
    print(f"\nload average (1, 5, 15 min) at the end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}"
          " (a shared machine inflates every figure)")
    print("targets: " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in targets))


if __name__ == "__main__":
    main()
