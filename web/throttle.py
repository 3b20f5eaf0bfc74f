"""How long a login must wait after wrong passwords: per username and per address.

Delays grow with each failure past a free allowance and never become a lockout: once
the delay since the last failure has passed, the right password works again (so nobody
can keep the real owner out for good by guessing at their name). An address gets a
larger allowance than a name, since an office often shares one address, but it is not
forgiven by a success: an intruder cannot reset it with an account of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.store import Store

WINDOW = timedelta(hours=1)  # failures older than this are forgotten


@dataclass(frozen=True)
class Allowance:
    free: int  # failures allowed before any delay
    first_delay: timedelta  # after the first failure past the allowance; doubles after each further one
    longest: timedelta

    def delay(self, failures: int) -> timedelta:
        """The wait after ``failures`` recent failures."""
        if failures < self.free:
            return timedelta(0)
        return min(self.longest, self.first_delay * 2 ** min(failures - self.free, 20))


PER_USERNAME = Allowance(free=5, first_delay=timedelta(seconds=15), longest=timedelta(minutes=15))
PER_ADDRESS = Allowance(free=20, first_delay=timedelta(seconds=15), longest=timedelta(minutes=15))


def wait_before_login(store: Store, username: str, address: str, now: datetime) -> timedelta:
    """How much longer a login for ``username`` from ``address`` must wait (0: go ahead)."""
    longest = timedelta(0)
    for column, value, allowance in (("username", username, PER_USERNAME), ("address", address, PER_ADDRESS)):
        failures, last = store.recent_failures(column, value, now - WINDOW)
        if last is None:
            continue
        remaining = datetime.fromisoformat(last) + allowance.delay(failures) - now
        longest = max(longest, remaining)
    return longest
