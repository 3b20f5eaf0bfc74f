"""Is there a fingerprint module on this port? (``monitor devices scan --probe``)"""

from __future__ import annotations

from drivers.base import DeviceInfo, DeviceSettings, DriverError
from drivers.fingerprint.packets import ACK, ECHO_OK, GET_ECHO, OK, VFY_PWD, WRONG_PASSWORD, PacketFramer, command
from drivers.link import SerialLink


def probe_module(port: str, *, timeout: float, baudrate: int, model: str) -> DeviceInfo | None:
    """Ask GetEcho, then VfyPwd(0): any well-formed acknowledgement means a module.

    Never raises: a silent, foreign or unopenable port gives ``None``.
    """
    settings = DeviceSettings(id=f"probe {port}", protocol="fingerprint", port=port, baudrate=baudrate, timeout=timeout)
    try:
        link = SerialLink.open(settings, PacketFramer())
    except DriverError:
        return None
    try:
        for instruction, params in ((GET_ECHO, b""), (VFY_PWD, bytes(4))):
            link.discard_input()
            link.write(command(instruction, params).encode())
            try:
                reply = link.read_frame(timeout)
            except DriverError:
                continue
            if reply is None or reply.kind != ACK:
                continue
            extra = {"address": f"{reply.address:08X}"}
            if instruction == GET_ECHO:
                extra["echo"] = reply.code == ECHO_OK
            else:
                extra["password_set"] = reply.code == WRONG_PASSWORD
                if reply.code not in (OK, WRONG_PASSWORD):
                    continue
            return DeviceInfo(protocol="fingerprint", model=model, extra=extra)
        return None
    except DriverError:
        return None
    finally:
        link.close()
