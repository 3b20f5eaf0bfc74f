"""Anviz time clocks, TC_B protocol (``A5`` frames with CRC-16/MCRF4XX) over RS232 or
RS485, 9600 baud by default: :mod:`.frames` encodes and frames bytes, :mod:`.bus` lets
several clocks share one port, :mod:`.clock` is the driver."""

from drivers.anviz.clock import DEFAULT_EPOCH, AnvizClock
from drivers.anviz.frames import AnvizFrame, AnvizFramer

__all__ = ["AnvizClock", "AnvizFrame", "AnvizFramer", "DEFAULT_EPOCH"]
