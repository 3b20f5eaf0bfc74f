"""``monitor leave add|list|remove`` and ``monitor import leave FILE``."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from monitor.cli import AppContext, UserError, pass_app
from monitor.engine.leave import PARTS
from monitor.errors import InputFileError
from monitor.imports.leave import import_leave, read_leave_file
from monitor.reports.render import (
    LANGS,
    NOTES,
    PART_LABELS,
    table,
    text,
    to_csv,
    to_json,
)
from monitor.store.leave import describe_leave

SHOWN_PROBLEMS = 50
LIST_KEYS = ("id", "employee", "name", "from", "to", "part", "kind", "reason", "created_by", "created_at",
             "removed_by", "removed_at", "removed_reason")


class DateParam(click.ParamType):
    """A date as 2026-11-20 or 20/11/2026 (the way offices write it)."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        for form in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(value, form).date()
            except ValueError:
                continue
        self.fail(f"{value!r} is not a date (write 2026-11-20 or 20/11/2026)", param, ctx)


DATE = DateParam()


@click.group()
def leave() -> None:
    """Leave, business trips and other excuses (C01-HD kinds P, Ô, Cô, TS, T, H, NB, KL, N, LĐ, CT)."""


@leave.command("add")
@click.argument("employee")
@click.option("--from", "date_from", type=DATE, required=True, help="First day (2026-11-20 or 20/11/2026).")
@click.option("--to", "date_to", type=DATE, help="Last day (default: the first day).")
@click.option("--part", type=click.Choice(PARTS), default="full", show_default=True,
              help="Half days cover the morning (sessions before noon) or the afternoon.")
@click.option("--kind", required=True, help="Leave kind: P, Ô (or O), Cô, TS, T, H, NB, KL, N, LĐ (or LD), CT, or a local code.")
@click.option("--reason", required=True, help="Why (kept in the audit trail).")
@click.option("--document", "document_no", help="Document number, e.g. the business trip's 'QĐ 123/QĐ-SNV'.")
@pass_app
def leave_add(app: AppContext, employee: str, date_from: date, date_to: date | None, part: str, kind: str, reason: str,
              document_no: str | None) -> None:
    """Record leave for EMPLOYEE: HR's shortcut that files a leave request and approves it
    at once (it shows in 'monitor requests list'); the affected days are judged again now."""
    from monitor.service.requests import Draft, RequestDesk, cli_actor

    leave_kind = app.config.policy.leave.kind(kind)
    with app.store() as store:
        desk = RequestDesk(store, app.config.policy, app.config.requests, app.now())
        request = desk.approve_leave_now(cli_actor(app.actor), Draft(
            employee, "leave", date_from, reason, day_to=date_to or date_from, part=part, leave_kind=leave_kind.code,
            document_no=document_no))
        record = store.leave_record(request["leave_id"])
    click.echo(f"Leave {describe_leave(record)} added for {employee} ({leave_kind.name}).")


