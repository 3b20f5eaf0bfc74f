"""``monitor calendar show``: the year's days off and worked days, with their sources."""

from __future__ import annotations

import click

from monitor.cli import AppContext, pass_app
from monitor.reports.calendar import calendar_table
from monitor.reports.calendar import calendar_year
from monitor.reports.render import LANGS, to_json


@click.group()
def calendar() -> None:
    """The public calendar as the monitor applies it (holidays, swapped and make-up days)."""


@calendar.command("show")
@click.option("--year", type=int, help="The year (default: this year).")
@click.option("--unit", help="A unit: its schedule and the config decisions of it and the units above (default: the site default schedule and [calendar]).")
@click.option("--format", "output_format", type=click.Choice(("table", "json")), default="table", show_default=True)
@click.option("--lang", type=click.Choice(LANGS), default="vi", show_default=True, help="Language of the table.")
@pass_app
def calendar_show(app: AppContext, year: int | None, unit: str | None, output_format: str, lang: str) -> None:
    """Every weekday off and every worked weekend day of the year, with its name and its
    source: the holidays package (and whether a letter confirms it), a decision shipped
    with the monitor (its document), or the config (its ref). Compare it with the
    government's letter; correct a day in the config's [calendar]."""
    with app.store() as store:
        data = calendar_year(store, app.config.policy, year or app.now().year, unit)
    if output_format == "json":
        click.echo(to_json(data))
    else:
        click.echo(calendar_table(data, lang))


def register(cli: click.Group) -> None:
    cli.add_command(calendar)
