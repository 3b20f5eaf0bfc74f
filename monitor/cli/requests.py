"""``monitor requests list|show|approve|reject|revoke|withdraw|attach``, ``monitor explain``,
``monitor correct`` and ``monitor users import``.

The command line acts as HR (the timekeeper's tool): it may file for anyone, past the
deadline, and decide any request. Who acted is ``MONITOR_ACTOR`` or ``cli:<login>``.
"""

from __future__ import annotations

import csv
import io
import secrets
from datetime import date
from pathlib import Path
from typing import Any

import click

from monitor.cli import AppContext, UserError, pass_app
from monitor.cli.leave import DATE
from monitor.engine.requests import KINDS, REASONS, STATUSES, VIOLATIONS
from monitor.errors import InputFileError, MonitorError
from monitor.imports.tables import read_rows
from monitor.reports.render import to_csv, to_json
from monitor.service.requests import Draft, RequestDesk, cli_actor, parse_clock, pending_for_approver

LIST_KEYS = ("id", "employee", "name", "kind", "from", "to", "detail", "reason", "document_no", "status",
             "approver_unit", "filed_by", "on_behalf", "filed_at", "decided_by", "decided_at", "decision_comment")
TABLE_COLUMNS = ("id", "employee", "name", "kind", "from", "detail", "status", "approver_unit", "filed_by")
USER_COLUMNS = {
    "username": ("username", "tên đăng nhập", "user"),
    "employee": ("employee", "employee code", "mã nv", "mã nhân viên"),
    "full_name": ("full name", "name", "họ và tên"),
    "password": ("password", "mật khẩu"),
}
HEADINGS = {"id": "#", "employee": "Employee", "name": "Name", "kind": "Kind", "from": "From", "detail": "Detail",
            "status": "Status", "approver_unit": "Approver", "filed_by": "Filed by"}


def _desk(app: AppContext, store) -> RequestDesk:
    return RequestDesk(store, app.config.policy, app.config.requests, app.now())


def describe(row: dict[str, Any]) -> str:
    """What a request asks, in one short phrase: 'late 60 min (hop)', 'out 17:05', 'P full'."""
    if row["kind"] == "explanation":
        minutes = f" {row['minutes']} min" if row["minutes"] else ""
        return f"{row['violation']}{minutes} ({row['category']})"
    if row["kind"] == "correction":
        return " ".join(part for part in (
            f"in {row['claimed_in']}" if row["claimed_in"] else "", f"out {row['claimed_out']}" if row["claimed_out"] else "",
        ) if part)
    return f"{row['leave_kind']} {row['part']}"


def listed(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "employee": row["employee_code"], "name": row["full_name"], "kind": row["kind"],
        "from": row["day_from"], "to": row["day_to"], "detail": describe(row), "reason": row["reason"],
        "document_no": row["document_no"], "status": row["status"], "approver_unit": row["approver_unit"],
        "filed_by": row["filed_by"], "on_behalf": bool(row["on_behalf"]), "filed_at": row["filed_at"],
        "decided_by": row["decided_by"], "decided_at": row["decided_at"], "decision_comment": row["decision_comment"],
    }


def _echo_rows(rows: list[dict[str, Any]], output_format: str) -> None:
    if output_format == "json":
        click.echo(to_json(rows))
    elif output_format == "csv":
        click.echo(to_csv(rows, LIST_KEYS), nl=False)
    elif not rows:
        click.echo("No requests.")
    else:
        cells = [{key: "" if row[key] is None else str(row[key]) for key in TABLE_COLUMNS} for row in rows]
        click.echo(_table(cells))


def _table(cells: list[dict[str, str]]) -> str:
    widths = {key: max(len(HEADINGS[key]), *(len(c[key]) for c in cells)) for key in TABLE_COLUMNS}
    lines = ["  ".join(HEADINGS[key].ljust(widths[key]) for key in TABLE_COLUMNS).rstrip(),
             "  ".join("-" * widths[key] for key in TABLE_COLUMNS)]
    lines += ["  ".join(c[key].ljust(widths[key]) for key in TABLE_COLUMNS).rstrip() for c in cells]
    return "\n".join(lines)


@click.group("requests")
def requests_group() -> None:
    """Explanations, corrections and leave requests, and their decisions."""


@requests_group.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only requests with this status.")
@click.option("--kind", type=click.Choice(KINDS), help="Only requests of this kind.")
@click.option("--employee", help="Only this employee.")
@click.option("--unit", help="Only people of this unit and the units below it.")
@click.option("--search", help="Part of a person's code or name.")
@click.option("--waiting-for", "waiting_for", metavar="USER", help="Only the pending requests waiting for this web user.")
@click.option("--from", "date_from", type=DATE, help="Requests about days on or after this one.")
@click.option("--to", "date_to", type=DATE, help="Requests about days on or before this one.")
@click.option("--format", "output_format", type=click.Choice(("table", "json", "csv")), default="table", show_default=True)
@pass_app
def requests_list(app: AppContext, status: str | None, kind: str | None, employee: str | None, unit: str | None,
                  search: str | None, waiting_for: str | None, date_from: date | None, date_to: date | None,
                  output_format: str) -> None:
    """List requests, newest first."""
    with app.store() as store:
        if waiting_for:
            rows = pending_for_approver(store, waiting_for)
        else:
            if employee:
                store.employee(employee)
            rows = store.requests_where(
                employee_codes=[employee] if employee else None,
                unit_codes=store.unit_and_below(unit) if unit else None,
                statuses=[status] if status else None, kinds=[kind] if kind else None,
                day_from=date_from, day_to=date_to, search=search, limit=100_000,
            )
    _echo_rows([listed(row) for row in rows], output_format)


