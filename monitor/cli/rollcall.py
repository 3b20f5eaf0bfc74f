"""``monitor report rollcall``: who was present, excused, absent or off at a moment."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import AppContext, pass_app
from monitor.cli.evaluate import _emit, report
from monitor.reports.render import LANGS, to_json
from monitor.reports.rollcall import parse_moment, rollcall, rollcall_csv, rollcall_table


@click.command("rollcall")
@click.option("--at", "at_text", help="The moment, local time: '2026-11-25 09:50' (default: now).")
@click.option("--unit", help="This unit and the units below it (default: all).")
@click.option("--format", "output_format", type=click.Choice(("table", "json", "csv")), default="table", show_default=True)
@click.option("--lang", type=click.Choice(LANGS), default="vi", show_default=True, help="Language of the table.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (CSV gets a BOM so Excel reads the diacritics).")
@pass_app
def report_rollcall(app: AppContext, at_text: str | None, unit: str | None, output_format: str, lang: str,
                    output: Path | None) -> None:
    """The roll-call at a moment (điểm danh), per unit: present (punched in, not out),
    absent with an approved reason (its kind and document), absent without one, and on a
    day off or not required then. Only punches stored up to the moment count."""
    at = parse_moment(at_text) if at_text else app.now()
    with app.store() as store:
        if unit:
            store.unit(unit)
        data = rollcall(store, app.config.policy, at, unit=unit, organisation=app.config.site.name)
    if output_format == "json":
        _emit(to_json(data), output, output_format)
    elif output_format == "csv":
        _emit(rollcall_csv(data), output, output_format)
    else:
        _emit(rollcall_table(data, lang), output, output_format)


def register(cli: click.Group) -> None:
    report.add_command(report_rollcall)
