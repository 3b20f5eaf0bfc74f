"""``monitor devices``: is the clock talking, what does its clock say, are its punches
arriving? Generic over the :class:`~drivers.base.TimeClock` interface, so every
protocol works through the same commands.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import click

from drivers.base import (
    PROTOCOLS,
    DeviceSettings,
    DriverError,
    Punch,
    driver_class,
    open_driver,
)
from monitor.cli import AppContext, UserError, pass_app
from monitor.config import DeviceConfig
from monitor.errors import StorageError
from monitor.service.ingest import (
    import_device_users,
    local_naive,
    measure_offset,
    pull_device,
    read_user_map,
)

STATES = {0: "check-in", 1: "check-out", 2: "break-out", 3: "break-in", 4: "overtime-in", 5: "overtime-out"}
VERIFY = {0: "password", 1: "fingerprint", 2: "card"}


@click.group()
def devices() -> None:
    """Time clocks: find them, test them, pull their punches, watch them live."""


# --- helpers ------------------------------------------------------------------------------


class _LazyProgress:
    """A progress bar opened on the first (done, total) report, once the total is known."""

    def __init__(self, app: AppContext, label: str, stack: ExitStack):
        self.app, self.label, self.stack = app, label, stack
        self.update = None
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        if self.update is None:
            self.update = self.stack.enter_context(self.app.progress(total, self.label))
        self.update(done - self.done)
        self.done = done


def _driver(protocol: str):
    try:
        return driver_class(protocol)
    except ImportError as exc:
        raise UserError(f"the {protocol} driver cannot be loaded: {exc}") from None


def _parse_options(protocol: str, pairs: tuple[str, ...]) -> dict:
    declared = _driver(protocol).options
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in declared:
            known = ", ".join(declared) or "none"
            raise click.BadParameter(f"{pair!r}: write KEY=VALUE with a {protocol} option ({known})", param_hint="--option")
        kind = declared[key][0]
        try:
            options[key] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
        except ValueError:
            raise click.BadParameter(f"{key} must be {kind.__name__}, not {value!r}", param_hint="--option") from None
    return options


def _device_for(app: AppContext, device_id: str | None, url: str | None, protocol: str | None,
                baudrate: int | None, pairs: tuple[str, ...], timeout: float | None) -> DeviceConfig:
    """The configured device, or one described on the command line."""
    if (device_id is None) == (url is None):
        raise click.UsageError("give a DEVICE_ID from the config, or --url URL with --protocol P")
    if device_id is not None:
        device = app.config.device(device_id)
        if timeout is not None:
            device = replace(device, settings=replace(device.settings, timeout=timeout))
        return device
    if protocol is None:
        raise click.UsageError("--url needs --protocol")
    cls = _driver(protocol)
    settings = DeviceSettings(id=url, protocol=protocol, port=url, baudrate=baudrate or cls.default_baudrate,
                              timeout=timeout or 3.0, options={**{k: d for k, (_t, d) in cls.options.items()},
                                                               **_parse_options(protocol, pairs)})
    return DeviceConfig(settings=settings)


def _offset_line(offset: float | None, device: DeviceConfig) -> str:
    if offset is None:
        return "no clock (the host stamps its punches)"
    text = f"{offset:+.0f} s from the host clock"
    if device.clock_suspect(offset):
        return (f"{text}: more than the {device.max_clock_offset_seconds} s allowed; its punches are flagged"
                f" clock_suspect until you run 'monitor devices sync-time {device.id}'")
    return f"{text} (within {device.max_clock_offset_seconds} s)"


def _open(app: AppContext, device: DeviceConfig):
    return open_driver(device.settings, now=local_naive(app.now))


def describe(punch: Punch) -> str:
    state = STATES.get(punch.state, f"state {punch.state}") if punch.state is not None else ""
    verify = VERIFY.get(punch.verify_mode, f"verify {punch.verify_mode}") if punch.verify_mode is not None else ""
    return f"{punch.timestamp:%Y-%m-%d %H:%M:%S}  user {punch.user_id:<10} {state:<12} {verify}".rstrip()


# --- commands -----------------------------------------------------------------------------


@devices.command("scan")
@click.option("--probe", is_flag=True, help="Ask each port which known protocol answers (takes a few seconds per port).")
@click.option("--port", "only_ports", multiple=True, metavar="PORT",
              help="Probe only this port or URL (repeatable); default: every port listed.")
@click.option("--timeout", type=click.FloatRange(0.05), default=1.0, show_default=True, help="Seconds to wait per try.")
def devices_scan(probe: bool, only_ports: tuple[str, ...], timeout: float) -> None:
    """List serial ports (device, description, VID:PID, serial number)."""
    from serial.tools import list_ports

    ports = sorted(list_ports.comports(), key=lambda p: p.device)
    if not ports:
        click.echo("No serial ports found. Plug the adapter in; on Linux check 'dmesg | tail' for ttyUSB/ttyACM.")
    for port in ports:
        usb = f"{port.vid:04X}:{port.pid:04X}" if port.vid is not None and port.pid is not None else "-"
        click.echo(f"{port.device:<24} {port.description or '-':<32} {usb:<10} {port.serial_number or '-'}")
    if not probe:
        return
    for name in only_ports or [p.device for p in ports]:
        answers = []
        for protocol in sorted(PROTOCOLS):
            try:
                cls = driver_class(protocol)
            except (ImportError, DriverError):
                continue  # a protocol whose driver is not installed
            info = cls.probe(name, timeout=timeout)
            if info is not None:
                details = ", ".join(str(v) for v in (info.model, info.serial_number) if v)
                baud = info.extra.get("baudrate")
                note = info.extra.get("note")
                answers.append(f"{protocol}" + (f" ({details})" if details else "") + (f" at {baud} baud" if baud else "")
                               + (f": {note}" if note else ""))
        click.echo(f"{name}: " + ("; ".join(answers) if answers else "no known protocol answers"))


@devices.command("test")
@click.argument("device_id", required=False)
@click.option("--url", help="A port or URL not in the config (COM3, /dev/ttyUSB0, tcp://HOST:4370, ...).")
@click.option("--protocol", type=click.Choice(sorted(PROTOCOLS)), help="The protocol to speak on --url.")
@click.option("--baudrate", type=int, help="With --url: the baud rate (default: the protocol's).")
@click.option("-o", "--option", "pairs", multiple=True, metavar="KEY=VALUE", help="With --url: a protocol option (repeatable).")
@click.option("--timeout", type=click.FloatRange(0.05), help="Seconds to wait for each answer.")
@pass_app
def devices_test(app: AppContext, device_id, url, protocol, baudrate, pairs, timeout) -> None:
    """Connect and show model, serial number, counts and the device clock."""
    device = _device_for(app, device_id, url, protocol, baudrate, pairs, timeout)
    click.echo(f"Testing {device.id} ({device.protocol}) on {device.settings.port} ...")
    with _open(app, device) as clock:
        info = clock.info()
        offset = measure_offset(clock, app.now)
        device_time = clock.read_clock() if offset is not None else None
    rows = [
        ("model", info.model), ("serial number", info.serial_number), ("firmware", info.firmware),
        ("users", info.user_count),
        ("records", f"{info.record_count}" + (f" (capacity {info.record_capacity})" if info.record_capacity else "")
         if info.record_count is not None else None),
        ("device clock", f"{device_time:%Y-%m-%d %H:%M:%S}" if device_time else None),
        ("offset", _offset_line(offset, device)),
    ]
    for label, value in rows:
        if value is not None:
            click.echo(f"  {label:<14} {value}")
    click.echo("OK: the device answers.")


@devices.command("pull")
@click.argument("device_id")
@click.option("--clear", is_flag=True, help="Then erase the device's log (only after its punches are stored).")
@pass_app
def devices_pull(app: AppContext, device_id: str, clear: bool) -> None:
    """Download new punches into the database; prints 'N new, M already stored'."""
    device = app.config.device(device_id)
    store = app.store()
    try:
        with ExitStack() as bars:
            report = pull_device(store, device, now=app.now, actor=app.actor, clear=clear,
                                 progress=_LazyProgress(app, f"Downloading {device.id}", bars),
                                 store_progress=_LazyProgress(app, f"Storing {device.id}    ", bars))
    finally:
        store.close()
    if report.clock_suspect:
        click.echo(f"Warning: the device clock is {_offset_line(report.clock_offset, device)}.", err=True)
    if report.log_shrank:
        click.echo(f"Warning: the log of {device.id} was cleared or overwritten since the last pull;"
                   " everything it holds was read again (already stored punches are skipped).", err=True)
    click.echo(f"{report.new} new, {report.existing} already stored")
    if report.unknown_users:
        sample = ", ".join(sorted(report.unknown_users, key=lambda u: (len(u), u))[:10])
        click.echo(f"{len(report.unknown_users)} device user id(s) have no employee yet: {sample}"
                   f" (enroll them with 'monitor devices users {device.id} --import')")
    if report.cleared:
        click.echo(f"The log of {device.id} was cleared.")


@devices.command("listen")
@click.argument("device_id")
@click.option("--count", type=click.IntRange(1), help="Stop after this many punches.")
@click.option("--seconds", type=click.FloatRange(0.1), help="Stop after this many seconds.")
@pass_app
def devices_listen(app: AppContext, device_id: str, count: int | None, seconds: float | None) -> None:
    """Print punches as they happen (Ctrl-C stops); nothing is stored.

    Clocks that keep a log store these punches at the next pull; readers without a log
    (fingerprint modules, card and line readers) are stored by 'monitor devices collect'
    or the collector ('monitor run').
    """
    device = app.config.device(device_id)
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set) if seconds else None
    with _open(app, device) as clock:
        offset = measure_offset(clock, app.now)
        if offset is not None:
            stream = click.echo if not device.clock_suspect(offset) else (lambda text: click.echo(f"Warning: {text}", err=True))
            stream(f"device clock {_offset_line(offset, device)}")
        keeps_log = "fetch" in clock.capabilities
        later = "the next pull stores them" if keeps_log else "not stored: use 'monitor devices collect' to store them"
        click.echo(f"Listening to {device.id} ({later}); punch at the clock (Ctrl-C stops) ...")
        if timer:
            timer.daemon = True
            timer.start()
        try:
            for seen, punch in enumerate(clock.listen(stop), start=1):
                click.echo(describe(punch))
                if count and seen >= count:
                    break
        finally:
            if timer:
                timer.cancel()


@devices.command("sync-time")
@click.argument("device_id")
@pass_app
def devices_sync_time(app: AppContext, device_id: str) -> None:
    """Set the device clock to the host clock; shows the offset before and after.
    For a push clock the request is queued for its next heartbeat."""
    from monitor.service.clock_sync import sync_clock
    from monitor.service.push_devices import ask_if_push_clock

    if device_id not in {d.id for d in app.config.devices}:
        with app.store() as store:
            queued = ask_if_push_clock(store, device_id, "sync-time", actor=app.actor)
        if queued is not None:  # a push clock is reached only through its heartbeat
            click.echo(f"Queued request {queued}: {device_id} sets its clock to the server's on its next heartbeat.")
            return
    device = app.config.device(device_id)
    try:
        store = app.store()
    except StorageError:
        store = None  # no database yet: nothing to record
    try:
        with _open(app, device) as clock:
            synced = sync_clock(clock, device, now=app.now, store=store, actor=app.actor, reason="set from the command line")
    finally:
        if store is not None:
            store.close()
    click.echo(f"before: {synced.before:+.0f} s")
    click.echo(f"after:  {synced.after:+.0f} s")


@devices.command("users")
@click.argument("device_id")
@click.option("--import", "do_import", is_flag=True, help="Enroll them: each device user id maps to the employee with that code.")
@click.option("--map", "map_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="With --import: a CSV with columns device_user_id,employee_code for ids that differ from codes.")
@pass_app
def devices_users(app: AppContext, device_id: str, do_import: bool, map_file: Path | None) -> None:
    """List the users the device holds, or import them as enrollments."""
    if map_file and not do_import:
        raise click.UsageError("--map goes with --import")
    device = app.config.device(device_id)
    mapping = read_user_map(map_file) if map_file else None
    with _open(app, device) as clock:
        users = clock.users()
    if not do_import:
        for user in users:
            card = user.card or "-"
            click.echo(f"{user.uid if user.uid is not None else '-':>5}  {user.user_id:<12} {user.name:<26} card {card}")
        click.echo(f"{len(users)} user(s) on {device.id}.")
        return
    store = app.store()
    try:
        result = import_device_users(store, device.id, users, actor=app.actor, mapping=mapping)
    finally:
        store.close()
    click.echo(f"{result.added} enrolled, {result.updated} changed, {result.unchanged} unchanged"
               f" ({result.attached_punches} stored punch(es) attached to their employees).")
    if result.unknown:
        sample = ", ".join(f"{u.user_id} ({u.name})" if u.name else u.user_id for u in result.unknown[:10])
        more = " ..." if len(result.unknown) > 10 else ""
        click.echo(f"{len(result.unknown)} device user(s) match no employee code: {sample}{more}."
                   " Import those employees, or map them with --map FILE (columns device_user_id,employee_code).")


def register(cli: click.Group) -> None:
    cli.add_command(devices)
