"""``monitor init``, ``monitor config check`` and ``monitor users``."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import AppContext, UserError, pass_app
from monitor.config import load_config
from monitor.errors import ConfigError
from monitor.store import ROLES


def _read_password(password_file: Path | None, prompt: str) -> str:
    if password_file is not None:
        try:
            text = password_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot read the password file {password_file}: {exc.strerror}") from None
        password = text.splitlines()[0] if text else ""
        if not password:
            raise UserError(f"the password file {password_file} is empty")
        return password
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


@click.command()
@click.option("--admin", "admin_name", default="admin", show_default=True, help="Name of the first admin user.")
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the admin password from the first line of this file instead of prompting.",
)
@pass_app
def init(app: AppContext, admin_name: str, password_file: Path | None) -> None:
    """Create the database (safe to run again), the site's key file and the first admin user."""
    from monitor.service.keys import create_key

    key_file = app.config.storage.key_file
    made_key = create_key(key_file)
    store = app.store(create=True)
    try:
        if made_key:
            click.echo(f"Key file created at {key_file} (readable only by you; keep a copy apart from the backups).")
            _sign_existing(store)
        if store.admin_count():
            click.echo(f"Database ready at {store.path} (an admin user already exists).")
            return
        password = _read_password(password_file, f"Password for {admin_name}")
        store.add_user(admin_name, password, role="admin", actor=app.actor)
        click.echo(f"Database created at {store.path}; admin user {admin_name!r} added.")
    finally:
        store.close()


def _sign_existing(store) -> None:
    """A new key on a database that already holds data: sign its heads, but only once
    its chains verify (signing blesses what is there)."""
    report = store.verify_integrity()
    unsigned_only = all("not signed" in finding.problem for finding in report.findings)
    if report.findings and not unsigned_only:
        problems = "; ".join(finding.problem for finding in report.findings)
        raise UserError(f"the database does not verify, so its heads were not signed with the new key: {problems}")
    store.sign_heads()


@click.group()
def config() -> None:
    """Check the configuration file."""


@config.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def config_check(ctx: click.Context, file: Path | None) -> None:
    """Validate FILE (default: the --config file) and list every problem at once."""
    app: AppContext = ctx.obj
    target = file or app.config_path or Path("config.toml")
    try:
        loaded = load_config(target)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        noun = "problem" if len(exc.problems) == 1 else "problems"
        click.echo(f"{target}: {len(exc.problems)} {noun}.", err=True)
        ctx.exit(2)
    click.echo(
        f"{target}: OK ({len(loaded.devices)} device(s), database {loaded.storage.database}, zone {loaded.site.timezone})"
    )


@click.group()
def users() -> None:
    """Web users: admin, hr, manager, timekeeper (a manager or timekeeper sees only their units), staff (one employee's own days)."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--unit", "units", multiple=True, help="Unit code a manager or timekeeper is responsible for (repeatable).")
@click.option("--name", "full_name", help="Full name, shown on pages.")
@click.option("--email", help="E-mail address for digests, alerts and reminders (see 'monitor users set').")
@click.option("--employee", "employee_code", help="The employee this account is (required for staff; for a manager, their own requests go to the unit above).")
@click.option("--password-file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def users_add(app: AppContext, username: str, role: str, units: tuple[str, ...], full_name: str | None, email: str | None,
              employee_code: str | None, password_file: Path | None) -> None:
    """Add a web user."""
    from monitor.store.notify import check_email

    store = app.store()
    try:
        if email:
            check_email(email, "--email")  # before the user is added, not after
        password = _read_password(password_file, f"Password for {username}")
        store.add_user(username, password, role=role, units=units, full_name=full_name, actor=app.actor,
                       employee_code=employee_code)
        if email:
            store.set_user_contact(username, email=email, actor=app.actor)
    finally:
        store.close()
    click.echo(f"User {username!r} added ({role}).")


@users.command("passwd")
@click.argument("username")
@click.option("--password-file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def users_passwd(app: AppContext, username: str, password_file: Path | None) -> None:
    """Set a user's password."""
    store = app.store()
    try:
        store.user(username)  # before the prompt: no password typed for nobody
        password = _read_password(password_file, f"New password for {username}")
        store.set_password(username, password, actor=app.actor)
    finally:
        store.close()
    click.echo(f"Password of {username!r} changed; their web sessions have ended.")


def register(cli: click.Group) -> None:
    cli.add_command(init)
    cli.add_command(config)
    cli.add_command(users)
