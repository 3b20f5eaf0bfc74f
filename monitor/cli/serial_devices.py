"""``monitor devices enroll|unenroll|collect``: enrolling on fingerprint modules and
card readers, and storing the punches of readers that keep no log.

The commands join the ``devices`` group of :mod:`monitor.cli.devices`.
"""

from __future__ import annotations

import threading
from typing import Any

import click

from drivers.base import driver_class, open_driver
from drivers.cards import format_card, parse_card
from monitor.cli import AppContext, UserError, pass_app
from monitor.config import DeviceConfig

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
    from monitor.service.live import Heard, LiveCollector

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


def register(cli: click.Group) -> None:
    devices = cli.commands["devices"]
    devices.add_command(enroll)
    devices.add_command(unenroll)
    devices.add_command(collect)
