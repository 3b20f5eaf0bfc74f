"""The devices page: is each time clock talking, and are its punches arriving?

Clocks that push call in by serial number: those waiting for approval are listed with
accept and reject forms (admin), accepted ones get their requests (set the time,
describe itself, reboot, post a period again) queued for their next heartbeat, and
their tamper signals (the clock's own operation log) are shown.
"""

from __future__ import annotations

from typing import Any

from datetime import date

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from monitor.service.health import device_health
from web.auth import roles_required
from monitor.errors import MonitorError, NotFound
from monitor.service import push_devices
from web.db import get_store, now, state

bp = Blueprint("devices", __name__)

# the operation log's tamper codes (drivers.adms.TAMPER_CODES) by the name the store keeps
TAMPER_LABELS = {
    "set_time": _l("set the clock's time"),
    "delete_attendance": _l("deleted attendance records"),
    "clear_data": _l("cleared the clock's data"),
    "factory_reset": _l("factory reset"),
}


def device_overview() -> list[dict[str, Any]]:
    """Configured devices merged with what the collector recorded about them, then the
    devices known only from imported export files."""
    config = state().config
    store = get_store()
    today = now().date().isoformat()
    rows = {row["id"]: row for row in store.device_rows()}
    # a dead collector's "online" and a spool still waiting must not pass for health
    for device_id, override in device_health(store, config, now()).items():
        rows[device_id] = {**rows.get(device_id, {}), **override}
    unknown: dict[str, int] = {}
    for row in store.unknown_punches():
        unknown[row["device_id"]] = unknown.get(row["device_id"], 0) + 1

    def entry(device_id: str, row: dict[str, Any], **described: Any) -> dict[str, Any]:
        return {
            "id": device_id,
            **described,
            "status": row.get("status", "unknown"),
            "status_reason": row.get("status_reason"),
            "status_at": row.get("status_at"),
            "last_pull_at": row.get("last_pull_at"),
            # the latest moment the collector heard the device: a download, or the time it
            # was last marked online (status_at of any other status is when contact was lost)
            "last_contact": max((t for t in (row.get("status_at") if row.get("status") == "online" else None,
                                             row.get("last_pull_at")) if t), default=None),
            "clock_offset_seconds": row.get("clock_offset_seconds"),
            **_activity(store, device_id, today),
            "unknown_ids": unknown.get(device_id, 0),
        }

    overview = []
    for device in config.devices:
        row = rows.pop(device.id, {})
        offset = row.get("clock_offset_seconds")
        overview.append(entry(
            device.id, row, name=device.settings.name, protocol=device.protocol, port=device.settings.port,
            unit=device.unit, enabled=device.enabled, configured=True, push=False,
            clock_suspect=device.clock_suspect(offset),
        ))
    push_ids = store.push_device_ids()
    for device_id, row in sorted(rows.items()):
        pushing = device_id in push_ids
        suspect = pushing and state().config.push.settings(device_id).clock_suspect(row.get("clock_offset_seconds"))
        overview.append(entry(
            device_id, row, name=row.get("name") or device_id, protocol=row.get("protocol"), port=row.get("port"),
            unit=row.get("unit_code"), enabled=pushing, configured=False, push=pushing, clock_suspect=suspect,
        ))
    return overview


def _activity(store, device_id: str, today: str) -> dict[str, Any]:
    activity = store.device_activity(device_id, today)
    return {"punches_today": activity["since"], "last_punch": activity["last"]}


def _page(status: int = 200):
    store = get_store()
    return render_template("devices/index.html", devices=device_overview(), commands=store.device_commands(),
                           waiting=store.push_devices("waiting"),
                           tamper=[{**row, "label": TAMPER_LABELS.get(row["name"], row["name"])}
                                   for row in store.tamper_signals(limit=20)],
                           units=store.units(), today=now().date()), status


@bp.route("/devices")
@roles_required("admin", "hr")
def index():
    return _page()


