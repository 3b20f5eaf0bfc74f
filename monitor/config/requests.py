"""``[requests]``: the filing deadline, the attachment size cap, and per unit whether
requests of a whole day or more go to the parent unit's manager."""

from __future__ import annotations

from typing import Any

from monitor.config.checker import Checker, KeyPath
from monitor.engine.requests import RequestPolicy

REQUEST_KEYS = {"deadline_working_days", "max_file_mb", "units"}
UNIT_KEYS = {"whole_day_to_parent"}


def parse_requests(checker: Checker, raw: Any) -> RequestPolicy:
    """Validate ``[requests]`` and ``[requests.units.<code>]``."""
    path: KeyPath = ("requests",)
    table = checker.table(raw, path)
    checker.known_keys(table, REQUEST_KEYS, path)
    defaults = RequestPolicy()
    deadline = checker.get(table, "deadline_working_days", int, path, defaults.deadline_working_days,
                           check=lambda v: None if 0 <= v <= 366 else f"{v} must be between 0 and 366")
    max_mb = checker.get(table, "max_file_mb", float, path, defaults.max_file_bytes / 1024 / 1024,
                         check=lambda v: None if 0 < v <= 100 else f"{v} must be more than 0 and at most 100")
    units: dict[str, bool] = {}
    for code, entry in checker.table(table.get("units"), path + ("units",)).items():
        where = path + ("units", code)
        unit_table = checker.table(entry, where)
        checker.known_keys(unit_table, UNIT_KEYS, where)
        value = checker.get(unit_table, "whole_day_to_parent", bool, where)
        if value is not None:
            units[code] = value
    return RequestPolicy(deadline, int(max_mb * 1024 * 1024), units)