@leave.command("list")
@click.option("--employee", help="Only this employee.")
@click.option("--unit", help="Only this unit and the units below it.")
@click.option("--from", "date_from", type=DATE, help="Leave ending on or after this day.")
@click.option("--to", "date_to", type=DATE, help="Leave starting on or before this day.")
@click.option("--all", "include_removed", is_flag=True, help="Include removed records.")
@click.option("--format", "output_format", type=click.Choice(("table", "json", "csv")), default="table", show_default=True)
@click.option("--lang", type=click.Choice(LANGS), default="vi", show_default=True, help="Language of table headings.")
@pass_app
def leave_list(app: AppContext, employee: str | None, unit: str | None, date_from: date | None, date_to: date | None,
               include_removed: bool, output_format: str, lang: str) -> None:
    """List leave records, oldest first."""
    with app.store() as store:
        codes: list[str] | None = None
        if employee:
            store.employee(employee)
            codes = [employee]
        if unit:
            in_unit = [e["code"] for e in store.employees(store.unit_and_below(unit))]
            codes = in_unit if codes is None else [c for c in codes if c in in_unit]
        names = {e["code"]: e["full_name"] for e in store.employees()}
        records = store.leave_records(codes, date_from, date_to, include_removed=include_removed)
    rows = [
        {"id": r["id"], "employee": r["employee_code"], "name": names.get(r["employee_code"], ""), "from": r["date_from"],
         "to": r["date_to"], "part": r["part"], "kind": r["kind"], "reason": r["reason"], "created_by": r["created_by"],
         "created_at": r["created_at"], "removed_by": r["removed_by"], "removed_at": r["removed_at"],
         "removed_reason": r["removed_reason"]}
        for r in records
    ]
    if output_format == "json":
        click.echo(to_json(rows))
    elif output_format == "csv":
        click.echo(to_csv(rows, LIST_KEYS), nl=False)
    elif not rows:
        click.echo(text(NOTES, "empty", lang))
    else:
        columns = ("id", "employee", "name", "from", "to", "part", "kind", "reason") + (("removed_at",) if include_removed else ())
        cells = [{key: "" if row[key] is None else str(row[key]) for key in columns} for row in rows]
        for cell in cells:
            cell["part"] = text(PART_LABELS, cell["part"], lang)
        click.echo(table(columns, cells, lang))


@leave.command("remove")
@click.argument("leave_id", type=int)
@click.option("--reason", required=True, help="Why (kept in the audit trail).")
@pass_app
def leave_remove(app: AppContext, leave_id: int, reason: str) -> None:
    """Remove leave record LEAVE_ID (it stays in the audit trail); leave approved through
    a request is removed by revoking that approval."""
    from monitor.service.requests import RequestDesk, cli_actor

    with app.store() as store:
        request_id = store.leave_record(leave_id)["request_id"]
        if request_id and store.request(request_id)["status"] == "approved":
            # leave approved through a request goes with its approval: revoke it, on the request's record
            RequestDesk(store, app.config.policy, app.config.requests, app.now()).revoke(
                cli_actor(app.actor), request_id, reason)
            record = store.leave_record(leave_id)
        else:
            record = store.remove_leave(leave_id, reason=reason, actor=app.actor)
    click.echo(f"Leave {describe_leave(record)} of {record['employee_code']} removed.")


@click.command("leave")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Import the good rows and list the bad ones (default: import nothing if any row is bad).")
@pass_app
def import_leave_command(app: AppContext, file: Path, skip_bad: bool) -> None:
    """Import leave records. Columns: employee, from, to, part, kind, reason (CSV or XLSX)."""
    checked = read_leave_file(file, app.config.policy.leave)
    with app.store() as store:
        try:
            result = import_leave(store, checked, actor=app.actor, skip_bad=skip_bad)
        except InputFileError as exc:
            _show_problems(file, exc.problems)
            raise UserError(f"{exc}; fix them or pass --skip-bad to import the good rows") from None
    line = f"leave: {result.added} added, {result.unchanged} unchanged"
    if result.problems:
        line += f"; {len(result.problems)} bad rows skipped:"
    click.echo(line)
    _show_problems(file, result.problems)


def _show_problems(path: Path, problems: list[tuple[int, str]]) -> None:
    for line, reason in problems[:SHOWN_PROBLEMS]:
        click.echo(f"{path}:{line}: {reason}", err=True)
    if len(problems) > SHOWN_PROBLEMS:
        click.echo(f"... and {len(problems) - SHOWN_PROBLEMS} more", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(leave)
    imports = cli.commands.get("import")
    if not isinstance(imports, click.Group):
        # the import group comes from monitor.cli.imports; stand alone without it
        imports = click.Group("import", help="Import units, employees, enrollments, punch and leave files.")
        cli.add_command(imports)
    imports.add_command(import_leave_command)
