"""``monitor simulate fingerprint|rfid|lines|anviz`` and ``monitor devices
enroll|unenroll|collect``.

The commands join the ``simulate`` and ``devices`` groups that the device commands
module registers; :func:`register` makes bare groups when it runs alone.
"""

from __future__ import annotations

import codecs
import importlib
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from drivers.base import driver_class, open_driver
from drivers.cards import format_card, parse_card
from monitor.cli import AppContext, UserError, pass_app
from monitor.config import DeviceConfig

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


# --- enrollment ----------------------------------------------------------------------

ENROLLABLE = ("fingerprint", "rfid", "lines")


def _enrollable(app: AppContext, device_id: str) -> DeviceConfig:
    device = app.config.device(device_id)
    if device.protocol not in ENROLLABLE:
        raise UserError(
            f"{device.id} is a {device.protocol} device: enroll works with fingerprint modules and card readers "
            "(clocks keep their own user lists)"
        )
    return device


@click.command("enroll")
@click.argument("device_id")
@click.option("--employee", "employee_code", required=True, help="Employee code to enroll.")
@click.option("--page", type=click.IntRange(min=0), help="Fingerprint: template page to use (default: the first free one).")
@click.option("--card", help="Card readers: the number printed on the card, instead of presenting it.")
@click.option("--timeout", type=click.FloatRange(min=1), default=30.0, show_default=True, help="Seconds to wait for a finger or card.")
@pass_app
def enroll(app: AppContext, device_id: str, employee_code: str, page: int | None, card: str | None, timeout: float) -> None:
    """Enroll an employee on a fingerprint module (two scans) or a card reader."""
    device = _enrollable(app, device_id)
    store = app.store()
    try:
        employee = store.employee(employee_code)
        if device.protocol == "fingerprint":
            user_id, kind = str(_enroll_finger(app, device, page, timeout)), "page"
        else:
            user_id, kind = _enroll_card(app, device, card, timeout), "card"
        store.upsert_enrollments(
            [{"device_id": device.id, "device_user_id": user_id, "employee_code": employee_code, "kind": kind}],
            actor=app.actor,
            reason=f"enrolled on {device.id}",
        )
    finally:
        store.close()
    what = f"page {user_id}" if kind == "page" else f"card {user_id}"
    click.echo(f"Enrolled {employee_code} ({employee['full_name']}) on {device.id}: {what}.")


def _enroll_finger(app: AppContext, device: DeviceConfig, page: int | None, timeout: float) -> int:
    driver = open_driver(device.settings, now=app.now)
    with driver:
        return driver.enroll(click.echo, page=page, timeout=timeout)  # type: ignore[attr-defined]


def _enroll_card(app: AppContext, device: DeviceConfig, card: str | None, timeout: float) -> str:
    if card is not None:
        return _card_number(device, card)
    driver = open_driver(device.settings, now=app.now)
    stop = threading.Event()
    timer = threading.Timer(timeout, stop.set)
    with driver:
        click.echo(f"Present the card to {device.id} (waiting {timeout:g} s).")
        timer.start()
        try:
            for punch in driver.listen(stop):
                return punch.user_id
        finally:
            timer.cancel()
    raise UserError(f"no card was read on {device.id} within {timeout:g} s (check the reader, or give --card NUMBER)")


@click.command("unenroll")
@click.argument("device_id")
@click.option("--employee", "employee_code", required=True, help="Employee code to unenroll.")
@click.option("--page", type=click.IntRange(min=0), help="Fingerprint page, when the employee has several on the device.")
@click.option("--card", help="Card number, when the employee has several on the device.")
@pass_app
def unenroll(app: AppContext, device_id: str, employee_code: str, page: int | None, card: str | None) -> None:
    """Remove an employee's enrollment (and the fingerprint template on the module)."""
    device = _enrollable(app, device_id)
    store = app.store()
    try:
        store.employee(employee_code)
        held = [e for e in store.enrollments(employee_code) if e["device_id"] == device.id]
        if page is not None:
            held = [e for e in held if e["device_user_id"] == str(page)]
        if card is not None:
            held = [e for e in held if e["device_user_id"] == _card_number(device, card)]
        if not held:
            raise UserError(f"{employee_code} has no such enrollment on {device.id} (see 'monitor devices users {device.id}')")
        if len(held) > 1:
            ids = ", ".join(e["device_user_id"] for e in held)
            raise UserError(f"{employee_code} has {len(held)} enrollments on {device.id} ({ids}): choose one with --page or --card")
        enrollment = held[0]
        if enrollment["kind"] == "page" and device.protocol == "fingerprint":
            with open_driver(device.settings, now=app.now) as driver:
                driver.delete(int(enrollment["device_user_id"]))  # type: ignore[attr-defined]
            reason = f"template deleted from {device.id}"
        else:
            reason = f"unenrolled from {device.id}"
        store.remove_enrollment(device.id, enrollment["device_user_id"], actor=app.actor, reason=reason)
    finally:
        store.close()
    click.echo(f"Unenrolled {employee_code} from {device.id} ({enrollment['kind']} {enrollment['device_user_id']}).")


