"""The ``monitor`` console command (click).

Each area lives in its own module and registers its commands on the root group;
:data:`COMMAND_MODULES` lists them. Errors users can cause (:class:`MonitorError` and
driver errors) end as one line on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import click

from drivers.base import DriverError
from monitor.config import Config, load_config
from monitor.engine.clock import in_zone
from monitor.errors import ConfigError, MonitorError
from monitor.store.base import DatabaseFailure, storage_error

COMMAND_MODULES = [
    "monitor.cli.setup",
    "monitor.cli.imports",
    "monitor.cli.punches",
    "monitor.cli.demo",
    "monitor.cli.serve",
    "monitor.cli.run",
    "monitor.cli.devices",
    "monitor.cli.simulate",
    "monitor.cli.serial_devices",
    "monitor.cli.simulate_serial",
    "monitor.cli.leave",
    "monitor.cli.evaluate",
    "monitor.cli.export",
    "monitor.cli.push",
    "monitor.cli.month",
    "monitor.cli.notify",
    "monitor.cli.requests",
    "monitor.cli.users",
    "monitor.cli.calendar",
    "monitor.cli.rollcall",
    "monitor.cli.reliability",
]


class UserError(click.ClickException):
    """One line on stderr, exit code 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


class MonitorGroup(click.Group):
    """A group that turns our exceptions into :class:`UserError`."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            if len(exc.problems) == 1:
                raise UserError(exc.problems[0]) from None
            raise UserError(f"{len(exc.problems)} problems in the config:\n  " + "\n  ".join(exc.problems)) from None
        except (MonitorError, DriverError) as exc:
            raise UserError(str(exc)) from None
        except DatabaseFailure as exc:
            # a fault met outside a write (a damaged page on a read): still one line
            raise UserError(str(storage_error(exc, ctx.obj.config.storage.database))) from None
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


class AppContext:
    """What every command needs: the config (read once, on first use), the store, the clock."""

    def __init__(
        self,
        config_path: str | os.PathLike[str] | None = None,
        *,
        quiet: bool = False,
        now: Callable[[], datetime] | None = None,
    ):
        self.config_path = config_path
        self.quiet = quiet
        fixed = os.environ.get("MONITOR_NOW")
        if now is None and fixed:
            # for demos and end-to-end tests: a frozen clock, ISO-8601 local time
            moment = datetime.fromisoformat(fixed)
            now = lambda: moment  # noqa: E731
        self._now = now

    @property
    def clock(self) -> Callable[[], datetime] | None:
        """The injected clock (``None``: the wall clock), to hand to other components."""
        return self._now

    @cached_property
    def config(self) -> Config:
        return load_config(self.config_path, required=False)

    def now(self) -> datetime:
        """Aware current time in the site's zone."""
        zone = self.config.site.zone
        return in_zone(self._now() if self._now else datetime.now(zone), zone)

    def store(self, *, create: bool = False):
        """The database with the site's key (heads written from the CLI are signed)."""
        from monitor.service.keys import open_store

        return open_store(self.config, now=self.now, create=create)

    @property
    def actor(self) -> str:
        """Who is making a change from the command line, for the audit trail."""
        return os.environ.get("MONITOR_ACTOR") or f"cli:{_login_name()}"

    @contextmanager
    def progress(self, length: int | None, label: str) -> Iterator[Callable[[int], None]]:
        """A click progress bar on a terminal; silent with --quiet or when piped."""
        if self.quiet or not sys.stderr.isatty():
            yield lambda n: None
            return
        with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
            yield bar.update


def _login_name() -> str:
    try:
        return os.getlogin()
    except OSError:
        import getpass

        try:
            return getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name in some service contexts
            return "unknown"


pass_app = click.make_pass_decorator(AppContext)


@click.group(cls=MonitorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="MONITOR_CONFIG",
    help="Config file (default: ./config.toml, or $MONITOR_CONFIG).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@click.version_option(package_name="attendance-monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, quiet: bool) -> None:
    """Attendance monitor: collect time-clock punches, judge office hours, report per unit."""
    if ctx.obj is None:
        ctx.obj = AppContext(config_path, quiet=quiet)
    else:
        # tests hand in an AppContext with an injected clock
        if config_path is not None:
            ctx.obj.config_path = config_path
        ctx.obj.quiet = ctx.obj.quiet or quiet


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(cli)


def main() -> None:
    cli(prog_name="monitor")
