"""Download 100,000 attendance records from the simulated ZK clock.

    .venv/bin/python benchmarks/bench_zk.py [--records N]

Same run, same simulated clock (40-byte records, in its own process): our driver over
TCP and over a pseudo-terminal (serial framing), and pyzk 0.9 over TCP. Each client runs
in a fresh process so its CPU time and peak RSS are its own. Prints records/s, our CPU
microseconds per record, peak RSS, the longest pause between two chunks (a stall
detector), and the figures against the targets of issue 4.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WIRE_SECONDS_PER_RECORD = 40 * 10 / 115_200  # 40 bytes, 10 bits a byte at 115,200 baud: ~3.5 ms
CLIENT_TIMEOUT = 300.0


def serve(transport: str, records: int, link: str | None, ready) -> None:
    """The simulated clock, in its own process until terminated."""
    from drivers.simulators.zk import VirtualClock, ZKSimulator

    clock = VirtualClock(users=50, records=records, seed=2024, record_size=40, now=lambda: datetime(2026, 11, 26, 9))
    simulator = ZKSimulator(clock, transport=transport, link=link).start()
    ready.send(simulator.url)
    while True:
        time.sleep(3600)


def ours(url: str, result) -> None:
    from drivers.base import DeviceSettings
    from drivers.zkteco import ZKTimeClock

    gaps = []
    last = [time.perf_counter()]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    settings = DeviceSettings(id="bench", protocol="zkteco", port=url, timeout=10.0)
    wall, cpu = time.perf_counter(), time.process_time()
    with ZKTimeClock(settings) as clock:
        last[0] = time.perf_counter()
        punches = clock.fetch(progress=progress).punches
    result.send((len(punches), time.perf_counter() - wall, time.process_time() - cpu, peak_rss_mib(), max(gaps)))


def pyzk(url: str, result) -> None:
    from zk import ZK

    host, port = url.removeprefix("tcp://").rsplit(":", 1)
    wall, cpu = time.perf_counter(), time.process_time()
    connection = ZK(host, port=int(port), timeout=60, ommit_ping=True).connect()
    records = connection.get_attendance()
    connection.disconnect()
    result.send((len(records), time.perf_counter() - wall, time.process_time() - cpu, peak_rss_mib(), None))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def run(target, url: str) -> tuple | str:
    receive, send = mp.Pipe(duplex=False)
    process = mp.Process(target=target, args=(url, send))
    process.start()
    if not receive.poll(CLIENT_TIMEOUT):
        process.kill()
        process.join()
        return f"STALLED: no result within {CLIENT_TIMEOUT:.0f} s"
    outcome = receive.recv()
    process.join()
    return outcome


def start_clock(transport: str, records: int, link: str | None) -> tuple[mp.Process, str]:
    receive, send = mp.Pipe(duplex=False)
    process = mp.Process(target=serve, args=(transport, records, link, send), daemon=True)
    process.start()
    if not receive.poll(120):
        process.kill()
        raise SystemExit("the simulator did not start")
    return process, receive.recv()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    mp.set_start_method("fork")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for label, transport, client in (("ours  tcp", "tcp", ours), ("ours  pty", "pty", ours), ("pyzk  tcp", "tcp", pyzk)):
            server, url = start_clock(transport, args.records, os.path.join(folder, "ttyZK") if transport == "pty" else None)
            try:
                rows.append((label, run(client, url)))
            finally:
                server.kill()
                server.join()
    print(f"{args.records:,} records of 40 bytes, Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)")
    print(f"{'client':<10} {'records':>8} {'seconds':>8} {'records/s':>10} {'CPU µs/rec':>10} {'peak RSS':>9} {'longest pause':>14}")
    figures = {}
    for label, outcome in rows:
        if isinstance(outcome, str):
            print(f"{label:<10} {outcome}")
            continue
        count, wall, cpu, rss, gap = outcome
        figures[label] = (count, wall, cpu, gap)
        pause = f"{gap:.3f} s" if gap is not None else "-"
        print(f"{label:<10} {count:>8,} {wall:>8.2f} {count / wall:>10,.0f} {cpu / count * 1e6:>10.2f} {rss:>7.1f} MiB {pause:>14}")
    if {"ours  tcp", "pyzk  tcp"} <= figures.keys():
        ours_tcp, theirs = figures["ours  tcp"], figures["pyzk  tcp"]
        ratio = (ours_tcp[0] / ours_tcp[1]) / (theirs[0] / theirs[1])
        print(f"target ≥2x pyzk over TCP: {ratio:.1f}x  {'met' if ratio >= 2 else 'NOT met'}")
    budget = WIRE_SECONDS_PER_RECORD * 0.01 * 1e6
    for label in ("ours  tcp", "ours  pty"):
        if label in figures:
            count, _wall, cpu, gap = figures[label]
            per_record = cpu / count * 1e6
            print(f"target CPU/record < 1% of {WIRE_SECONDS_PER_RECORD * 1e3:.2f} ms = {budget:.1f} µs ({label.split()[1]}):"
                  f" {per_record:.2f} µs  {'met' if per_record < budget else 'NOT met'}")
    stalled = [label for label, outcome in rows if isinstance(outcome, str)]
    print("target never stalls:", "met" if not stalled else f"NOT met ({', '.join(stalled)})")


if __name__ == "__main__":
    main()
