"""``monitor users list|disable|enable|set-role|sessions``: managing web users after
``users add`` (the commands join the ``users`` group of :mod:`monitor.cli.setup`).

Disabling a user, changing their role or units, and a new password end every web
session they have open, at once.
"""

from __future__ import annotations

import click

from monitor.cli import AppContext, pass_app
from monitor.store import ROLES


@click.command("list")
@pass_app
def users_list(app: AppContext) -> None:
    """List web users: role, units, whether active, open sessions."""
    with app.store() as store:
        sessions = store.open_session_counts()
        for user in store.users():
            units = ",".join(user["units"]) or "-"
            state = "active" if user["active"] else "disabled"
            click.echo(f"{user['username']:<16} {user['role']:<8} {state:<8} {sessions.get(user['username'], 0):>3} session(s)"
                       f"  {units:<20} {user['full_name'] or ''}".rstrip())


@click.command("disable")
@click.argument("username")
@click.option("--reason", help="Why, for the audit trail.")
@pass_app
def users_disable(app: AppContext, username: str, reason: str | None) -> None:
    """Disable a user: they cannot log in, and their open sessions end now."""
    with app.store() as store:
        changed = store.set_user_active(username, False, actor=app.actor, reason=reason)
    click.echo(f"User {username!r} disabled; their web sessions have ended." if changed else f"User {username!r} was already disabled.")


@click.command("enable")
@click.argument("username")
@click.option("--reason", help="Why, for the audit trail.")
@pass_app
def users_enable(app: AppContext, username: str, reason: str | None) -> None:
    """Let a disabled user log in again."""
    with app.store() as store:
        changed = store.set_user_active(username, True, actor=app.actor, reason=reason)
    click.echo(f"User {username!r} enabled." if changed else f"User {username!r} was already active.")


@click.command("set-role")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--unit", "units", multiple=True, help="Unit code a manager is responsible for (repeatable).")
@click.option("--reason", help="Why, for the audit trail.")
@pass_app
def users_set_role(app: AppContext, username: str, role: str, units: tuple[str, ...], reason: str | None) -> None:
    """Give a user another role or other units; their open sessions end now."""
    with app.store() as store:
        changed = store.set_user_role(username, role, units, actor=app.actor, roles=ROLES, reason=reason)
    shown = f"{role}{' of ' + ', '.join(sorted(set(units))) if role == 'manager' else ''}"
    click.echo(f"User {username!r} is now {shown}; their web sessions have ended." if changed
               else f"User {username!r} already is {shown}.")


@click.command("sessions")
@click.argument("username")
@click.option("--end", "end_all", is_flag=True, help="End every open session of the user.")
@pass_app
def users_sessions(app: AppContext, username: str, end_all: bool) -> None:
    """A user's web sessions (open first); --end ends the open ones."""
    with app.store() as store:
        store.user(username)
        if end_all:
            ended = store.end_user_sessions(username, actor=app.actor, reason="ended from the command line",
                                             audited=True)
            click.echo(f"{ended} session(s) of {username!r} ended.")
            return
        rows = store.user_sessions(username)
    if not rows:
        click.echo(f"{username!r} has no web sessions.")
    for row in rows:
        state = f"ended {row['ended_at']} ({row['ended_reason']})" if row["ended_at"] else f"open, last seen {row['last_seen_at']}"
        click.echo(f"{row['id'][:12]}  from {row['address'] or '?':<15} since {row['created_at']}  {state}")


def register(cli: click.Group) -> None:
    group: click.Group = cli.commands["users"]  # type: ignore[assignment]  # made by monitor.cli.setup
    for command in (users_list, users_disable, users_enable, users_set_role, users_sessions):
        group.add_command(command)
