"""``monitor import units|employees|enrollments|punches``."""

from __future__ import annotations

from pathlib import Path

import click

from drivers.attlog import PunchFile
from monitor.cli import AppContext, UserError, pass_app
from monitor.errors import InputFileError
from monitor.imports.directory import (
    Checked,
    check_employees,
    check_enrollments,
    check_units,
    strip_private,
)

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

    Columns: code, full_name, unit_code [, title, grade, active, hired_on, left_on, schedule];
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


def _device_map(devices: tuple[str, ...]) -> tuple[str | None, dict[str, str]]:
    single: str | None = None
    mapping: dict[str, str] = {}
    for item in devices:
        if "=" in item:
            number, _, device_id = item.partition("=")
            mapping[number.strip()] = device_id.strip()
        elif single is None:
            single = item
        else:
            raise UserError("give one --device ID, or several --device MACHINE_NUMBER=ID")
    if single and mapping:
        raise UserError("give one --device ID, or several --device MACHINE_NUMBER=ID, not both")
    return single, mapping


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
    single, mapping = _device_map(devices)
    if not file.exists():
        raise InputFileError(f"{file}: no such file")
    with app.store() as store:
        known = {d.id for d in app.config.devices} | {d["id"] for d in store.device_rows()}
        for device_id in [single] if single else mapping.values():
            if device_id not in known and not new_device:
                listed = ", ".join(sorted(known)) or "none"
                raise UserError(
                    f"device {device_id!r} is not in the config or the database (known: {listed}); add a [[devices]] entry or pass --new-device"
                )
            store.ensure_device(device_id)
        punch_file = PunchFile(file)
        unmapped: dict[str, int] = {}

        def attributed():
            for machine, punch in punch_file:
                if single:
                    yield single, punch
                    continue
                device_id = mapping.get(machine or "")
                if device_id is None:
                    unmapped[machine or "(none)"] = unmapped.get(machine or "(none)", 0) + 1
                    continue
                yield device_id, punch

        size = file.stat().st_size
        with app.progress(size, f"Importing {file.name}") as advance:
            done = 0

            def on_batch(_count: int) -> None:
                nonlocal done
                advance(punch_file.bytes_read - done)
                done = punch_file.bytes_read

            result = store.add_device_punches(attributed(), source="file", progress=on_batch)
            advance(size - done)
    summary = punch_file.summary
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
    if summary.problem_count or unmapped:
        raise SystemExit(1)


def register(cli: click.Group) -> None:
    cli.add_command(import_group)
