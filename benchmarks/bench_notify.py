"""Benchmark: the morning digests of 200 unit heads, rendered and delivered to a local
SMTP server.

    .venv/bin/python benchmarks/bench_notify.py [--units N] [--staff-per-unit N]

Builds a real database through the store (200 units of 25 people under one People's
Committee, November 2026 judged up to Thursday the 26th at 07:50, one manager with an
e-mail address per unit), starts an SMTP server on 127.0.0.1 (aiosmtpd, installed with
the test extras), then times one run of the notification job at 07:50: every digest
composed with the report functions, rendered in text and HTML, recorded in the log and
handed to the server over one SMTP session. Then a second run, which must find
everything sent and send nothing. Target (2 cores): 200 digests ≤ 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller  # noqa: E402

from drivers.base import Punch  # noqa: E402
from monitor.config import parse_config  # noqa: E402
from monitor.service.evaluation import Evaluation  # noqa: E402
from monitor.service.notify.notifier import Notifier  # noqa: E402
from monitor.store import Store  # noqa: E402

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MOMENT = datetime(2026, 11, 26, 7, 50, tzinfo=ZONE)
SEED = 20261126
TARGET_SECONDS = 30.0


class Sink:
    """Counts the messages the server accepted."""

    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0
        self.done = threading.Event()
        self.expected = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802 - aiosmtpd's hook
        self.count += 1
        self.bytes += len(envelope.original_content)
        if self.count >= self.expected:
            self.done.set()
        await asyncio.sleep(0)
        return "250 OK"


def build(folder: Path, units: int, staff: int) -> Path:
    path = folder / "bench.db"
    store = Store(path, zone=ZONE, now=lambda: MOMENT, create=True)
    rng = random.Random(SEED)
    store.upsert_units([{"code": "UBND", "name": "UBND tỉnh (mẫu)"}]
                       + [{"code": f"D{u:03d}", "name": f"Phòng số {u} – Sở Nội vụ", "parent_code": "UBND"} for u in range(units)],
                       actor="bench")
    people = [{"code": f"NV{u:03d}{n:02d}", "full_name": f"Nguyễn Thị Đơn vị {u} Người {n}", "unit_code": f"D{u:03d}",
               "hired_on": "2020-01-01"} for u in range(units) for n in range(staff)]
    store.upsert_employees(people, actor="bench")
    store.upsert_enrollments([{"device_id": "gate", "device_user_id": p["code"], "employee_code": p["code"]} for p in people],
                             actor="bench")
    punches = []
    day = date(2026, 11, 2)
    while day <= MOMENT.date():
        if day.weekday() < 5 and day != date(2026, 11, 24):
            for person in people:
                if rng.random() < 0.05:
                    continue  # absent
                arrive = datetime(day.year, day.month, day.day, 7, 15) + timedelta(seconds=rng.randint(0, 40 * 60))
                if day == MOMENT.date() and arrive > MOMENT.replace(tzinfo=None):
                    continue  # not in yet
                punches.append(Punch(user_id=person["code"], timestamp=arrive))
                if day < MOMENT.date():
                    punches.append(Punch(user_id=person["code"], timestamp=datetime(day.year, day.month, day.day, 16, 50)
                                         + timedelta(seconds=rng.randint(0, 30 * 60))))
        day += timedelta(days=1)
    store.add_punches("gate", punches, source="file")
    for person in rng.sample(people, len(people) // 50):
        store.add_leave(person["code"], MOMENT.date(), MOMENT.date(), part="full", kind="CT",
                        reason="Công tác theo QĐ 12/QĐ-SNV", actor="bench")
    Evaluation(store, parse_config("", "bench").policy, MOMENT).run()
    store.close()
    # password hashing is slow on purpose (scrypt): spread the heads over the cores
    with ProcessPoolExecutor() as pool:
        list(pool.map(add_head, [(path, u) for u in range(units)]))
    return path


def add_head(item: tuple[Path, int]) -> None:
    path, unit = item
    with Store(path, zone=ZONE, now=lambda: MOMENT) as store:
        store.add_user(f"truong{unit:03d}", "mat-khau-bench", role="manager", units=[f"D{unit:03d}"],
                       full_name=f"Trưởng phòng {unit}", actor="bench")
        store.set_user_contact(f"truong{unit:03d}", email=f"truong{unit:03d}@snv.gov.vn", actor="bench")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--staff-per-unit", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        started = time.perf_counter()
        database = build(folder, args.units, args.staff_per_unit)
        print(f"setup: {args.units} units × {args.staff_per_unit} staff, November judged, "
              f"{args.units} heads ({time.perf_counter() - started:.1f} s, not timed)", flush=True)
        sink = Sink()
        sink.expected = args.units
        port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            config = parse_config(
                f'[storage]\ndatabase = "{database}"\n[notify]\nsite_url = "https://chamcong.example.gov.vn"\n'
                f'[notify.smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
                'sender = "Chấm công <chamcong@snv.gov.vn>"\n',
                "bench.toml", base=folder,
            )
            notifier = Notifier(config, now=lambda: MOMENT)
            begin = time.perf_counter()
            report = notifier.tick()
            sink.done.wait(60)
            elapsed = time.perf_counter() - begin
            begin = time.perf_counter()
            again = notifier.tick()
            second = time.perf_counter() - begin
        finally:
            controller.stop()
    print(f"digests queued {report.digests}, sent {report.sent.sent}, failed {report.sent.failed};"
          f" the server accepted {sink.count} ({sink.bytes / 1e6:.1f} MB)")
    print(f"render + record + deliver: {elapsed:.2f} s  ({elapsed / max(1, report.digests) * 1000:.1f} ms per digest;"
          f" target ≤ {TARGET_SECONDS:.0f} s for 200)  {'OK' if elapsed <= TARGET_SECONDS else 'SLOWER THAN TARGET'}")
    print(f"second run (everything already sent): {second * 1000:.0f} ms, queued {again.digests}, sent {again.sent.sent}")


if __name__ == "__main__":
    main()
