"""A simulated device's own clock: the host clock plus an offset the protocol may set."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta


class SkewedClock:
    """Mixed into a simulated device that has ``_now`` (the injected host clock, naive
    local or aware), ``offset`` and ``lock``."""

    _now: Callable[[], datetime]
    offset: timedelta
    lock: threading.RLock

    def time(self) -> datetime:
        """The clock's own time: naive local, whole seconds."""
        return (_wall(self._now()) + self.offset).replace(microsecond=0)

    def set_time(self, moment: datetime) -> None:
        """Set the clock: from now on it reads ``moment`` plus the host's progress."""
        with self.lock:
            self.offset = _wall(moment) - _wall(self._now())


def _wall(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo else moment