@requests_group.command("show")
@click.argument("request_id", type=int)
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default="text", show_default=True)
@pass_app
def requests_show(app: AppContext, request_id: int, output_format: str) -> None:
    """One request: what it asks, its decision, files and audit trail."""
    with app.store() as store:
        row = listed(store.request(request_id))
        files = store.request_files(request_id)
        trail = list(reversed(store.audit_log("request", str(request_id))))
    if output_format == "json":
        click.echo(to_json({"request": row, "files": files, "audit": trail}))
        return
    for key in LIST_KEYS:
        if row[key] not in (None, ""):
            click.echo(f"{key:<17} {row[key]}")
    for item in files:
        click.echo(f"file              #{item['id']} {item['file_name']} ({item['content_type']}, {item['size']} bytes,"
                   f" sha256 {item['sha256']})")
    for entry in trail:
        click.echo(f"audit             {entry['at']} {entry['actor']} {entry['action']}"
                   + (f": {entry['reason']}" if entry["reason"] else ""))


def _decide(app: AppContext, request_ids: tuple[int, ...], approve: bool, comment: str | None) -> None:
    with app.store() as store:
        decided, refusals, judged = _desk(app, store).decide_many(cli_actor(app.actor), request_ids, approve=approve,
                                                                 comment=comment)
    verb = "approved" if approve else "rejected"
    for row in sorted(decided, key=lambda r: r["id"]):
        click.echo(f"Request #{row['id']} ({row['kind']}, {row['employee_code']}, {row['day_from']}) {verb}.")
    if judged is not None:
        click.echo(f"{judged.judged} day(s) judged again.")
    if refusals:
        if not decided and len(refusals) == 1:
            raise UserError(refusals[0].split(": ", 1)[1])
        for line in refusals:
            click.echo(f"Error: {line}", err=True)
        raise SystemExit(2)


@requests_group.command("approve")
@click.argument("request_ids", type=int, nargs=-1, required=True)
@click.option("--comment", help="The decider's comment (kept with the request).")
@pass_app
def requests_approve(app: AppContext, request_ids: tuple[int, ...], comment: str | None) -> None:
    """Approve pending requests; their days are judged again at once."""
    _decide(app, request_ids, True, comment)


@requests_group.command("reject")
@click.argument("request_ids", type=int, nargs=-1, required=True)
@click.option("--comment", required=True, help="Why (the person sees it).")
@pass_app
def requests_reject(app: AppContext, request_ids: tuple[int, ...], comment: str) -> None:
    """Reject pending requests, with a comment."""
    _decide(app, request_ids, False, comment)


@requests_group.command("revoke")
@click.argument("request_id", type=int)
@click.option("--reason", required=True, help="Why the approval was a mistake (kept in the audit trail).")
@pass_app
def requests_revoke(app: AppContext, request_id: int, reason: str) -> None:
    """Undo an approval given by mistake; its effects go and its days are judged again."""
    with app.store() as store:
        decision = _desk(app, store).revoke(cli_actor(app.actor), request_id, reason)
    click.echo(f"Request #{request_id} revoked; {decision.judged.judged if decision.judged else 0} day(s) judged again.")


@requests_group.command("withdraw")
@click.argument("request_id", type=int)
@pass_app
def requests_withdraw(app: AppContext, request_id: int) -> None:
    """Withdraw a pending request."""
    with app.store() as store:
        _desk(app, store).withdraw(cli_actor(app.actor), request_id)
    click.echo(f"Request #{request_id} withdrawn.")


@requests_group.command("attach")
@click.argument("request_id", type=int)
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@pass_app
def requests_attach(app: AppContext, request_id: int, file: Path) -> None:
    """Attach a PDF, JPEG or PNG to a pending request (kept beside the database by its SHA-256)."""
    with app.store() as store:
        file_id = _desk(app, store).attach(cli_actor(app.actor), request_id, file.name, file.read_bytes())
        row = store.request_file(file_id)
    click.echo(f"File #{file_id} {row['file_name']} attached to request #{request_id} (sha256 {row['sha256']}).")


def _filed(store, request_id: int) -> str:
    row = store.request(request_id)
    who = f"the manager of {row['approver_unit']}" if row["approver_unit"] else "HR"
    return f"Request #{request_id} filed ({row['kind']}, {row['employee_code']}, {row['day_from']}: {describe(row)}); pending, for {who}."


