"""``monitor export timesheet``: the month's Bảng chấm công (Mẫu số C01-HD) as XLSX or PDF."""

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
@click.option("--format", "file_format", type=click.Choice(("xlsx", "pdf")), default="xlsx", show_default=True,
              help="Excel workbook, or PDF for signing.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The file (default: bang-cham-cong-YYYY-MM[-UNIT].xlsx or .pdf).")
@click.option("--circular", default=DEFAULT_CIRCULAR, show_default=True,
              help="The legal basis printed under 'Mẫu số C01-HD'.")
@pass_app
def export_timesheet(app: AppContext, month_text: str | None, unit: str | None, file_format: str, output: Path | None,
                     circular: str) -> None:
    """Bảng chấm công (Mẫu số C01-HD) for a month, one sheet per unit, A4 landscape:
    each day's symbol and the totals 32 (paid by time), 33 (unpaid), 34 (social insurance),
    and the names and dates of those who signed the unit's month.

    A locked month exports to the same bytes every time, with the lock's date, the
    punch log's chain head and the names and grades as they were at the lock. Run
    'monitor evaluate' first (the collector does it every few minutes)."""
    from monitor.reports.timesheet_export import export_timesheet as build

    month = Month.parse_or_current(month_text, app.now().date())
    symbols = app.config.policy.leave
    with app.store() as store:
        data, sheets = build(store, month, symbols, file_format=file_format, organisation=app.config.site.name,
                             now=app.now(), unit=unit, circular=circular)
    target = output or Path(f"bang-cham-cong-{month}{'-' + unit if unit else ''}.{file_format}")
    target.write_bytes(data)
    people = sum(len(sheet.rows) for sheet in sheets)
    click.echo(f"{target}: {len(sheets)} unit sheet(s), {people} employee(s), month {month}.")
    if not sheets:
        click.echo("No judged days in that month: run 'monitor evaluate' first.", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(export)
