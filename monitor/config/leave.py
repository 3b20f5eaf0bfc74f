"""``[leave]``: the timesheet symbols and local leave kinds, as a :class:`LeaveConfig`."""

from __future__ import annotations

import unicodedata
from typing import Any

from monitor.config.checker import Checker
from monitor.engine.leave import LeaveConfig, LeaveKind

LEAVE_KEYS = {"worked_symbol", "holiday_symbol", "absent_symbol", "half_day_symbol", "kinds"}
KIND_KEYS = {"name", "name_en", "counts_as_work"}


def parse_leave(checker: Checker, raw: Any) -> LeaveConfig:
    """Validate ``[leave]``: symbols and ``[leave.kinds.<code>]`` local kinds."""
    path = ("leave",)
    table = checker.table(raw, path)
    checker.known_keys(table, LEAVE_KEYS, path)
    defaults = LeaveConfig()
    kinds = dict(defaults.kinds)
    for code, entry in checker.table(table.get("kinds"), path + ("kinds",)).items():
        where = path + ("kinds", code)
        normalized = unicodedata.normalize("NFC", code)
        if not normalized or len(normalized) > 8 or any(ch.isspace() or ch in ",;/" for ch in normalized):
            checker.problem(where, f"{code!r} is not a usable symbol (1 to 8 characters, no spaces, ',', ';' or '/')")
            continue
        kind_table = checker.table(entry, where)
        checker.known_keys(kind_table, KIND_KEYS, where)
        base = kinds.get(normalized)
        name = checker.get(kind_table, "name", str, where, base.name if base else None, required=base is None)
        kinds[normalized] = LeaveKind(
            normalized,
            name or normalized,
            checker.get(kind_table, "name_en", str, where, base.name_en if base else (name or normalized)),
            checker.get(kind_table, "counts_as_work", bool, where, base.counts_as_work if base else False),
        )
    half_day = checker.get(table, "half_day_symbol", str, path, defaults.half_day_symbol, check=_half_day_format)
    return LeaveConfig(
        kinds=kinds,
        worked_symbol=checker.get(table, "worked_symbol", str, path, defaults.worked_symbol),
        holiday_symbol=checker.get(table, "holiday_symbol", str, path, defaults.holiday_symbol),
        absent_symbol=checker.get(table, "absent_symbol", str, path, defaults.absent_symbol),
        half_day_symbol=half_day,
    )


def _half_day_format(value: str) -> str | None:
    try:
        value.format(morning="P", afternoon="+")
    except (KeyError, IndexError, ValueError):
        return f"{value!r} may use only {{morning}} and {{afternoon}}, e.g. \"{{morning}}/{{afternoon}}\""
    if "{morning}" not in value or "{afternoon}" not in value:
        return f"{value!r} must contain both {{morning}} and {{afternoon}}"
    return None