def _card_number(device: DeviceConfig, card: str) -> str:
    """A number typed from a card, in the form the device's punches will carry."""
    options = device.settings.options
    if options.get("line_format") == "pattern":
        return card.strip()  # badges read by a pattern are stored as printed
    try:
        return format_card(parse_card(card), options.get("card_format", "decimal"))
    except ValueError as exc:
        raise UserError(str(exc)) from None


# --- live collection ---------------------------------------------------------------


def _heard_only_live(device: DeviceConfig) -> bool:
    """A reader with no clock and no log: its punches exist only as they happen."""
    capabilities = driver_class(device.protocol).capabilities
    return "live" in capabilities and not {"clock", "fetch"} & capabilities


@click.command("collect")
@click.argument("device_ids", nargs=-1, metavar="[DEVICE_ID]...")
@click.option("--count", type=click.IntRange(min=1), help="Stop after this many new punches were stored.")
@click.option("--seconds", type=click.FloatRange(min=0.1), help="Stop after this many seconds.")
@pass_app
def collect(app: AppContext, device_ids: tuple[str, ...], count: int | None, seconds: float | None) -> None:
    """Store the punches of readers without a clock as they happen (Ctrl-C stops).

    Fingerprint modules, card readers and line readers keep no log, so a punch is stored
    only while something listens. Default: every enabled such device in the config.
    Unplugged readers are retried with back-off; their status shows on the devices page.
    """
    from monitor.live import Heard, LiveCollector

    if device_ids:
        chosen = [app.config.device(device_id) for device_id in device_ids]
    else:
        chosen = [d for d in app.config.devices if d.enabled and _heard_only_live(d)]
    for device in chosen:
        if not _heard_only_live(device):
            raise UserError(f"{device.id} keeps its own records: store them with 'monitor devices pull {device.id}'")
    if not chosen:
        raise UserError("no fingerprint, rfid or lines device is configured (see docs/serial-readers.md)")
    done = threading.Event()
    stored = 0

    def heard(item: Heard) -> None:
        nonlocal stored
        who = "" if item.enrolled is None else ("" if item.enrolled else "  (nobody enrolled for it)")
        click.echo(f"{item.punch.timestamp:%Y-%m-%d %H:%M:%S}  {item.device_id}  {item.punch.user_id}"
                   f"  {'stored' if item.new else 'already stored'}{who}")
        stored += item.new
        if count and stored >= count:
            done.set()

    def status(change: Any) -> None:
        detail = f" on {change.port}" if change.port else f": {change.reason}" if change.reason else ""
        click.echo(f"{change.at:%H:%M:%S}  {change.device_id} {change.status}{detail}", err=True)

    store = app.store()
    collector = LiveCollector(store, now=app.now, on_punch=heard, on_status=status)
    try:
        for device in chosen:
            collector.add(device)
        done.wait(seconds)
    finally:
        collector.stop()
        store.close()
    click.echo(f"{stored} new punch(es) stored from {len(chosen)} device(s).")


# --- registration --------------------------------------------------------------------


def _group(cli: click.Group, name: str, help_text: str) -> click.Group:
    group = cli.commands.get(name)
    if not isinstance(group, click.Group):
        group = click.Group(name, help=help_text)
        cli.add_command(group)
    return group


def register(cli: click.Group) -> None:
    simulate = _group(cli, "simulate", "Run simulated time clocks and readers for rehearsals and tests.")
    for command in (simulate_fingerprint, simulate_rfid, simulate_lines, simulate_anviz):
        simulate.add_command(command)
    devices = _group(cli, "devices", "Work with the configured time clocks and readers.")
    devices.add_command(enroll)
    devices.add_command(unenroll)
    devices.add_command(collect)
