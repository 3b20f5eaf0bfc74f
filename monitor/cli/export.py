"""``monitor export timesheet``: the month's Bảng chấm công (Mẫu số C01-HD) as XLSX."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import AppContext, pass_app
from monitor.reports.period import Month
from monitor.reports.timesheet_xlsx import DEFAULT_CIRCULAR


@click.group()
def export() -> None:
    """Exports for HR: the monthly timesheet."""


@export.command("timesheet")
@click.option("--month", "month_text", help="YYYY-MM (default: this month).")
@click.option("--unit", help="This unit and the units below it, one sheet each (default: every unit).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The .xlsx file (default: bang-cham-cong-YYYY-MM[-UNIT].xlsx).")
@click.option("--circular", default=DEFAULT_CIRCULAR, show_default=True,
              help="The legal basis printed under 'Mẫu số C01-HD'.")
@pass_app
def export_timesheet(app: AppContext, month_text: str | None, unit: str | None, output: Path | None, circular: str) -> None:
    """Bảng chấm công (Mẫu số C01-HD) for a month, one sheet per unit, A4 landscape:
    each day's symbol and the totals 32 (paid by time), 33 (unpaid), 34 (social insurance).

    Run 'monitor evaluate' first (the collector does it every few minutes)."""
    from monitor.reports.timesheet import build_timesheets
    from monitor.reports.timesheet_xlsx import write_timesheets

    month = Month.parse_or_current(month_text, app.now().date())
    symbols = app.config.policy.leave
    with app.store() as store:
        sheets = build_timesheets(store, month, symbols, unit)
    target = output or Path(f"bang-cham-cong-{month}{'-' + unit if unit else ''}.xlsx")
    write_timesheets(sheets, target, organisation=app.config.site.name, symbols=symbols, circular=circular)
    people = sum(len(sheet.rows) for sheet in sheets)
    click.echo(f"{target}: {len(sheets)} unit sheet(s), {people} employee(s), month {month}.")
    if not sheets:
        click.echo("No judged days in that month: run 'monitor evaluate' first.", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(export)
