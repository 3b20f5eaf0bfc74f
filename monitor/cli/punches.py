"""``monitor punches ...`` and ``monitor verify``."""

from __future__ import annotations

import json

import click

from monitor.cli import AppContext, pass_app


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
@pass_app
def verify(app: AppContext) -> None:
    """Check the punch log's hash chain: any edited, deleted or inserted row is named."""
    with app.store() as store:
        total = store.punch_count()
        with app.progress(total, "Verifying") as advance:
            report = store.verify_chain(progress=advance)
    if report.ok:
        click.echo(f"OK: {report.rows} punches, hash chain intact.")
        return
    click.echo(f"TAMPERED: {report.problem}. {report.rows} rows before it verify.", err=True)
    raise SystemExit(1)


def register(cli: click.Group) -> None:
    cli.add_command(punches)
    cli.add_command(verify)
