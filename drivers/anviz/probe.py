"""Is there an Anviz clock on this port? (``monitor devices scan --probe``)"""

from __future__ import annotations

from drivers.anviz.frames import GET_TIME, REPLY, AnvizFramer, decode_time, request
from drivers.base import DeviceInfo, DeviceSettings, DriverError
from drivers.link import SerialLink


def probe_clock(port: str, *, timeout: float, baudrate: int, model: str) -> DeviceInfo | None:
    """Ask every clock (device id 0) for its time; the first valid reply names one.

    Never raises: a silent, foreign or unopenable port gives ``None``.
    """
    settings = DeviceSettings(id=f"probe {port}", protocol="anviz", port=port, baudrate=baudrate, timeout=timeout)
    try:
        link = SerialLink.open(settings, AnvizFramer())
    except DriverError:
        return None
    try:
        link.discard_input()
        link.write(request(0, GET_TIME))
        for _ in range(8):  # skip our own echo or unrelated frames
            try:
                frame = link.read_frame(timeout)
            except DriverError:
                continue
            if frame is None:
                return None
            if frame.command == GET_TIME | REPLY and not frame.ret:
                try:
                    clock = decode_time(frame.data).isoformat(sep=" ")
                except DriverError:
                    clock = None
                return DeviceInfo(protocol="anviz", model=model, extra={"device_id": frame.device_id, "clock": clock})
        return None
    except DriverError:
        return None
    finally:
        link.close()
