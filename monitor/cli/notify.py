"""``monitor notify test|preview|log|run-due`` and ``monitor users set`` (e-mail, language, opt-outs)."""

from __future__ import annotations

from datetime import date

import click

from monitor.cli import AppContext, UserError, pass_app
from monitor.reports.render import to_json
from monitor.store.notify import NOTIFY_KINDS, STATUSES


@click.group("notify")
def notify_group() -> None:
    """E-mail and webhook notifications: test the mail server, preview a digest, read the log."""


def _notifier(app: AppContext):
    from monitor.service.notify.notifier import Notifier

    return Notifier(app.config, now=app.now)


@notify_group.command("test")
@click.option("--to", "address", required=True, help="Send a test message to this address.")
@click.option("--lang", type=click.Choice(("vi", "en")), help="Language of the message (default: [notify] language).")
@pass_app
def notify_test(app: AppContext, address: str, lang: str | None) -> None:
    """Send a test e-mail now through [notify.smtp] and say what the server answered."""
    from monitor.store.notify import check_email

    check_email(address, "--to")
    smtp = app.config.notify.smtp
    if not smtp.host:
        raise UserError(f"e-mail is not set up: add [notify.smtp] with host and sender to {app.config.path or 'config.toml'}")
    status, error = _notifier(app).send_test(address, language=lang)
    if status != "sent":
        raise UserError(f"the test message to {address} was not sent: {error}")
    click.echo(f"Sent a test message to {address} through {smtp.host}:{smtp.port} ({smtp.security}).")


@notify_group.command("preview")
@click.option("--unit", "unit_code", required=True, help="Unit code: the digest covers it and the units below it.")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), help="The day (default: today).")
@click.option("--variant", type=click.Choice(("morning", "afternoon")), default="morning", show_default=True)
@click.option("--lang", type=click.Choice(("vi", "en")), help="Language (default: [notify] language).")
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the text.")
@pass_app
def notify_preview(app: AppContext, unit_code: str, day, variant: str, lang: str | None, as_html: bool) -> None:
    """Print a unit's digest as it would be sent; nothing is sent or recorded."""
    chosen: date = day.date() if day else app.now().date()
    message, note = _notifier(app).preview(unit_code, chosen, variant, language=lang)
    if message is None:
        click.echo(note)
        return
    click.echo(f"Subject: {message.subject}", nl=True)
    click.echo(f"({note})\n")
    click.echo(message.html if as_html else message.text, nl=False)


@notify_group.command("log")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@click.option("--kind", type=click.Choice((*NOTIFY_KINDS, "test")), help="Only this kind.")
@click.option("--status", type=click.Choice(STATUSES), help="Only this status.")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
@pass_app
def notify_log(app: AppContext, limit: int, kind: str | None, status: str | None, fmt: str) -> None:
    """Every notification: what, to whom, when, and what came of it."""
    with app.store() as store:
        rows = store.notification_log(limit=limit, kind=kind, status=status)
    if fmt == "json":
        click.echo(to_json(rows))
        return
    if not rows:
        click.echo("No notifications yet.")
        return
    for row in rows:
        when = (row["sent_at"] or row["created_at"])[:16].replace("T", " ")
        to = row["address"] or row["recipient"]
        line = f"{when}  {row['status']:<9} {row['kind']:<16} {to:<32} {row['subject']}"
        if row["error"]:
            line += f"\n{'':>18}{row['error']}"
        click.echo(line)


@notify_group.command("run-due")
@pass_app
def notify_run_due(app: AppContext) -> None:
    """Send what is due now, as the collector does every minute (for cron, or a check)."""
    if not app.config.notify.enabled:
        raise UserError("notifications are off: add a [notify] section to the config (see config.example.toml)")
    report = _notifier(app).tick()
    sent = report.sent
    click.echo(
        f"Queued {report.digests} digest(s), {report.weekly} weekly, {report.reminders} reminder(s), {report.alerts} alert(s);"
        f" sent {sent.sent}, to retry {sent.retry}, failed {sent.failed}."
    )
    for error in sent.errors:
        click.echo(f"  {error}", err=True)


@click.command("set")
@click.argument("username")
@click.option("--email", help="E-mail address for digests, alerts and reminders.")
@click.option("--no-email", is_flag=True, help="Remove the e-mail address.")
@click.option("--language", type=click.Choice(("vi", "en")), help="Language of the messages.")
@click.option("--opt-out", "opt_out", multiple=True, type=click.Choice(NOTIFY_KINDS), help="Stop a kind of message (repeatable).")
@click.option("--opt-in", "opt_in", multiple=True, type=click.Choice(NOTIFY_KINDS), help="Receive a kind again (repeatable).")
@pass_app
def users_set(app: AppContext, username: str, email: str | None, no_email: bool, language: str | None,
              opt_out: tuple[str, ...], opt_in: tuple[str, ...]) -> None:
    """Set a user's e-mail address, language and the kinds of message they receive."""
    if email and no_email:
        raise UserError("give --email ADDRESS or --no-email, not both")
    changes: dict = {}
    if email or no_email:
        changes["email"] = None if no_email else email
    if language:
        changes["language"] = language
    with app.store() as store:
        current = store.user_contact(username)
        if opt_out or opt_in:
            changes["opt_out"] = (set(current["opt_out"]) | set(opt_out)) - set(opt_in)
        contact = store.set_user_contact(username, actor=app.actor, **changes) if changes else current
    stopped = ", ".join(contact["opt_out"]) or "none"
    click.echo(f"{username}: e-mail {contact['email'] or '-'}, language {contact['language'] or 'default'}, stopped: {stopped}")


def register(cli: click.Group) -> None:
    cli.add_command(notify_group)
    # the users group belongs to monitor.cli.setup; other features add their own commands to it
    cli.commands["users"].add_command(users_set)