@click.command("explain")
@click.argument("employee")
@click.option("--date", "day", type=DATE, required=True, help="The judged day (2026-11-25 or 25/11/2026).")
@click.option("--reason", required=True, help="The explanation (giải trình).")
@click.option("--category", type=click.Choice(tuple(REASONS)), default="khac", show_default=True,
              help="cong_tac→CT, hop→H, hoc_tap→H, om→Ô, su_co_may (clock failure)→+, viec_rieng, khac.")
@click.option("--document", "document_no", help="Document number (số văn bản), e.g. 'QĐ 123/QĐ-SNV'.")
@click.option("--minutes", type=click.IntRange(min=1), help="Excuse only this many minutes (late, early, away).")
@click.option("--violation", type=click.Choice(VIOLATIONS), help="Which violation, when the day holds several.")
@click.option("--attach", "attachments", multiple=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A PDF, JPEG or PNG to keep with it (repeatable).")
@pass_app
def explain(app: AppContext, employee: str, day: date, reason: str, category: str, document_no: str | None,
            minutes: int | None, violation: str | None, attachments: tuple[Path, ...]) -> None:
    """File an explanation of EMPLOYEE's judged violation on a day (pending a decision)."""
    actor = cli_actor(app.actor)
    with app.store() as store:
        desk = _desk(app, store)
        request_id = desk.file(actor, Draft(employee, "explanation", day, reason, violation=violation, minutes=minutes,
                                            category=category, document_no=document_no))
        for path in attachments:
            desk.attach(actor, request_id, path.name, path.read_bytes())
        click.echo(_filed(store, request_id))


@click.command("correct")
@click.argument("employee")
@click.option("--date", "day", type=DATE, required=True, help="The day (2026-11-25 or 25/11/2026).")
@click.option("--in", "claimed_in", help="The arrival the clock missed, HH:MM[:SS].")
@click.option("--out", "claimed_out", help="The departure the clock missed, HH:MM[:SS].")
@click.option("--reason", required=True, help="Why (a forgotten card, the clock was offline, ...).")
@pass_app
def correct(app: AppContext, employee: str, day: date, claimed_in: str | None, claimed_out: str | None,
            reason: str) -> None:
    """File a correction of a missing or wrong arrival/departure (pending a decision)."""
    if not claimed_in and not claimed_out:
        raise UserError("give the arrival (--in HH:MM) or the departure (--out HH:MM) the clock missed")
    with app.store() as store:
        request_id = _desk(app, store).file(cli_actor(app.actor), Draft(
            employee, "correction", day, reason,
            claimed_in=parse_clock(claimed_in) if claimed_in else None,
            claimed_out=parse_clock(claimed_out) if claimed_out else None))
        click.echo(_filed(store, request_id))


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--passwords", "passwords_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the generated first passwords here (CSV: username,password) to hand out.")
@pass_app
def users_import(app: AppContext, file: Path, passwords_out: Path | None) -> None:
    """Staff accounts in bulk. Columns: username, employee, full_name (optional), password
    (optional: a random one is made and written to --passwords). Each must change the
    password at first login."""
    problems: list[tuple[int, str]] = []
    accounts = []
    for row in read_rows(file, USER_COLUMNS, ("username", "employee")):
        username, employee = row.values.get("username", ""), row.values.get("employee", "")
        if not username or not employee:
            problems.append((row.line, "needs username and employee"))
            continue
        accounts.append((row.line, username, employee, row.values.get("full_name") or None,
                         row.values.get("password", "")))
    generated = [a for a in accounts if not a[4]]
    if generated and passwords_out is None:
        raise UserError(f"{len(generated)} row(s) have no password: pass --passwords FILE to receive generated ones")
    if problems:
        raise InputFileError(f"{file}: {len(problems)} bad row(s): " + "; ".join(f"line {n}: {why}" for n, why in problems),
                             problems)
    made: list[tuple[str, str]] = []
    with app.store() as store, app.progress(len(accounts), "Adding staff accounts") as advance:
        for line, username, employee, full_name, password in accounts:
            password = password or secrets.token_urlsafe(9)
            try:
                store.add_user(username, password, role="staff", employee_code=employee, full_name=full_name,
                               actor=app.actor, must_change_password=True)
            except MonitorError as exc:
                # the accounts before this line stay: importing again skips nothing, so say where it stopped
                raise UserError(f"{file}:{line}: {exc} ({len(made)} account(s) before this line were added)") from None
            made.append((username, password))
            advance(1)
    if passwords_out is not None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(("username", "password"))
        writer.writerows(made)
        passwords_out.write_text(buffer.getvalue(), encoding="utf-8")
    click.echo(f"{len(made)} staff account(s) added; each must change the password at first login.")


def register(cli: click.Group) -> None:
    cli.add_command(requests_group)
    cli.add_command(explain)
    cli.add_command(correct)
    users = cli.commands.get("users")
    if isinstance(users, click.Group):
        users.add_command(users_import)
