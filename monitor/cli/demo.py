"""``monitor demo``: a first look with made-up data, end to end."""

from __future__ import annotations

import secrets
import shutil
from datetime import date, timedelta
from pathlib import Path

import click

from drivers.attlog import PunchFile
from monitor.cli import AppContext, pass_app
from monitor.config import load_config
from monitor.directory_import import check_employees, check_enrollments, check_units, strip_private
from monitor.sample_data import (
    DEMO_UNITS,
    attlog_lines,
    make_employees,
    write_attlog,
    write_employees_csv,
    write_enrollments_csv,
    write_units_csv,
)

DEMO_CONFIG = """# Demo configuration written by 'monitor demo' (made-up office, simulated devices).
[site]
name = "UBND tỉnh (mẫu) — demo"
timezone = "Asia/Ho_Chi_Minh"

[storage]
database = "attendance.db"
"""


def _first_month(today: date) -> tuple[date, date]:
    """The previous calendar month: a complete month of sample punches."""
    first_this = today.replace(day=1)
    last_prev = first_this - timedelta(days=1)
    return last_prev.replace(day=1), last_prev


@click.command()
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("demo"), show_default=True,
              help="Folder for the demo config, database and generated files.")
@click.option("--employees", "employee_count", default=60, show_default=True, help="How many made-up employees.")
@click.option("--reset", is_flag=True, help="Delete the demo folder first.")
@pass_app
def demo(app: AppContext, folder: Path, employee_count: int, reset: bool) -> None:
    """Build a demo office with made-up Vietnamese units, staff and time-clock exports,
    import them as HR and IT staff would, and show what was stored."""
    if reset and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / "config.toml"
    if not config_path.exists():
        config_path.write_text(DEMO_CONFIG, encoding="utf-8")
    app.config_path = config_path
    app.__dict__.pop("config", None)  # re-read: the demo has its own config
    config = load_config(config_path)
    today = app.now().date()
    month_start, month_end = _first_month(today)

    click.secho(f"== Demo office in {folder}/ (all names and data are made up)", bold=True)
    store = app.store(create=True)
    try:
        if not store.scalar("SELECT COUNT(*) FROM users WHERE role = 'admin'"):
            password = secrets.token_urlsafe(12)
            (folder / "admin-password.txt").write_text(password + "\n", encoding="utf-8")
            store.add_user("admin", password, role="admin", actor="demo")
            click.echo(f"Created the database {config.storage.database} and user 'admin' (password in {folder}/admin-password.txt).")

        units_csv, employees_csv, enroll_csv = folder / "units.csv", folder / "employees.csv", folder / "enrollments.csv"
        people = make_employees(employee_count, [code for code, _, parent in DEMO_UNITS if parent])
        write_units_csv(units_csv)
        write_employees_csv(employees_csv, people)
        # the last two staff are not enrolled yet: their punches wait as "unknown"
        write_enrollments_csv(enroll_csv, people[:-2], "cong-chinh")
        click.echo(f"Wrote {units_csv.name}, {employees_csv.name} and {enroll_csv.name} (as HR would export them from Excel).")

        units = check_units(units_csv, set())
        result = store.upsert_units(strip_private(units.records), actor="demo", reason="demo data")
        click.echo(f"import units: {result.added} added, {result.updated} updated, {result.unchanged} unchanged")
        staff = check_employees(employees_csv, {u["code"] for u in store.units()})
        result = store.upsert_employees(strip_private(staff.records), actor="demo", reason="demo data")
        click.echo(f"import employees: {result.added} added, {result.updated} updated, {result.unchanged} unchanged")

        export = folder / "1_attlog.dat"
        lines = write_attlog(export, attlog_lines(people, month_start, month_end))
        click.echo(f"Generated {export.name}: the USB-drive export of the gate clock for {month_start:%m/%Y} ({lines} lines).")
        store.ensure_device("cong-chinh", name="Máy chấm công cổng chính (mô phỏng)", protocol="zkteco", unit_code="UBND")
        punch_file = PunchFile(export)
        added = store.add_punches("cong-chinh", (p for _, p in punch_file), source="file")
        click.echo(f"import punches: {added.new} new, {added.existing} already stored, "
                   f"{len(added.unknown_users)} device user id(s) not enrolled yet")

        enrollments = check_enrollments(enroll_csv, {e["code"] for e in store.employees()})
        result = store.upsert_enrollments(strip_private(enrollments.records), actor="demo", reason="demo data")
        click.echo(f"import enrollments: {result.added} added, {result.unchanged} unchanged; "
                   f"{result.attached_punches} stored punches attached to their employees")

        _show(store, folder)
    finally:
        store.close()


def _show(store, folder: Path) -> None:
    click.secho("\n== What is stored", bold=True)
    counts = {row["unit_code"]: row["n"] for row in store.query("SELECT unit_code, COUNT(*) AS n FROM employees GROUP BY unit_code")}
    punches = {row["unit_code"]: row["n"] for row in store.query(
        "SELECT e.unit_code, COUNT(*) AS n FROM punches p JOIN employees e ON e.code = p.employee_code GROUP BY e.unit_code")}
    units = store.units()
    children: dict[str | None, list[dict]] = {}
    for unit in units:
        children.setdefault(unit["parent_code"], []).append(unit)

    def walk(parent: str | None, depth: int) -> None:
        for unit in children.get(parent, []):
            label = f"{'  ' * depth}{unit['name']} [{unit['code']}]"
            click.echo(f"{label:<52} {counts.get(unit['code'], 0):>4} staff {punches.get(unit['code'], 0):>6} punches")
            walk(unit["code"], depth + 1)

    walk(None, 0)
    click.echo("\nFirst punches of the month:")
    for row in store.query(
        "SELECT p.punched_at, p.device_user_id, e.full_name, e.unit_code FROM punches p"
        " LEFT JOIN employees e ON e.code = p.employee_code ORDER BY p.id LIMIT 6"
    ):
        click.echo(f"  {row['punched_at']}  user {row['device_user_id']:>4}  {row['full_name'] or '(not enrolled)'}  {row['unit_code'] or ''}")
    unknown = store.unknown_punches()
    if unknown:
        click.echo(f"\nNot enrolled yet ({len(unknown)} ids): " + ", ".join(
            f"{row['device_user_id']} ({row['punches']} punches)" for row in unknown)
            + " — see 'monitor punches unknown'.")
    report = store.verify_chain()
    click.echo(f"\nHash chain: {'intact' if report.ok else 'BROKEN: ' + str(report.problem)} over {report.rows} punches.")
    click.echo(f"\nTry: monitor --config {folder}/config.toml punches unknown")
    click.echo(f"     monitor --config {folder}/config.toml verify")
    click.echo(f"     monitor --config {folder}/config.toml import punches {folder}/1_attlog.dat --device cong-chinh   (again: 0 new)")


def register(cli: click.Group) -> None:
    cli.add_command(demo)
