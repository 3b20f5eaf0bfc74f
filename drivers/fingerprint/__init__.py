"""Optical fingerprint modules R305/R307/R502/R503/AS608/ZFM-20 (the ``EF 01`` packet
protocol), 57,600 baud 8N1 by default: :mod:`.packets` frames bytes, :mod:`.module` is
the driver."""

from drivers.fingerprint.module import FingerprintModule, Identification
from drivers.fingerprint.packets import Packet, PacketFramer

__all__ = ["FingerprintModule", "Identification", "Packet", "PacketFramer"]
