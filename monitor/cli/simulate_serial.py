"""``monitor simulate fingerprint|rfid|lines|anviz``: the serial readers' simulators on
a pseudo-terminal, driven by commands on standard input."""

from __future__ import annotations

import codecs
import importlib
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from monitor.cli import AppContext, UserError

if TYPE_CHECKING:
    from drivers.simulators.serial_sim import SerialSimulator

# --- simulators ----------------------------------------------------------------------


def _simulator_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options every serial simulator takes: where, seed, faults."""
    options = [
        click.option("--pty", "use_pty", is_flag=True, default=True, help="Serve on a pseudo-terminal (the default and only transport)."),
        click.option("--link", type=click.Path(dir_okay=False), help="Also make this symlink to the pseudo-terminal (a stable name, like /dev/serial/by-id/...)."),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed for generated data and faults: the same seed gives the same run."),
        click.option("--corrupt-every", type=click.IntRange(min=0), default=0, help="Spoil the checksum of every Nth frame sent."),
        click.option("--garbage-every", type=click.IntRange(min=0), default=0, help="Send 1-8 random bytes before every Nth frame."),
        click.option("--truncate-every", type=click.IntRange(min=0), default=0, help="Send only the first half of every Nth frame."),
        click.option("--reopen-every", type=click.IntRange(min=0), default=0, help="Close the port after every Nth frame and reopen it."),
        click.option("--reopen-pause", type=click.FloatRange(min=0), default=0.5, show_default=True, help="Seconds the port stays closed."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _common(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The base simulator arguments out of the shared options."""
    from drivers.simulators.serial_sim import Faults

    kwargs.pop("use_pty")
    faults = Faults(
        corrupt_every=kwargs.pop("corrupt_every"),
        garbage_every=kwargs.pop("garbage_every"),
        truncate_every=kwargs.pop("truncate_every"),
        reopen_every=kwargs.pop("reopen_every"),
        reopen_pause=kwargs.pop("reopen_pause"),
    )
    return {"link": kwargs.pop("link"), "seed": kwargs.pop("seed"), "faults": faults}


def _serve(simulator: SerialSimulator) -> None:
    """Print the port, then run the commands typed on standard input until EOF or quit."""
    path = simulator.start()
    previous = None
    if threading.current_thread() is threading.main_thread():
        # 'kill PID' must still remove the --link symlink: turn SIGTERM into a normal exit
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        click.echo(path)
        real = simulator.pty.path if simulator.pty else path
        click.echo(
            f"Simulated {simulator.kind} on {real}. Type 'help' for commands; 'quit' or end of input stops it.",
            err=True,
        )
        for line in sys.stdin:
            if line.strip().lower() in ("quit", "exit"):
                break
            answer = simulator.execute(line)
            if answer:
                click.echo(answer)
    finally:
        simulator.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _run(target: str, kwargs: dict[str, Any]) -> None:
    """Build the simulator ``module:Class`` from the options and serve it."""
    module_name, _, class_name = target.partition(":")
    try:
        simulator_class = getattr(importlib.import_module(module_name), class_name)
    except ImportError:
        if not sys.platform.startswith("win"):
            raise
        # the simulators stand on pseudo-terminals, which Windows does not have
        raise UserError("the simulators need pseudo-terminals: run them on Linux or macOS (WSL works too)") from None
    common = _common(kwargs)
    app = click.get_current_context().find_object(AppContext)
    if app is not None:
        # simulated clocks keep the site's local time, as real ones are set to
        common["now"] = app.now
    try:
        simulator = simulator_class(**kwargs, **common)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    _serve(simulator)


@click.command("fingerprint")
@click.option("--enrolled", type=click.IntRange(min=0), default=10, show_default=True, help="Templates stored in pages 0..N-1 at start.")
@click.option("--library", type=click.IntRange(min=1, max=1000), default=200, show_default=True, help="Template pages in the module.")
@click.option("--password", type=click.IntRange(min=0, max=0xFFFFFFFF), default=0, show_default=True, help="Module password (VfyPwd).")
@_simulator_options
def simulate_fingerprint(**kwargs: Any) -> None:
    """A fingerprint module (R30x/AS608, EF 01 packets) on a pseudo-terminal.

    Commands: press PAGE | press unknown | release | tap NAME | enrolled | unplug | replug.
    """
    _run("drivers.simulators.fingerprint:FingerprintSimulator", kwargs)


@click.command("rfid")
@click.option("--variant", type=click.Choice(["ascii", "binary"]), default="ascii", show_default=True, help="RDM6300 ASCII frames or the binary 02 len ... 03 frames.")
@click.option("--hold", type=click.IntRange(min=1), default=3, show_default=True, help="Frames per card presentation (one every 65 ms while held).")
@_simulator_options
def simulate_rfid(**kwargs: Any) -> None:
    """A 125 kHz card reader (RDM6300 / EM4100) on a pseudo-terminal.

    Commands: card NUMBER (0003887558, 059,20934 or 0x003B51C6) | unplug | replug.
    """
    _run("drivers.simulators.rfid:CardReaderSimulator", kwargs)


@click.command("lines")
@click.option("--format", "line_format", type=click.Choice(["wiegand-hex", "decimal"]), default="wiegand-hex", show_default=True, help="How 'card' prints a number.")
@click.option("--terminator", help=r"Line end, with backslash escapes (default \r for wiegand-hex, \r\n for decimal).")
@click.option("--encoding", default="ascii", show_default=True, help="Text encoding of the lines.")
@_simulator_options
def simulate_lines(**kwargs: Any) -> None:
    """A reader that prints one line per card or punch, on a pseudo-terminal.

    Commands: line TEXT | card NUMBER | unplug | replug.
    """
    if kwargs["terminator"] is not None:
        kwargs["terminator"] = codecs.decode(kwargs["terminator"], "unicode_escape")
    _run("drivers.simulators.lines:LinePrinterSimulator", kwargs)


@click.command("anviz")
@click.option("--device-id", "device_ids", type=click.IntRange(min=1, max=0xFFFFFFFF), multiple=True, help="A clock on the line (repeat for an RS485 bus; default 1).")
@click.option("--users", type=click.IntRange(min=1), default=20, show_default=True, help="Staff per clock.")
@click.option("--records", type=click.IntRange(min=0), default=0, show_default=True, help="Records per clock at start (all flagged new).")
@click.option("--clock-offset", type=float, default=0.0, show_default=True, help="Seconds each clock is ahead of the host.")
@click.option("--epoch", default="2000-01-02T00:00:00", show_default=True, help="Record time epoch of the simulated clocks.")
@_simulator_options
def simulate_anviz(**kwargs: Any) -> None:
    """Anviz TC_B clocks (A5 frames) on one pseudo-terminal, as on an RS485 bus.

    Commands: punch USERID [DEVICE_ID] | clocks | unplug | replug.
    """
    kwargs["device_ids"] = tuple(kwargs["device_ids"]) or (1,)
    _run("drivers.simulators.anviz:AnvizSimulator", kwargs)


def register(cli: click.Group) -> None:
    simulate = cli.commands["simulate"]
    for command in (simulate_fingerprint, simulate_rfid, simulate_lines, simulate_anviz):
        simulate.add_command(command)