@bp.route("/devices/<device_id>/sync-time", methods=["POST"])
@roles_required("admin")
def sync_time(device_id: str):
    """Queue a clock sync: for the collector (this process never opens a port), or for
    a push clock's next heartbeat."""
    if device_id not in {d.id for d in state().config.devices} | get_store().push_device_ids():
        abort(404)
    get_store().queue_device_command(device_id, "sync-time", requested_by=current_user.username)
    flash(_("Requested: the collector sets the clock of %(device)s within a few seconds.", device=device_id), "info")
    return redirect(url_for("devices.index"))


def _refused(error: MonitorError):
    """Bad input on a push form: the page again with one clear line, 400 (404 for what does not exist)."""
    if isinstance(error, NotFound):
        abort(404)
    flash(_("Not done: %(reason)s", reason=str(error)), "error")
    return _page(400)


@bp.route("/devices/push/<sn>/accept", methods=["POST"])
@roles_required("admin")
def accept(sn: str):
    """Accept a clock waiting for approval; what it sent meanwhile is stored."""
    form = request.form
    comm_key = form.get("comm_key", "").strip() or None
    try:
        done = push_devices.accept(get_store(), state().config.push, sn, form.get("device_id", "").strip(),
                                   form.get("unit", "").strip(), comm_key=comm_key, actor=current_user.username,
                                   today=now().date(), reason=form.get("reason", "").strip() or None)
    except NotFound as exc:
        if get_store().push_device(sn) is None:
            abort(404)
        flash(_("Not done: %(reason)s", reason=str(exc)), "error")
        return _page(400)
    except MonitorError as exc:
        return _refused(exc)
    flash(_("Accepted %(sn)s as %(device)s: %(new)s punches it sent while waiting were stored.",
            sn=sn, device=done.device_id, new=done.stored.new), "info")
    return redirect(url_for("devices.index"))


@bp.route("/devices/push/<sn>/reject", methods=["POST"])
@roles_required("admin")
def reject(sn: str):
    """Reject a clock: what it sent while waiting is discarded (audited)."""
    try:
        discarded = push_devices.reject(get_store(), sn, reason=request.form.get("reason", ""), actor=current_user.username)
    except MonitorError as exc:
        return _refused(exc)
    flash(_("Rejected %(sn)s; %(count)s held uploads were discarded.", sn=sn, count=discarded), "info")
    return redirect(url_for("devices.index"))


@bp.route("/devices/<device_id>/ask/<what>", methods=["POST"])
@roles_required("admin")
def ask(device_id: str, what: str):
    """Ask a push clock to describe itself or to reboot, on its next heartbeat."""
    if what not in ("info", "reboot") or get_store().push_device_for(device_id) is None:
        abort(404)
    push_devices.ask(get_store(), device_id, what, actor=current_user.username)
    flash(_("Requested: %(device)s gets the request on its next heartbeat.", device=device_id), "info")
    return redirect(url_for("devices.index"))


@bp.route("/devices/<device_id>/backfill", methods=["POST"])
@roles_required("admin")
def backfill(device_id: str):
    """Ask a push clock to post the punches of a period again."""
    if get_store().push_device_for(device_id) is None:
        abort(404)
    try:
        first, last = (date.fromisoformat(request.form.get(name, "")) for name in ("from", "to"))
    except ValueError:
        flash(_("Give the first and last day of the period (YYYY-MM-DD)."), "error")
        return _page(400)
    try:
        push_devices.backfill(get_store(), device_id, first, last, actor=current_user.username)
    except MonitorError as exc:
        return _refused(exc)
    flash(_("Requested: %(device)s posts its punches of that period again on its next heartbeat.", device=device_id), "info")
    return redirect(url_for("devices.index"))


@bp.route("/api/devices")
@roles_required("admin", "hr")
def api():
    return jsonify(devices=device_overview())
