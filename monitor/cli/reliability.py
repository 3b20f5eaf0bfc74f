"""``monitor backup``, ``monitor restore`` and ``monitor devices status``."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import AppContext, pass_app


@click.command()
@click.argument("destination", required=False, type=click.Path(path_type=Path))
@pass_app
def backup(app: AppContext, destination: Path | None) -> None:
    """Copy the database to DESTINATION (a new file, or a folder for a dated file;
    default: [storage] backup_dir) while the collector and the site go on running."""
    from monitor.service.backup import take_backup

    target = destination or app.config.storage.backup_dir
    if destination is None:
        target.mkdir(parents=True, exist_ok=True)
    with app.store() as store, app.progress(None, "Copying") as advance:
        done = [0]

        def progress(copied: int, total: int) -> None:
            advance(copied - done[0])
            done[0] = copied

        result = take_backup(store, target, app.now(), progress)
    click.echo(f"Backup written to {result.path} ({result.size:,} bytes).")


@click.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def restore(app: AppContext, source: Path) -> None:
    """Verify the backup SOURCE and put it in place of the database (stop 'monitor run'
    and 'monitor serve' first). The replaced file is kept beside it."""
    from monitor.service.backup import restore as restore_backup

    result = restore_backup(app.config, source, app.now())
    kept = f"; the replaced database is kept as {result.kept}" if result.kept else ""
    click.echo(f"Restored {source}: {result.report.punches} punches and {result.report.audit_rows} audit records verified{kept}.")
    click.echo(f"Head: {result.report.head}")


@click.command("status")
@pass_app
def devices_status(app: AppContext) -> None:
    """Each configured device's status as the collector recorded it, corrected by its
    heartbeat ("collector not running") and the spool ("degraded")."""
    from monitor.service.health import collector_state, device_health

    config = app.config
    now = app.now()
    with app.store() as store:
        rows = {row["id"]: row for row in store.device_rows()}
        collector = collector_state(store, now)
        overrides = device_health(store, config, now)
    click.echo(f"collector: {collector.describe()}")
    for device in config.devices:
        row = {**rows.get(device.id, {}), **overrides.get(device.id, {})}
        status = row.get("status") or "unknown"
        if not device.enabled:
            status = "disabled"
        reason = row.get("status_reason") or ""
        click.echo(f"{device.id:<20} {status:<22} {reason}".rstrip())


def register(cli: click.Group) -> None:
    cli.add_command(backup)
    cli.add_command(restore)
    cli.commands["devices"].add_command(devices_status)  # type: ignore[attr-defined]
