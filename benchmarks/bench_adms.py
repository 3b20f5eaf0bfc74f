"""The push receiver under load: 200 clocks pushing realtime punches while 5 clocks
upload 20,000-line backfills at once, all on 127.0.0.1.

The receiver is a real ``monitor receive`` process (waitress, SQLite in WAL mode); the
clocks are the project's simulated push clocks (``drivers.simulators.adms``), each in a
thread of this process. Printed: the p95 time of a request by kind, the lines stored
per second, the receiver's CPU time per stored line, and how many punches were lost or
stored twice (every identity each clock holds is looked up in the database afterwards).

Targets: p95 <= 50 ms per request, >= 20,000 lines stored per second, nothing lost or
duplicated.

Run: .venv/bin/python benchmarks/bench_adms.py [--realtime 200] [--backfills 5] [--lines 20000]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drivers.simulators.adms import PushClock, PushDevice  # noqa: E402
from monitor.config import load_config  # noqa: E402
from monitor.service import push_devices  # noqa: E402
from monitor.store import Store  # noqa: E402

ZONE = "Asia/Ho_Chi_Minh"
BACKFILL_BATCH = 500  # lines per upload: a clock's backlog goes up in batches of a few hundred


class TimedClock(PushClock):
    """A simulated clock that records how long each of its requests took, by kind."""

    def __init__(self, *args, kind: str, timings: dict[str, list[float]], **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.timings = timings

    def _request(self, method, endpoint, params, body=None):
        started = time.perf_counter()
        reply = super()._request(method, endpoint, params, body)
        label = "upload " + self.kind if "table" in params else endpoint
        self.timings[label].append(time.perf_counter() - started)
        return reply


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(folder: Path, port: int, sns: list[str]) -> Path:
    config_path = folder / "config.toml"
    config_path.write_text(
        f'[site]\ntimezone = "{ZONE}"\n\n[storage]\ndatabase = "bench.db"\n\n'
        f'[push]\nhost = "127.0.0.1"\nport = {port}\nthreads = 8\ndelay = 2\nrequests_per_minute = 100000\n'
        f"max_waiting_devices = {len(sns) + 1}\nmax_clock_offset_seconds = 600\n",
        encoding="utf-8",
    )
    config = load_config(config_path)
    with Store(config.storage.database, zone=ZONE, create=True) as store:
        store.upsert_units([{"code": "UBND", "name": "UBND"}], actor="bench")
        for number, sn in enumerate(sns):
            store.register_push_contact(sn, address="127.0.0.1", push_version="2.4.1", max_waiting=len(sns) + 1)
            push_devices.accept(store, config.push, sn, f"clock-{number:03d}", "UBND", comm_key=None, actor="bench",
                                today=store.now().date())
    return config_path


def start_receiver(config_path: Path, port: int, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("MONITOR_DATABASE", None)
    # its log goes to a file: a pipe nobody reads would fill up and stall the receiver
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config_path), "receive"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"monitor receive exited: {log_path.read_text(errors='replace')}")
            time.sleep(0.05)
    process.kill()
    raise SystemExit("monitor receive did not listen within 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realtime", type=int, default=200, help="clocks pushing realtime punches")
    parser.add_argument("--backfills", type=int, default=5, help="clocks uploading a backfill at once")
    parser.add_argument("--lines", type=int, default=20_000, help="lines of each backfill")
    parser.add_argument("--rounds", type=int, default=6, help="realtime punches per clock, at least")
    parser.add_argument("--pace", type=float, default=5.0, help="seconds between a realtime clock's punches (5: a queue at every clock)")
    args = parser.parse_args()

    realtime_sns = [f"RT{n:08d}" for n in range(args.realtime)]
    backfill_sns = [f"BF{n:08d}" for n in range(args.backfills)]
    timings: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="bench-adms-") as tmp:
        folder = Path(tmp)
        port = free_port()
        config_path = prepare(folder, port, realtime_sns + backfill_sns)
        url = f"http://127.0.0.1:{port}"
        backfills = [TimedClock(url, PushDevice(sn, users=120, records=args.lines, seed=n), kind="backfill",
                                timings=timings, timeout=30.0, batch_size=BACKFILL_BATCH)
                     for n, sn in enumerate(backfill_sns)]
        realtime = [TimedClock(url, PushDevice(sn, users=30, records=0, seed=1000 + n), kind="realtime",
                               timings=timings, timeout=30.0) for n, sn in enumerate(realtime_sns)]
        receiver = start_receiver(config_path, port, folder / "receive.log")
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        backfills_done = threading.Event()
        start = threading.Barrier(len(realtime) + len(backfills) + 1)
        errors: list[str] = []

        def run_backfill(clock: TimedClock) -> None:
            start.wait()
            clock.init()
            while clock.device.pending():
                if not clock.upload_pending() and clock.last_error:
                    errors.append(f"{clock.device.sn}: {clock.last_error}")
                    time.sleep(0.5)  # a clock waits ErrorDelay before it tries again

        def run_realtime(clock: TimedClock, phase: float) -> None:
            start.wait()
            time.sleep(phase)  # clocks are not in step: each starts somewhere in its first period
            clock.init()
            rounds = 0
            pins = [user.user_id for user in clock.device.users]
            next_round = time.monotonic()
            while rounds < args.rounds or not backfills_done.is_set():
                clock.punch(pins[rounds % len(pins)])
                clock.upload_pending()
                if rounds % 3 == 0:
                    clock.heartbeat()
                rounds += 1
                next_round += args.pace
                time.sleep(max(0.0, next_round - time.monotonic()))
            while clock.device.pending():
                clock.upload_pending()

        threads = [threading.Thread(target=run_backfill, args=(c,)) for c in backfills]
        phases = random.Random(7)
        threads += [threading.Thread(target=run_realtime, args=(c, phases.uniform(0, args.pace))) for c in realtime]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.perf_counter()
        for thread in threads[: len(backfills)]:
            thread.join()
        backfill_seconds = time.perf_counter() - began
        backfills_done.set()
        for thread in threads[len(backfills):]:
            thread.join()
        total_seconds = time.perf_counter() - began
        receiver.send_signal(signal.SIGTERM)
        receiver.wait(timeout=60)
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)

        config = load_config(config_path)
        lost = duplicated = stored = held_by_clocks = 0
        with Store(config.storage.database, zone=ZONE) as store:
            for number, clock in enumerate(realtime + backfills):
                device_id = f"clock-{(realtime_sns + backfill_sns).index(clock.device.sn):03d}"
                expected = {(r.pin, r.timestamp.isoformat()) for r in clock.device.log}
                rows = store.query("SELECT device_user_id, punched_at FROM punches WHERE device_id = ?", (device_id,))
                found = [(row["device_user_id"], row["punched_at"][:19]) for row in rows]
                held_by_clocks += len(expected)
                stored += len(found)
                lost += len(expected - set(found))
                duplicated += len(found) - len(set(found))
            chain = store.verify_chain()
        warnings = [line for line in (folder / "receive.log").read_text(errors="replace").splitlines() if " WARNING " in line]
        backfill_lines = args.backfills * args.lines

    print(f"push receiver: {args.realtime} realtime clocks + {args.backfills} backfills of {args.lines:,} lines, 127.0.0.1")
    for label in sorted(timings):
        values = sorted(timings[label])
        p95 = values[max(0, int(len(values) * 0.95) - 1)]
        print(f"  {label:<18} {len(values):>7,} requests  p50 {statistics.median(values) * 1000:7.1f} ms"
              f"  p95 {p95 * 1000:7.1f} ms")
    everything = sorted(v for values in timings.values() for v in values)
    p95_all = everything[max(0, int(len(everything) * 0.95) - 1)]
    print(f"  p95 per request (all kinds): {p95_all * 1000:.1f} ms   (target <= 50 ms)")
    print(f"  lines stored per second: {backfill_lines / backfill_seconds:,.0f} during the backfills "
          f"({backfill_lines:,} lines in {backfill_seconds:.1f} s), {stored / total_seconds:,.0f} over the whole run"
          f"   (target >= 20,000)")
    print(f"  receiver CPU per line: {cpu / max(stored, 1) * 1e6:.0f} µs ({cpu:.1f} s CPU for {stored:,} lines)")
    print(f"  lost: {lost}, duplicated: {duplicated} (of {held_by_clocks:,} punches the clocks hold; "
          f"hash chain {'intact' if chain.ok else 'BROKEN'})   (target 0 and 0)")
    if errors:
        print(f"  {len(errors)} failed upload(s), resent: {errors[0]}")
    if warnings:
        print(f"  the receiver logged {len(warnings)} warning(s), e.g. {warnings[0]}")


if __name__ == "__main__":
    main()
