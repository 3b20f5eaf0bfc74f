"""The push clock left running: what ``monitor simulate adms`` starts.

Timing follows the options the server sent at init (``Delay``, ``ErrorDelay``,
``Realtime``, ``TransInterval``, ``SyncTime``), divided by ``pace`` so that a demo
(or a test) can run a day's traffic faster. Waits are on ``stop``, so setting it ends
the loop at once.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import datetime

from drivers.simulators.adms.client import DEFAULT_BATCH, PushClock
from drivers.simulators.adms.device import Dialect, PushDevice, PushFaults

Report = Callable[[str], None]


def run(
    server_url: str,
    sn: str,
    stop: threading.Event,
    *,
    users: int = 20,
    records: int = 0,
    seed: int = 1,
    now: Callable[[], datetime] = datetime.now,
    punch_every: float = 60.0,
    pace: float = 1.0,
    timeout: float = 10.0,
    batch_size: int = DEFAULT_BATCH,
    buffer_size: int = 200_000,
    clock_offset: float = 0.0,
    comkey: str | None = None,
    dialect: Dialect | None = None,
    faults: PushFaults | None = None,
    report: Report | None = None,
    clock: PushClock | None = None,
) -> PushClock:
    """Run a simulated push clock against ``server_url`` until ``stop`` is set; returns
    the clock (its :attr:`~PushClock.stats` and device counters say what happened).

    ``users``, ``records`` (history to upload first) and ``seed`` shape the device; a
    random user punches on average every ``punch_every`` seconds (0: never). ``report``
    gets one line per notable event (for a CLI to echo). Pass ``clock`` to run one
    built by hand (then the device arguments are ignored)."""
    if pace <= 0:
        raise ValueError("pace must be positive")
    if clock is None:
        device = PushDevice(sn, users=users, records=records, seed=seed, now=now, clock_offset=clock_offset,
                            buffer_size=buffer_size, dialect=dialect, faults=faults, comkey=comkey)
        clock = PushClock(server_url, device, timeout=timeout, batch_size=batch_size)
    say = report or (lambda line: None)
    rng = random.Random(seed + 1)  # punch times: independent of the device's own draws
    due = {"sync": 0.0, "heartbeat": 0.0, "upload": 0.0, "punch": _next_punch(rng, punch_every, 0.0)}
    failures = 0
    started = time.monotonic()

    def elapsed_now() -> float:  # simulated seconds: monotonic time sped up by pace
        return (time.monotonic() - started) * pace

    def wait(seconds: float) -> None:
        stop.wait(max(0.0, seconds) / pace)

    while not stop.is_set():
        if not clock.initialized:
            if not clock.init():
                failures += 1
                if failures == 1 or failures % 10 == 0:
                    say(f"server unreachable ({clock.last_error}); retrying every {clock.option('ErrorDelay', 60)} s")
                wait(clock.option("ErrorDelay", 60) if clock.options else 10)
                continue
            failures = 0
            say(f"init: Delay={clock.option('Delay', 30)} s, Realtime={clock.option('Realtime', 1)}, "
                f"TimeZone={clock.options.get('TimeZone', '?')}")
            elapsed = elapsed_now()
            due.update(sync=elapsed, heartbeat=elapsed, upload=elapsed)
        elapsed = elapsed_now()
        if elapsed >= due["punch"]:
            record = clock.punch()
            say(f"punch {record.pin} at {record.timestamp:%Y-%m-%d %H:%M:%S} state {record.state}")
            due["punch"] = _next_punch(rng, punch_every, elapsed)
            if clock.option("Realtime", 1):
                due["upload"] = elapsed
        if elapsed >= due["sync"]:
            clock.sync_time()
            due["sync"] = elapsed + max(60, clock.option("SyncTime", 3600))
        if elapsed >= due["upload"]:
            before = clock.stats.failures
            sent = clock.upload_pending() + clock.upload_operlog()
            if sent:
                say(f"uploaded {sent} record(s)")
            failed = clock.stats.failures > before
            interval = clock.option("ErrorDelay", 60) if failed else 60 * max(1, clock.option("TransInterval", 1))
            due["upload"] = elapsed + interval
        if elapsed >= due["heartbeat"]:
            for result in clock.heartbeat():
                say(f"command {result.id} {result.cmd}: return {result.return_code}")
            failed = clock.last_error is not None
            due["heartbeat"] = elapsed + (clock.option("ErrorDelay", 60) if failed else max(1, clock.option("Delay", 30)))
        wait(min(due.values()) - elapsed_now())
    return clock


def _next_punch(rng: random.Random, mean: float, elapsed: float) -> float:
    return elapsed + rng.expovariate(1 / mean) if mean > 0 else float("inf")
