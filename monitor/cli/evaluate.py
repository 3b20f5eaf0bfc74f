"""``monitor evaluate`` and ``monitor report day|month|employee``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import click

from monitor.cli import AppContext, pass_app
from monitor.cli.leave import DATE
from monitor.reports.attendance import (
    DAY_KEYS,
    MONTH_KEYS,
    day_report,
    employee_report,
    month_report,
)
from monitor.reports.period import Month
from monitor.reports.render import (
    LANGS,
    day_table,
    employee_table,
    month_table,
    to_csv,
    to_json,
)
from monitor.service.evaluation import Evaluation

FORMATS = ("table", "json", "csv")


@click.command()
@click.option("--from", "day_from", type=DATE, help="Also re-judge every day from this one (default: only what changed).")
@click.option("--to", "day_to", type=DATE, help="Last day to re-judge with --from (default: today).")
@click.option("--employee", "employees", multiple=True, help="Only this employee (repeatable).")
@pass_app
def evaluate(app: AppContext, day_from: date | None, day_to: date | None, employees: tuple[str, ...]) -> None:
    """Judge every employee-day that is new or changed, up to today.

    New days, days whose punches or leave changed (a clock that synced late), days
    judged while still open, and everything again after the office hours, calendar or
    someone's unit changed. Safe to run at any time: re-running changes nothing.
    """
    policy = app.config.policy
    started = time.perf_counter()
    with app.store() as store:
        for code in employees:
            store.employee(code)
        evaluation = Evaluation(store, policy, app.now())
        work = evaluation.plan(day_from=day_from, day_to=day_to, employee_codes=employees or None)
        with app.progress(work.days, "Judging employee-days") as advance:
            summary = evaluation.execute(work, progress=advance)
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    seconds = time.perf_counter() - started
    parts = [f"{summary.dirty} changed"] if summary.dirty else []
    if summary.rebased:
        parts.append(f"{summary.rebased} employees re-judged after a rule or directory change")
    if summary.provisional:
        parts.append(f"{summary.provisional} still open (provisional)")
    detail = f" ({'; '.join(parts)})" if parts else ""
    click.echo(
        f"Judged {summary.judged:,} employee-days of {summary.employees:,} employees in {seconds:.1f} s{detail}."
    )


@click.group()
def report() -> None:
    """Reports of judged days: a day, a month, one employee's month."""


def _report_options(function: Any) -> Any:
    function = click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
                            help="Write to this file (CSV gets a BOM so Excel reads the diacritics).")(function)
    function = click.option("--lang", type=click.Choice(LANGS), default="vi", show_default=True,
                            help="Language of table headings.")(function)
    function = click.option("--format", "output_format", type=click.Choice(FORMATS), default="table",
                            show_default=True)(function)
    return function


def _emit(text: str, output: Path | None, output_format: str) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    encoding = "utf-8-sig" if output_format == "csv" else "utf-8"
    output.write_text(text if text.endswith("\n") else text + "\n", encoding=encoding)
    click.echo(f"Written to {output}.", err=True)


def _render(output: Path | None, output_format: str, json_data: Any, csv_rows: list[dict[str, Any]],
            csv_keys: Sequence[str], table: Callable[[], str]) -> None:
    """One report in the chosen format, to stdout or ``--output``."""
    if output_format == "json":
        _emit(to_json(json_data), output, output_format)
    elif output_format == "csv":
        _emit(to_csv(csv_rows, csv_keys), output, output_format)
    else:
        _emit(table(), output, output_format)


def _month(app: AppContext, text: str | None) -> Month:
    return Month.parse_or_current(text, app.now().date())


def _waiting_note(app: AppContext, store: Any, day_from: date, day_to: date, rows: int, unit: str | None = None,
                  employee: str | None = None) -> None:
    """Say on stderr when the report may be behind the punches."""
    codes = [employee] if employee else [e["code"] for e in store.employees(store.unit_and_below(unit))] if unit else None
    waiting = store.waiting_days(day_from, min(day_to, app.now().date()), codes)
    if waiting:
        click.echo(f"note: {waiting} employee-days changed since they were judged; run 'monitor evaluate'", err=True)
    elif not rows:
        click.echo("note: nothing judged for this period yet; run 'monitor evaluate'", err=True)


@report.command("day")
@click.option("--date", "day", type=DATE, help="The day (default: today).")
@click.option("--unit", help="This unit and the units below it (default: all).")
@_report_options
@pass_app
def report_day(app: AppContext, day: date | None, unit: str | None, output_format: str, lang: str, output: Path | None) -> None:
    """Who arrived late, left early or was absent on a day."""
    day = day or app.now().date()
    with app.store() as store:
        rows = day_report(store, day, unit)
        _waiting_note(app, store, day, day, len(rows), unit)
    title = f"{day.isoformat()}" + (f"  {unit}" if unit else "")
    _render(output, output_format, rows, rows, DAY_KEYS, lambda: f"{title}\n\n{day_table(rows, lang)}")


@report.command("month")
@click.option("--month", "month_text", help="YYYY-MM (default: this month).")
@click.option("--unit", help="This unit and the units below it (default: all).")
@_report_options
@pass_app
def report_month(app: AppContext, month_text: str | None, unit: str | None, output_format: str, lang: str,
                 output: Path | None) -> None:
    """Per employee: required and present days, lateness, early departures, absences, leave, warnings."""
    month = _month(app, month_text)
    policy = app.config.policy
    with app.store() as store:
        rows = month_report(store, policy, month, unit)
        _waiting_note(app, store, month.first, month.last, len(rows), unit)
    title = f"{month}" + (f"  {unit}" if unit else "")
    _render(output, output_format, rows, rows, MONTH_KEYS, lambda: f"{title}\n\n{month_table(rows, lang)}")


@report.command("employee")
@click.argument("employee")
@click.option("--month", "month_text", help="YYYY-MM (default: this month).")
@_report_options
@pass_app
def report_employee(app: AppContext, employee: str, month_text: str | None, output_format: str, lang: str,
                    output: Path | None) -> None:
    """One employee's month, day by day, with the month's counts."""
    month = _month(app, month_text)
    policy = app.config.policy
    with app.store() as store:
        data = employee_report(store, policy, employee, month)
        _waiting_note(app, store, month.first, month.last, len(data["days"]), employee=employee)
    _render(output, output_format, data, data["days"], DAY_KEYS, lambda: employee_table(data, lang))


def register(cli: click.Group) -> None:
    cli.add_command(evaluate)
    cli.add_command(report)
