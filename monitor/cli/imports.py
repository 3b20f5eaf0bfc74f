"""``monitor import units|employees|enrollments|punches``."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import AppContext, UserError, pass_app
from monitor.imports.directory import (
    Checked,
    check_employees,
    check_enrollments,
    check_units,
    strip_private,
)
from monitor.imports.punch_files import DeviceMap, PunchWindow, import_punch_file

SHOWN_PROBLEMS = 50

file_argument = click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
skip_bad_option = click.option(
    "--skip-bad", is_flag=True, help="Import the good rows and list the bad ones (default: import nothing if any row is bad)."
)


@click.group("import")
def import_group() -> None:
    """Import units, employees, enrollments and punch files (CSV or XLSX)."""


def _report_problems(path: Path, problems: list[tuple[int, str]], total: int | None = None) -> None:
    for line, reason in problems[:SHOWN_PROBLEMS]:
        click.echo(f"{path}:{line}: {reason}", err=True)
    hidden = (total if total is not None else len(problems)) - min(len(problems), SHOWN_PROBLEMS)
    if hidden > 0:
        click.echo(f"... and {hidden} more", err=True)


def _apply(path: Path, checked: Checked, skip_bad: bool, what: str, store_call) -> None:
    if checked.problems and not skip_bad:
        _report_problems(path, checked.problems)
        noun = "row is" if len(checked.problems) == 1 else "rows are"
        raise UserError(
            f"{len(checked.problems)} {noun} bad, so nothing was imported; fix them or pass --skip-bad to import the {len(checked.records)} good rows"
        )
    result = store_call(strip_private(checked.records))
    line = f"{what}: {result.added} added, {result.updated} updated, {result.unchanged} unchanged"
    if getattr(result, "attached_punches", 0):
        line += f"; {result.attached_punches} stored punches attached to their employees"
    if checked.problems:
        line += f"; {len(checked.problems)} bad rows skipped:"
    click.echo(line)
    if checked.problems:
        _report_problems(path, checked.problems)


@import_group.command("units")
@file_argument
@skip_bad_option
@click.option("--reason", help="Why (kept in the audit trail).")
@pass_app
def import_units(app: AppContext, file: Path, skip_bad: bool, reason: str | None) -> None:
    """Add or update units by code. Columns: code, name, parent_code [, schedule, active]."""
    with app.store() as store:
        checked = check_units(file, {u["code"] for u in store.units()})
        _apply(file, checked, skip_bad, "Units", lambda rows: store.upsert_units(rows, actor=app.actor, reason=reason))


@import_group.command("employees")
@file_argument
@skip_bad_option
@click.option("--reason", help="Why (kept in the audit trail).")
@pass_app
def import_employees(app: AppContext, file: Path, skip_bad: bool, reason: str | None) -> None:
    """Add or update employees by code.

    Columns: code, full_name, unit_code [, title, grade, active, hired_on, left_on, schedule, email];
    Vietnamese headers (Mã nhân viên, Họ và tên, Đơn vị, ...) are accepted too.
    """
    with app.store() as store:
        checked = check_employees(file, {u["code"] for u in store.units()})
        _apply(file, checked, skip_bad, "Employees", lambda rows: store.upsert_employees(rows, actor=app.actor, reason=reason))


@import_group.command("enrollments")
@file_argument
@skip_bad_option
@click.option("--reason", help="Why (kept in the audit trail).")
@pass_app
def import_enrollments(app: AppContext, file: Path, skip_bad: bool, reason: str | None) -> None:
    """Map device user ids, card numbers or fingerprint pages to employees.

    Columns: device_id (or * for every device), device_user_id, employee_code [, kind:
    user|card|page]. Card numbers may be written in any printed form (0003887558,
    059,20934, 0x003B51C6); they are stored the way the device reports them. Punches
    already stored for a newly mapped id get their employee.
    """
    with app.store() as store:
        known_devices = {d.id for d in app.config.devices} | {d["id"] for d in store.device_rows()}
        card_formats = {
            d.id: str(d.settings.options["card_format"]) for d in app.config.devices if "card_format" in d.settings.options
        }
        checked = check_enrollments(file, {e["code"] for e in store.employees()}, known_devices or None, card_formats)
        _apply(file, checked, skip_bad, "Enrollments", lambda rows: store.upsert_enrollments(rows, actor=app.actor, reason=reason))


@import_group.command("punches")
@file_argument
@click.option(
    "--device",
    "devices",
    multiple=True,
    required=True,
    help="The device the file came from; for a merged export map machine numbers: --device 1=gate-a --device 2=gate-b.",
)
@click.option("--new-device", is_flag=True, help="Accept a device id that is neither in the config nor in the database.")
@pass_app
def import_punches(app: AppContext, file: Path, devices: tuple[str, ...], new_device: bool) -> None:
    """Import a ZKTeco USB export (1_attlog.dat) or a CSV of badge,timestamp[,state].

    Importing the same file again adds nothing. Unparseable lines are listed with their
    line numbers (exit code 1) while the good lines are stored.
    """
    device_map = DeviceMap.parse(devices)
    with app.store() as store:
        known = {d.id for d in app.config.devices} | {d["id"] for d in store.device_rows()}
        size = file.stat().st_size if file.exists() else None
        with app.progress(size, f"Importing {file.name}") as advance:
            storage = app.config.storage
            window = PunchWindow.around(app.now(), not_before=storage.punch_not_before,
                                        max_ahead_hours=storage.punch_max_ahead_hours)
            done = import_punch_file(store, file, device_map, known_devices=known, window=window,
                                     allow_new_device=new_device, progress=advance)
    summary, result, unmapped = done.summary, done.added, done.unmapped
    click.echo(f"{file.name}: {summary.records} punches read: {result.new} new, {result.existing} already stored")
    if summary.serial_number:
        click.echo(f"  device serial number line: {summary.serial_number}")
    if summary.checksum_line:
        click.echo(f"  checksum line kept but not verified (format undocumented): {summary.checksum_line}")
    if result.unknown_users:
        users = sorted({user for _, user in result.unknown_users}, key=lambda u: (len(u), u))
        shown = ", ".join(users[:10]) + (" ..." if len(users) > 10 else "")
        click.echo(
            f"  {len(users)} device user id(s) not enrolled yet ({shown}): stored without an employee;"
            " see 'monitor punches unknown' and import enrollments"
        )
    for machine, count in sorted(unmapped.items()):
        click.echo(f"  {count} punches of machine number {machine} skipped: no --device {machine}=ID given", err=True)
    if summary.problem_count:
        click.echo(f"  {summary.problem_count} line(s) could not be read and were not imported:", err=True)
        _report_problems(file, summary.problems, summary.problem_count)
    if not done.complete:
        raise SystemExit(1)


def register(cli: click.Group) -> None:
    cli.add_command(import_group)
