"""Opening serial ports, with errors IT staff can act on.

Every driver opens its port here, through ``serial.serial_for_url``, so ``COM3``,
``/dev/ttyUSB0``, ``/dev/serial/by-id/...``, ``hwgrep://VID:PID``, ``socket://host:port``,
``rfc2217://host:port``, ``spy://PORT?file=capture.txt`` and ``loop://`` all work from the
config unchanged.
"""

from __future__ import annotations

import errno
import sys

import serial

from drivers.base import DeviceSettings, PortUnavailable


def open_port(settings: DeviceSettings, *, timeout: float | None = None) -> serial.SerialBase:
    """Open the device's port with its baud rate; 8N1, no flow control."""
    local = "://" not in settings.port
    try:
        return serial.serial_for_url(
            settings.port,
            # a second collector (or a vendor tool) on the same local port would steal
            # bytes from the first; refuse it with "busy" instead
            **({"exclusive": True} if local and not sys.platform.startswith("win") else {}),
            baudrate=settings.baudrate,
            bytesize=serial.EIGHTBITS,
            parity=serial.PARITY_NONE,
            stopbits=serial.STOPBITS_ONE,
            timeout=settings.timeout if timeout is None else timeout,
            write_timeout=settings.timeout,
        )
    except (serial.SerialException, OSError, ValueError) as exc:
        raise port_error(settings, exc) from exc


def close_port(port: serial.SerialBase) -> None:
    """Close a port without raising (its adapter may be gone), and the capture file of a
    ``spy://`` port: pyserial 3.5 never closes it, so a collector reopening the port
    every poll would leak one file per poll."""
    try:
        port.close()
    except (serial.SerialException, OSError):
        pass
    output = getattr(getattr(port, "formatter", None), "output", None)
    if output is not None and output not in (sys.stderr, sys.stdout) and hasattr(output, "close"):
        output.close()


def port_error(settings: DeviceSettings, exc: BaseException) -> PortUnavailable:
    """Translate pyserial's and the OS's complaint into a message with the fix."""
    port = settings.port
    text = str(exc)
    code = getattr(exc, "errno", None)
    if code is None and exc.__cause__ is not None:
        code = getattr(exc.__cause__, "errno", None)
    lowered = text.lower()
    if code == errno.EACCES or "permission denied" in lowered or "access is denied" in lowered:
        hint = (
            "add the service user to the 'dialout' group (sudo usermod -aG dialout USER, then log in again)"
            if sys.platform.startswith("linux")
            else "close other programs using the port, or run with rights to open it"
        )
        return PortUnavailable(f"no permission to open {port}", device=settings.id, hint=hint)
    if code == errno.EBUSY or "busy" in lowered or "could not exclusively lock" in lowered:
        return PortUnavailable(
            f"{port} is busy",
            device=settings.id,
            hint="another program (or a second collector) has it open; stop it first",
        )
    if code == errno.ENOENT or "no such file" in lowered or "cannot find the file" in lowered:
        return PortUnavailable(
            f"{port} does not exist",
            device=settings.id,
            hint="check the cable and run 'monitor devices scan' to list the ports present",
        )
    if "no ports found matching" in lowered or "no port found" in lowered:
        return PortUnavailable(
            f"no port matches {port}",
            device=settings.id,
            hint="plug the adapter in, or check the VID:PID with 'monitor devices scan'",
        )
    if "connection refused" in lowered or code == errno.ECONNREFUSED:
        return PortUnavailable(
            f"connection to {port} refused",
            device=settings.id,
            hint="check the address and that the serial server or device is on",
        )
    return PortUnavailable(f"cannot open {port}: {text}", device=settings.id)


