"""``monitor punches ...`` and ``monitor verify``."""

from __future__ import annotations

import json

import click

from monitor.cli import AppContext, pass_app
from monitor.store import DatabaseFailure


@click.group()
def punches() -> None:
    """Look at the raw punch log."""


@punches.command("unknown")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_app
def punches_unknown(app: AppContext, output: str) -> None:
    """Device user ids that have punches but no enrollment yet.

    Import an enrollments file mapping them to employees; their stored punches are
    attached at once.
    """
    with app.store() as store:
        rows = store.unknown_punches()
    if output == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("Every stored punch belongs to an enrolled employee.")
        return
    click.echo(f"{'device':<16} {'user id':<12} {'punches':>8}  first                      last")
    for row in rows:
        click.echo(
            f"{row['device_id']:<16} {row['device_user_id']:<12} {row['punches']:>8}  {row['first']}  {row['last']}"
        )
    click.echo(f"{len(rows)} unknown id(s), {sum(r['punches'] for r in rows)} punches.")


@click.command()
@click.option("--head", "show_head", is_flag=True,
              help="Print the current head (both logs' last rows) to write on a signed timesheet or mail.")
@click.option("--expect", metavar="HEAD", help="Also check that the logs still extend a head printed earlier by --head.")
@pass_app
def verify(app: AppContext, show_head: bool, expect: str | None) -> None:
    """Check, in one consistent snapshot, the database file, the punch log's hash chain,
    the audit trail's chain, their signed heads and the signed digests of enrollments,
    units, employees, users and leave: anything edited, deleted, inserted or appended by
    hand is named. Exit code 1 when something is wrong."""
    with app.store() as store:
        if show_head:
            click.echo(store.current_head())
            return
        try:
            total = store.punch_count()
        except DatabaseFailure:
            total = None  # a damaged file: the check below names the damage
        with app.progress(total, "Verifying") as advance:
            report = store.verify_integrity(expect=expect, progress=advance)
    if report.ok:
        click.echo(f"OK: {report.punches} punches, hash chain intact.")
        click.echo(f"OK: {report.audit_rows} audit records, audit chain intact; database file intact.")
        if expect:
            click.echo(f"OK: the logs extend the expected head {expect}.")
        if not report.keyed:
            click.echo(f"Note: no key file ({app.config.storage.key_file}): signatures were not checked.", err=True)
        click.echo(f"Head: {report.head}")
        return
    for finding in report.findings:
        verdict = "DAMAGED" if finding.where == "database" else "TAMPERED"
        click.echo(f"{verdict}: {finding.problem}.", err=True)
    click.echo(f"{len(report.findings)} problem(s); {report.punches} punches verify before the first.", err=True)
    raise SystemExit(1)


def register(cli: click.Group) -> None:
    cli.add_command(punches)
    cli.add_command(verify)
