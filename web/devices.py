"""The devices page: is each time clock talking, and are its punches arriving?"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from monitor.service.health import device_health
from web.auth import roles_required
from web.db import get_store, now, state

bp = Blueprint("devices", __name__)


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
            unit=device.unit, enabled=device.enabled, configured=True,
            clock_suspect=device.clock_suspect(offset),
        ))
    for device_id, row in sorted(rows.items()):
        overview.append(entry(
            device_id, row, name=row.get("name") or device_id, protocol=row.get("protocol"), port=row.get("port"),
            unit=row.get("unit_code"), enabled=False, configured=False, clock_suspect=False,
        ))
    return overview


def _activity(store, device_id: str, today: str) -> dict[str, Any]:
    activity = store.device_activity(device_id, today)
    return {"punches_today": activity["since"], "last_punch": activity["last"]}


@bp.route("/devices")
@roles_required("admin", "hr")
def index():
    return render_template("devices/index.html", devices=device_overview(), commands=get_store().device_commands())


@bp.route("/devices/<device_id>/sync-time", methods=["POST"])
@roles_required("admin")
def sync_time(device_id: str):
    """Queue a clock sync for the collector: this process never opens a port."""
    if device_id not in {d.id for d in state().config.devices}:
        abort(404)
    get_store().queue_device_command(device_id, "sync-time", requested_by=current_user.username)
    flash(_("Requested: the collector sets the clock of %(device)s within a few seconds.", device=device_id), "info")
    return redirect(url_for("devices.index"))


@bp.route("/api/devices")
@roles_required("admin", "hr")
def api():
    return jsonify(devices=device_overview())
