"""A simulated ZKTeco push clock: a real HTTP client of a push server.

For tests, step by step and without sleeping::

    device = PushDevice("CQZ7230100001", users=5, records=20, seed=3, now=lambda: NOW)
    clock = PushClock(server.url, device, timeout=1.0)
    clock.init(); clock.heartbeat(); clock.punch("1001"); clock.upload_pending()

and left running for people: ``monitor simulate adms --server URL --sn SN`` calls
:func:`run` with a stop event.
"""

from drivers.simulators.adms.client import PushClock, Stats
from drivers.simulators.adms.device import GARBAGE, Dialect, Profile, PushDevice, PushFaults, Record
from drivers.simulators.adms.runner import run

__all__ = ["GARBAGE", "Dialect", "Profile", "PushClock", "PushDevice", "PushFaults", "Record", "Stats", "run"]
