"""Site time: time clocks record local wall time, the host knows aware time.

Every place that turns one into the other goes through these two functions, so that a
naive moment always means "wall time in the site's zone".
"""

from __future__ import annotations

from datetime import datetime, tzinfo


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """``moment`` aware in ``zone``: an aware one converted, a naive one read as wall time there."""
    return moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)


def wall_time(moment: datetime, zone: tzinfo | None = None) -> datetime:
    """The naive local wall time of ``moment``: converted to ``zone`` first when given,
    otherwise an aware moment is taken to be in the site's zone already."""
    if moment.tzinfo is None:
        return moment
    return (moment.astimezone(zone) if zone is not None else moment).replace(tzinfo=None)
