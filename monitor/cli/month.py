"""``monitor month status|submit|confirm|approve|lock|reopen``: closing the month per unit."""

from __future__ import annotations

import json
from typing import Any

import click

from monitor.cli import AppContext, UserError, pass_app
from monitor.reports.period import Month
from monitor.reports.sign_off import Signature
from monitor.service.month_close import (
    STEPS,
    UnitMonth,
    month_overview,
    steps_for_all,
    take_step,
)

month_option = click.option("--month", "month_text", required=True, help="YYYY-MM.")
as_option = click.option(
    "--as", "username", envvar="MONITOR_USER",
    help="The web user acting (their role decides what they may do, their name goes on the timesheet); default $MONITOR_USER.",
)


@click.group()
def month() -> None:
    """Close a unit's month: open → submitted → confirmed → approved → locked (and reopen)."""


def _signed(signature: Signature | None) -> str:
    return f"{signature.name} {signature.at:%d/%m/%Y %H:%M}" if signature else "-"


def _as_dict(item: UnitMonth) -> dict[str, Any]:
    signed = item.sign_off
    return {
        "unit": item.unit,
        "name": item.name,
        "state": item.state,
        **{slot: None if getattr(signed, slot) is None else {
            "name": getattr(signed, slot).name, "username": getattr(signed, slot).username,
            "at": getattr(signed, slot).at.isoformat()}
           for slot in ("submitted", "confirmed", "approved", "locked")},
        "chain_head": signed.chain_head,
        "pending": [{"kind": p.kind, "count": p.count, "detail": p.detail, "blocking": p.blocking} for p in item.pending],
        "waiting": item.waiting,
        "after_lock": [{"employee": p["employee_code"], "punched_at": p["punched_at"], "device": p["device_id"],
                        "received_at": p["received_at"]} for p in item.after_lock],
        "history": [{k: step[k] for k in ("step", "from_state", "to_state", "username", "at", "reason")} for step in item.history],
    }


@month.command("status")
@month_option
@click.option("--unit", help="Only this unit (default: every unit).")
@click.option("--format", "output_format", type=click.Choice(("table", "json")), default="table", show_default=True)
@pass_app
def month_status(app: AppContext, month_text: str, unit: str | None, output_format: str) -> None:
    """Each unit's state, who signed and when, what is still pending, and punches that
    arrived after the lock."""
    month_value = Month.parse(month_text)
    with app.store() as store:
        if unit:
            store.require_unit(unit)
        overview = month_overview(store, month_value, {unit} if unit else None)
    if output_format == "json":
        click.echo(json.dumps([_as_dict(item) for item in overview], ensure_ascii=False, indent=2))
        return
    for item in overview:
        signed = item.sign_off
        click.echo(f"{item.unit}  {item.name}  {month_value}: {item.state}")
        click.echo(f"  submitted {_signed(signed.submitted)} · confirmed {_signed(signed.confirmed)}"
                   f" · approved {_signed(signed.approved)} · locked {_signed(signed.locked)}")
        if signed.chain_head:
            click.echo(f"  punch log chain head at the lock: {signed.chain_head}")
        for pending in item.pending:
            click.echo(f"  {'pending' if pending.blocking else 'note'}: {pending.detail}")
        if item.waiting:
            click.echo(f"  {item.waiting} employee-day(s) changed since the lock: judged again when reopened")
        if item.after_lock:
            click.echo(f"  {len(item.after_lock)} punch(es) arrived after the lock (applied when reopened):")
            for punch in item.after_lock[:20]:
                click.echo(f"    {punch['employee_code']} {punch['punched_at']} on {punch['device_id']}"
                           f" (stored {punch['received_at']})")


def _step_command(step: str, help_text: str) -> click.Command:
    @click.command(step, help=help_text)
    @month_option
    @click.option("--unit", help="The unit (default: every unit ready for this step that you may act on).")
    @click.option("--reason", help="Why (required to reopen; kept in the audit trail).")
    @as_option
    @pass_app
    def command(app: AppContext, month_text: str, unit: str | None, reason: str | None, username: str | None) -> None:
        if not username:
            raise UserError("say who is acting: --as USERNAME (a web user; their role decides what they may do)")
        month_value = Month.parse(month_text)
        today = app.now().date()
        with app.store() as store:
            if unit:
                done = [take_step(store, step, unit, month_value, username, today=today, reason=reason)]
                skipped: list[str] = []
            else:
                done, skipped = steps_for_all(store, step, month_value, username, today=today, reason=reason)
        for result in done:
            click.echo(f"{result.unit} {result.month}: {result.to_state} ({step} by {username} at {result.at}).")
        for why in skipped:
            click.echo(f"not done: {why}", err=True)
        if skipped and not done:
            raise SystemExit(2)

    return command


HELP = {
    "submit": "Submit the month (a timekeeper of the unit or HR), once it is over and nothing is pending.",
    "confirm": "Confirm a submitted month (the unit head: a manager of the unit).",
    "approve": "Approve a confirmed month (HR, or the head of a unit above; not the one who confirmed).",
    "lock": "Lock an approved month (HR or admin): its judged days never change until it is reopened.",
    "reopen": "Reopen a month (HR or admin) with --reason; it goes back to open and keeps its history.",
}


def register(cli: click.Group) -> None:
    for step in STEPS:
        month.add_command(_step_command(step, HELP[step]))
    cli.add_command(month)
