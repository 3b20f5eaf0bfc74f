"""``monitor serve``: the web site under waitress (Windows and Linux alike)."""

from __future__ import annotations

import logging
import signal

import click

from monitor.cli import AppContext, UserError, pass_app


@click.command()
@click.option("--host", help="Address to listen on (default: [web] host, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: [web] port, 8080).")
@pass_app
def serve(app: AppContext, host: str | None, port: int | None) -> None:
    """Serve the web site. It reads the database the collector writes; it never opens a serial port."""
    from waitress import serve as waitress_serve

    from web import create_app

    config = app.config
    with app.store() as store:
        store.quick_check()  # refuse a damaged file before serving pages from it
    web_app = create_app(config, now=app.clock)
    web_app.extensions["exports"].warm()  # the export worker starts now, not with the first timesheet
    host = host or config.web.host
    port = port or config.web.port
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"Serving {config.site.name} on http://{host}:{port}/ (Ctrl+C to stop)", err=True)
    # SIGTERM (systemd, a service manager, kill) stops like Ctrl+C: waitress closes its
    # sockets on SystemExit, and the export workers are stopped rather than left orphaned
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        waitress_serve(web_app, host=host, port=port, threads=config.web.threads, ident="attendance-monitor")
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (another program has the port? use --port)") from None
    finally:
        web_app.extensions["exports"].shutdown()
    click.echo("Stopped.", err=True)


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def register(cli: click.Group) -> None:
    cli.add_command(serve)
