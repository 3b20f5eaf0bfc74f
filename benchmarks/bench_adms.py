"""The push receiver under load: 200 clocks pushing realtime punches while 5 clocks
upload 20,000-line backfills at once, all on 127.0.0.1.

The receiver is a real ``monitor receive`` process (waitress, SQLite in WAL mode) with
its upload worker process (``[push] upload_workers``, default 1); the clocks are the project's simulated push clocks (``drivers.simulators.adms``), spread
over ``--client-processes`` processes (default 4), each clock a thread of its process.
Real clocks are separate machines: 205 clocks as threads of one Python process would
queue for that process's GIL, and the time a reply waits there was counted as the
receiver's (``--client-processes 1`` gives that old arrangement back).

Printed:
- per kind of request, p50 and p95 of the time a clock measured: from opening the
  connection to having read the whole reply (``http.client``, taken in the client
  processes and collected);
- the same figures as the receiver saw them: time in its WSGI handler, from its own
  summary at exit (``monitor receive`` prints it), which leaves out the network, the
  waitress queue and the clients;
- lines stored per second while the backfills ran (from the start until every backfill line
  is in ``punches``: the receiver answers a batch once it holds it, and stores it after;
  when the last backfill was answered, and how much was then held, is printed too), and
  over the whole run;
- the receiver's CPU time per stored line, its upload worker's included, while under load (read from /proc between
  ready and the last clock's end; on systems without /proc only the total is shown),
  the same while the backfills ran (per backfill line; the realtime requests of those
  seconds are in it too), and the total with its start-up and shutdown (wait4);
- how many punches were lost or stored twice: every identity each clock holds is looked
  up in the database afterwards, and the hash chain is verified.

Targets: p95 <= 50 ms per request, >= 20,000 lines stored per second, nothing lost or
duplicated.

Run: .venv/bin/python benchmarks/bench_adms.py [--realtime 200] [--backfills 5] [--lines 20000]
     [--client-processes 4] [--upload-workers 1]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
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
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


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


def prepare(folder: Path, port: int, sns: list[str], upload_workers: int) -> Path:
    config_path = folder / "config.toml"
    config_path.write_text(
        f'[site]\ntimezone = "{ZONE}"\n\n[storage]\ndatabase = "bench.db"\n\n'
        f'[push]\nhost = "127.0.0.1"\nport = {port}\nthreads = 8\nupload_workers = {upload_workers}\ndelay = 2\nrequests_per_minute = 100000\n'
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


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a running process and of its running children (its upload
    worker) from Linux /proc, or ``None`` elsewhere."""
    total = 0.0
    try:
        pids = [pid, *(int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
        for one in pids:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except OSError:
        return None
    return total


def run_clocks(part: int, parts: int, args: argparse.Namespace, url: str, start, backfills_done, done) -> None:
    """One client process: its share of the clocks, each in a thread. Sends back the
    timings, what each clock holds, and the failed uploads."""
    realtime_sns = [f"RT{n:08d}" for n in range(args.realtime)]
    backfill_sns = [f"BF{n:08d}" for n in range(args.backfills)]
    timings: dict[str, list[float]] = defaultdict(list)
    backfills = [TimedClock(url, PushDevice(sn, users=120, records=args.lines, seed=n), kind="backfill",
                            timings=timings, timeout=30.0, batch_size=BACKFILL_BATCH)
                 for n, sn in enumerate(backfill_sns) if n % parts == part]
    realtime = [TimedClock(url, PushDevice(sn, users=30, records=0, seed=1000 + n), kind="realtime",
                           timings=timings, timeout=30.0) for n, sn in enumerate(realtime_sns) if n % parts == part]
    errors: list[str] = []
    go = threading.Barrier(len(backfills) + len(realtime) + 1)  # this process's clocks start together
    phases = random.Random(7)
    all_phases = [phases.uniform(0, args.pace) for _ in realtime_sns]  # the same phases whatever the split

    def run_backfill(clock: TimedClock) -> None:
        go.wait()
        clock.init()
        while clock.device.pending():
            if not clock.upload_pending() and clock.last_error:
                errors.append(f"{clock.device.sn}: {clock.last_error}")
                time.sleep(0.5)  # a clock waits ErrorDelay before it tries again
        done.put(("backfill", clock.device.sn))

    def run_realtime(clock: TimedClock, phase: float) -> None:
        go.wait()
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
    threads += [threading.Thread(target=run_realtime, args=(c, all_phases[realtime_sns.index(c.device.sn)]))
                for c in realtime]
    for thread in threads:
        thread.start()
    start.wait()  # every client process is ready, and so is the receiver
    go.wait()
    for thread in threads:
        thread.join()
    holds = {clock.device.sn: [(r.pin, r.timestamp.isoformat()) for r in clock.device.log] for clock in backfills + realtime}
    done.put(("result", dict(timings), holds, errors))


def wait_until_stored(config_path: Path, timeout: float = 300.0) -> tuple[int, int]:
    """Wait until the receiver holds no upload of an accepted clock (every line answered
    is in ``punches``); returns what it held when called (uploads, characters)."""
    config = load_config(config_path)
    with Store(config.storage.database, zone=ZONE) as store:
        first = held = store.spooled_uploads()
        deadline = time.monotonic() + timeout
        while held[0]:
            if time.monotonic() > deadline:
                raise SystemExit(f"the receiver still holds {held[0]} upload(s) after {timeout:.0f} s")
            time.sleep(0.01)
            held = store.spooled_uploads()
    return first


def receiver_summary(log_text: str) -> list[str]:
    """The lines of the receiver's own timing summary (printed by ``monitor receive`` at exit)."""
    lines = log_text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("push receiver, time in the handler"):
            return [entry for entry in lines[index + 1:] if entry.startswith("  ")]
    return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realtime", type=int, default=200, help="clocks pushing realtime punches")
    parser.add_argument("--backfills", type=int, default=5, help="clocks uploading a backfill at once")
    parser.add_argument("--lines", type=int, default=20_000, help="lines of each backfill")
    parser.add_argument("--rounds", type=int, default=6, help="realtime punches per clock, at least")
    parser.add_argument("--pace", type=float, default=5.0, help="seconds between a realtime clock's punches (5: a queue at every clock)")
    parser.add_argument("--upload-workers", type=int, default=1,
                        help="the receiver's upload worker processes (0: its threads store the uploads, as before 2026-12)")
    parser.add_argument("--client-processes", type=int, default=4,
                        help="processes the clocks are spread over (1: all clocks are threads of one process)")
    args = parser.parse_args()
    parts = max(1, min(args.client_processes, args.realtime + args.backfills))

    realtime_sns = [f"RT{n:08d}" for n in range(args.realtime)]
    backfill_sns = [f"BF{n:08d}" for n in range(args.backfills)]
    context = mp.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="bench-adms-") as tmp:
        folder = Path(tmp)
        port = free_port()
        config_path = prepare(folder, port, realtime_sns + backfill_sns, args.upload_workers)
        url = f"http://127.0.0.1:{port}"
        start = context.Barrier(parts + 1)
        backfills_done = context.Event()
        done = context.Queue()
        clients = [context.Process(target=run_clocks, args=(part, parts, args, url, start, backfills_done, done))
                   for part in range(parts)]
        for client in clients:
            client.start()
        receiver = start_receiver(config_path, port, folder / "receive.log")
        cpu_ready = cpu_seconds(receiver.pid)
        start.wait()
        began = time.perf_counter()
        timings: dict[str, list[float]] = defaultdict(list)
        holds: dict[str, list[tuple[str, str]]] = {}
        errors: list[str] = []
        backfill_seconds = cpu_backfills = acknowledged_seconds = None
        held_at_acknowledgement = (0, 0)
        finished_backfills = results = 0
        if not args.backfills:
            backfills_done.set()
        while results < parts:
            message = done.get()
            if message[0] == "backfill":
                finished_backfills += 1
                if finished_backfills == args.backfills:
                    # every backfill is answered; what the receiver holds still has to be stored
                    acknowledged_seconds = time.perf_counter() - began
                    held_at_acknowledgement = wait_until_stored(config_path)
                    backfill_seconds = time.perf_counter() - began
                    cpu_backfills = cpu_seconds(receiver.pid)
                    backfills_done.set()
            else:
                for label, values in message[1].items():
                    timings[label] += values
                holds.update(message[2])
                errors += message[3]
                results += 1
        if backfill_seconds is None:  # no backfill clocks
            backfill_seconds = time.perf_counter() - began
            backfills_done.set()
        total_seconds = time.perf_counter() - began
        cpu_loaded = cpu_seconds(receiver.pid)
        for client in clients:
            client.join()
        receiver.send_signal(signal.SIGTERM)
        # the receiver's own resource usage (the client processes are children too)
        _pid, status, usage = os.wait4(receiver.pid, 0)
        receiver.returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime

        config = load_config(config_path)
        lost = duplicated = stored = held_by_clocks = 0
        all_sns = realtime_sns + backfill_sns
        with Store(config.storage.database, zone=ZONE) as store:
            for sn, held in holds.items():
                device_id = f"clock-{all_sns.index(sn):03d}"
                expected = set(held)
                rows = store.query("SELECT device_user_id, punched_at FROM punches WHERE device_id = ?", (device_id,))
                found = [(row["device_user_id"], row["punched_at"][:19]) for row in rows]
                held_by_clocks += len(expected)
                stored += len(found)
                lost += len(expected - set(found))
                duplicated += len(found) - len(set(found))
            chain = store.verify_chain()
        log_text = (folder / "receive.log").read_text(errors="replace")
        warnings = [line for line in log_text.splitlines() if " WARNING " in line]
        server_side = receiver_summary(log_text)
        backfill_lines = args.backfills * args.lines

    print(f"push receiver: {args.realtime} realtime clocks + {args.backfills} backfills of {args.lines:,} lines, 127.0.0.1,"
          f" clocks in {parts} client process(es), {args.upload_workers} upload worker(s)")
    print("  as the clocks measured it (connect to reply read):")
    for label in sorted(timings):
        values = sorted(timings[label])
        p95 = values[max(0, int(len(values) * 0.95) - 1)]
        print(f"  {label:<18} {len(values):>7,} requests  p50 {statistics.median(values) * 1000:7.1f} ms"
              f"  p95 {p95 * 1000:7.1f} ms")
    everything = sorted(v for values in timings.values() for v in values)
    p95_all = everything[max(0, int(len(everything) * 0.95) - 1)]
    print(f"  p95 per request (all kinds): {p95_all * 1000:.1f} ms   (target <= 50 ms)")
    if server_side:
        print("  as the receiver measured it (time in its handler):")
        for line in server_side:
            print(line)
    print(f"  lines stored per second: {backfill_lines / backfill_seconds:,.0f} during the backfills "
          f"({backfill_lines:,} lines in {backfill_seconds:.1f} s), {stored / total_seconds:,.0f} over the whole run"
          f"   (target >= 20,000)")
    if acknowledged_seconds is not None:
        print(f"  the last backfill was answered after {acknowledged_seconds:.1f} s, holding {held_at_acknowledgement[0]}"
              f" upload(s) ({held_at_acknowledgement[1] / 1e6:.1f} MB) not yet stored; all stored after {backfill_seconds:.1f} s")
    if cpu_ready is not None and cpu_loaded is not None:
        loaded = cpu_loaded - cpu_ready
        print(f"  receiver CPU per line under load: {loaded / max(stored, 1) * 1e6:.0f} µs ({loaded:.1f} s CPU for {stored:,} lines);"
              f" with start-up and shutdown: {cpu / max(stored, 1) * 1e6:.0f} µs ({cpu:.1f} s)")
        if cpu_backfills is not None and backfill_lines:
            # the realtime requests of that window are in it too: the batch path costs less
            during = cpu_backfills - cpu_ready
            print(f"  receiver CPU while the backfills ran: {during / backfill_lines * 1e6:.0f} µs per backfill line"
                  f" ({during:.1f} s, the realtime clocks' requests of those seconds included)")
    else:
        print(f"  receiver CPU per line, start-up and shutdown included: {cpu / max(stored, 1) * 1e6:.0f} µs"
              f" ({cpu:.1f} s CPU for {stored:,} lines)")
    print(f"  lost: {lost}, duplicated: {duplicated} (of {held_by_clocks:,} punches the clocks hold; "
          f"hash chain {'intact' if chain.ok else 'BROKEN'})   (target 0 and 0)")
    if errors:
        print(f"  {len(errors)} failed upload(s), resent: {errors[0]}")
    if warnings:
        print(f"  the receiver logged {len(warnings)} warning(s), e.g. {warnings[0]}")
    print(f"  load average at the end: {', '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
