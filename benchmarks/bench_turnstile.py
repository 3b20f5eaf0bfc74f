"""Benchmark: how long short writers of two processes wait for each other's write lock.

    .venv/bin/python benchmarks/bench_turnstile.py [--writes N] [--hold-ms MS] [--rounds N]

Two processes each run N short write transactions (each holds the lock for ``--hold-ms``
of work, as a clock's contact or a realtime punch does, then commits), a random 0-2 ms
apart, taking the write lock through the writers' turnstile (monitor.store.turnstile)
as every writer of the monitor does. Printed: the mean and 95th percentile of the wait
for the lock, with the turnstile's polling as shipped (short steps for the first few
milliseconds, then a millisecond a step) and with a millisecond a step throughout (the
polling before 2026-12-02), in alternating rounds, since a shared machine's speed drifts.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _writer(path: str, writes: int, hold: float, seed: int, quick_poll: float | None, out: mp.Queue) -> None:
    from monitor.store import turnstile

    if quick_poll is not None:
        turnstile.QUICK_POLL_SECONDS = quick_poll
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    gate, rng, waits = turnstile.WriterTurnstile(path), random.Random(seed), []
    for _ in range(writes):
        time.sleep(rng.uniform(0, 0.002))
        started = time.perf_counter()
        gate.begin(conn, 30.0)
        waits.append(time.perf_counter() - started)
        conn.execute("INSERT INTO contact (at) VALUES (?)", (time.time(),))
        until = time.perf_counter() + hold
        while time.perf_counter() < until:  # the transaction's own work
            pass
        conn.execute("COMMIT")
    gate.close()
    conn.close()
    out.put(waits)


def _round(writes: int, hold: float, quick_poll: float | None) -> list[float]:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.db")
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE contact (at REAL)")
        conn.commit()
        conn.close()
        out: mp.Queue = mp.Queue()
        procs = [mp.Process(target=_writer, args=(path, writes, hold, seed, quick_poll, out)) for seed in (1, 2)]
        for proc in procs:
            proc.start()
        waits = [wait for _ in procs for wait in out.get()]
        for proc in procs:
            proc.join()
        return waits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=1500, help="write transactions per process and round")
    parser.add_argument("--hold-ms", type=float, default=0.4, help="milliseconds each transaction holds the lock")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each polling")
    args = parser.parse_args()
    from monitor.store import turnstile

    print(f"two processes, {args.writes:,} writes each holding the lock {args.hold_ms} ms, 0-2 ms apart")
    for _ in range(args.rounds):
        for label, quick in (("as shipped", None), ("1 ms a step", turnstile.POLL_SECONDS)):
            waits = sorted(_round(args.writes, args.hold_ms / 1000, quick))
            mean = sum(waits) / len(waits) * 1000
            p95 = waits[int(len(waits) * 0.95)] * 1000
            print(f"  {label:12} wait for the lock: mean {mean:5.2f} ms  p95 {p95:5.2f} ms")
    print(f"  load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
