"""Clocks that push: ``monitor receive``, ``monitor devices push-list|accept|reject|
backfill|info|reboot`` and ``monitor simulate adms``."""

from __future__ import annotations

import json
import signal
import threading
import click

from monitor.cli import AppContext, UserError, pass_app
from monitor.cli.devices import devices
from monitor.cli.simulate import simulate


@click.command()
@click.option("--host", help="Address to listen on (default: [push] host).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: [push] port, 8081).")
@click.option("-v", "--verbose", is_flag=True, help="Log every clock's first call and every refusal (default: problems only).")
@pass_app
def receive(app: AppContext, host: str | None, port: int | None, verbose: bool) -> None:
    """Receive ZKTeco clocks that push (ADMS / iclock) until stopped. 'monitor run'
    does the same beside the collector when [push] is configured."""
    import logging

    from monitor.service.push_receiver import ReceiverServer

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app.store().close()  # fail now, with the fix, if the database is missing
    server = ReceiverServer(app.config, now=app.clock, host=host, port=port)
    previous = signal.signal(signal.SIGTERM, lambda *_: server.stopping.set())
    click.echo(f"Receiving push clocks on {server.url}/iclock/ (Ctrl+C stops)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
        click.echo(server.receiver.times.summary(), err=True)


# --- devices ------------------------------------------------------------------------------


@devices.command("push-list")
@click.option("--state", type=click.Choice(["waiting", "accepted", "rejected"]), help="Only clocks in this state.")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@pass_app
def push_list(app: AppContext, state: str | None, as_json: bool) -> None:
    """Clocks that called in by serial number: waiting for approval, accepted, rejected."""
    with app.store() as store:
        rows = store.push_devices(state)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No push clock has called in yet (point a clock's Cloud Server Setting at the receiver; see docs/adms.md).")
        return
    for row in rows:
        device = row["device_id"] or "-"
        held = f", holds {row['held_uploads']} upload(s)" if row["held_uploads"] else ""
        click.echo(f"{row['sn']:<20} {row['state']:<9} {device:<16} last call {row['last_seen_at']} "
                   f"from {row['last_address'] or '?'}{held}")


@devices.command("accept")
@click.argument("sn")
@click.option("--id", "device_id", required=True, help="The device id its punches will carry (letters, digits, '-', '_', '.').")
@click.option("--unit", required=True, help="The unit code the clock belongs to.")
@click.option("--comm-key", help="From now on the clock must send this ComKey (set the same on the clock).")
@click.option("--reason", help="Why, for the audit trail.")
@pass_app
def accept(app: AppContext, sn: str, device_id: str, unit: str, comm_key: str | None, reason: str | None) -> None:
    """Accept a push clock that is waiting for approval; what it sent meanwhile is stored."""
    from monitor.service.push_devices import accept as accept_clock

    with app.store() as store:
        done = accept_clock(store, app.config.push, sn, device_id, unit, comm_key=comm_key, actor=app.actor,
                            today=app.now().date(), reason=reason)
    stored = done.stored
    click.echo(f"Accepted {sn} as {device_id} in {unit}.")
    click.echo(f"Stored what it sent while waiting ({done.held_uploads} upload(s)): {stored.new} new punch(es), "
               f"{stored.existing} already stored, {stored.operations} operation(s), {len(stored.refused)} line(s) refused.")
    if stored.unknown_users:
        sample = ", ".join(sorted(stored.unknown_users, key=lambda u: (len(u), u))[:10])
        click.echo(f"{len(stored.unknown_users)} device user id(s) have no employee yet: {sample} "
                   f"(see 'monitor punches unknown')")


@devices.command("reject")
@click.argument("sn")
@click.option("--reason", required=True, help="Why, for the audit trail.")
@pass_app
def reject(app: AppContext, sn: str, reason: str) -> None:
    """Reject a push clock: what it sent while waiting is discarded, later calls are refused."""
    from monitor.service.push_devices import reject as reject_clock

    with app.store() as store:
        discarded = reject_clock(store, sn, reason=reason, actor=app.actor)
    click.echo(f"Rejected {sn}; {discarded} held upload(s) discarded.")


@devices.command("backfill")
@click.argument("device_id")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Last day, YYYY-MM-DD.")
@pass_app
def backfill(app: AppContext, device_id: str, first, last) -> None:
    """Ask a push clock to post the punches of a period again (after an outage)."""
    from monitor.service.push_devices import backfill as queue_backfill

    with app.store() as store:
        command_id = queue_backfill(store, device_id, first.date(), last.date(), actor=app.actor)
    click.echo(f"Queued request {command_id}: {device_id} posts its punches of {first:%Y-%m-%d}..{last:%Y-%m-%d} "
               "again on its next heartbeat; punches already stored are kept once.")


def _ask(app: AppContext, device_id: str, request: str, what: str) -> None:
    from monitor.service.push_devices import ask

    with app.store() as store:
        command_id = ask(store, device_id, request, actor=app.actor)
    click.echo(f"Queued request {command_id}: {device_id} {what} on its next heartbeat "
               f"(the result shows on the devices page).")


@devices.command("info")
@click.argument("device_id")
@pass_app
def info(app: AppContext, device_id: str) -> None:
    """Ask a push clock to describe itself (firmware, counts)."""
    _ask(app, device_id, "info", "describes itself")


@devices.command("reboot")
@click.argument("device_id")
@pass_app
def reboot(app: AppContext, device_id: str) -> None:
    """Ask a push clock to restart."""
    _ask(app, device_id, "reboot", "restarts")


# --- simulate -----------------------------------------------------------------------------


@simulate.command("adms")
@click.option("--server", required=True, metavar="URL", help="The receiver, e.g. http://127.0.0.1:8081")
@click.option("--sn", default="SIMADMS00001", show_default=True, help="The clock's serial number.")
@click.option("--users", type=click.IntRange(0, 65000), default=20, show_default=True, help="Users to generate.")
@click.option("--records", type=click.IntRange(0), default=0, show_default=True, help="Old punches to upload first.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same users and punches.")
@click.option("--punch-every", type=click.FloatRange(0), default=60.0, show_default=True,
              help="Mean seconds between punches (0: none).")
@click.option("--pace", type=click.FloatRange(0.01), default=1.0, show_default=True, help="Run this many times faster.")
@click.option("--comm-key", help="Send this ComKey with every request.")
@click.option("--clock-offset", type=float, default=0.0, show_default=True, help="Seconds the clock is ahead (negative: behind).")
@click.option("--crlf", is_flag=True, help="End upload lines with CR LF.")
@click.option("--garbage-every", type=click.IntRange(0), default=0, help="Fault: a line the server must refuse after every N punches.")
@click.option("--duplicate-uploads", is_flag=True, help="Fault: post every upload twice.")
@pass_app
def simulate_adms(app: AppContext, server: str, sn: str, users: int, records: int, seed: int, punch_every: float,
                  pace: float, comm_key: str | None, clock_offset: float, crlf: bool, garbage_every: int,
                  duplicate_uploads: bool) -> None:
    """A virtual ZKTeco clock that pushes to a receiver: init, heartbeats, realtime and
    batch uploads; obeys DATA QUERY and time sets; resends on error. Ctrl+C stops."""
    from drivers.simulators.adms import Dialect, PushFaults, run
    from monitor.service.ingest import local_naive

    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"Simulated push clock {sn} ({users} users, {records} old punches) calling {server} (Ctrl+C stops)")
    try:
        clock = run(server, sn, stop, users=users, records=records, seed=seed, now=local_naive(app.now),
                    punch_every=punch_every, pace=pace, clock_offset=clock_offset, comkey=comm_key,
                    dialect=Dialect(line_ending="\r\n" if crlf else "\n"),
                    faults=PushFaults(garbage_every=garbage_every, duplicate_uploads=duplicate_uploads),
                    report=click.echo)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    except KeyboardInterrupt:
        return
    finally:
        signal.signal(signal.SIGTERM, previous)
    stats = clock.stats
    click.echo(f"{stats.requests} request(s), {stats.failures} failed, {stats.records_acknowledged} record(s) acknowledged")


def register(cli: click.Group) -> None:
    cli.add_command(receive)

