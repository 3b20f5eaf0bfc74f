"""What the signed-in user may see: the one place every blueprint asks.

Admin and HR see every unit; a manager sees their units and the units below them; a
staff account sees no unit, only its own employee's days and requests. Anything outside
that is answered 404, as if it did not exist, so that a URL cannot be used to learn
which units, people or requests there are.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user

from monitor.errors import NotFound
from monitor.service.requests import Actor, can_see
from web.db import get_store


def visible_units() -> set[str] | None:
    """Unit codes the current user may see; ``None`` means every unit."""
    if current_user.sees_everything:
        return None
    store = get_store()
    codes: set[str] = set()
    for unit in current_user.units:
        codes.update(store.unit_and_below(unit))
    return codes


def units_in_view(unit: str | None) -> tuple[list[dict[str, Any]], set[str] | None]:
    """The unit rows the user may see, narrowed to ``unit`` and below when given, and
    the codes to filter by (``None``: all). 404 for a unit that is unknown or hidden."""
    if current_user.role == "staff":
        abort(404)  # unit views are for managers and HR
    store = get_store()
    allowed = visible_units()
    if unit:
        if allowed is not None and unit not in allowed:
            abort(404)
        try:
            codes = set(store.unit_and_below(unit))
        except NotFound:
            abort(404)
        allowed = codes if allowed is None else codes & allowed
    units = [u for u in store.units() if allowed is None or u["code"] in allowed]
    return units, allowed


def only_visible(rows: list[dict[str, Any]], allowed: set[str] | None, key: str = "unit") -> list[dict[str, Any]]:
    """The rows whose ``key`` names a unit in ``allowed`` (all rows when ``None``)."""
    return rows if allowed is None else [row for row in rows if row[key] in allowed]


def visible_employee(code: str) -> dict[str, Any]:
    """The employee row, or 404 when unknown or outside the user's units."""
    try:
        person = get_store().employee(code)
    except NotFound:
        abort(404)
    if current_user.role == "staff":
        if code != current_user.employee_code:
            abort(404)
        return person
    allowed = visible_units()
    if allowed is not None and person["unit_code"] not in allowed and code != current_user.employee_code:
        abort(404)
    return person


def current_actor() -> Actor:
    """The signed-in user as the request desk's actor."""
    return Actor(current_user.username, current_user.role, tuple(current_user.units), current_user.employee_code)


def visible_request(request_id: int) -> dict[str, Any]:
    """The request, or 404 when unknown or not the user's to see."""
    try:
        row = get_store().request(request_id)
    except NotFound:
        abort(404)
    if not can_see(get_store(), current_actor(), row):
        abort(404)
    return row
