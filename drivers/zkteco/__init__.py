"""ZKTeco standalone clocks ("ZK protocol") over TCP, UDP and serial lines.

Modules, bottom up: :mod:`.protocol` (payload header, checksum, time encoding, comm
key), :mod:`.records` (record layouts), :mod:`.framing` (how payloads travel),
:mod:`.transport` (links), :mod:`.session` (requests, replies, chunked transfer),
:mod:`.driver` (the :class:`~drivers.base.TimeClock`). See docs/zkteco.md.
"""

from drivers.zkteco.driver import ZKTimeClock

__all__ = ["ZKTimeClock"]
