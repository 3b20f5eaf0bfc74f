"""The government's decisions on days off and make-up days, shipped as package data.

``monitor/engine/data/vn_decisions.toml`` lists, per date, what a document decided (a
day off or a working day), its Vietnamese name and the document's reference. It is read
once per process. In the calendar it sits between the ``holidays`` package and the
config's ``[calendar]``: a decision the package lacks or gets wrong decides the day; one
that agrees with the package confirms it (the calendar page shows the reference).
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources

from monitor.engine.calendar import DayOverride
from monitor.errors import ConfigError

DATA_FILE = "vn_decisions.toml"
KINDS = {"day_off": True, "workday": False}
ENTRY_KEYS = {"date", "kind", "name", "ref"}


@dataclass(frozen=True)
class Decisions:
    """Shipped decisions by date, and a digest of their content (for the policy fingerprint)."""

    days: Mapping[date, DayOverride] = field(default_factory=dict)
    digest: str = "none"

    def get(self, day: date) -> DayOverride | None:
        return self.days.get(day)


NO_DECISIONS = Decisions()


def parse_decisions(text: str, source: str = DATA_FILE) -> Decisions:
    """Decisions from TOML text; every bad entry is named with its index in ``source``."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None
    problems: list[str] = []
    days: dict[date, DayOverride] = {}
    entries = raw.get("days", [])
    if set(raw) - {"days"} or not isinstance(entries, list):
        raise ConfigError(f"{source}: only [[days]] tables belong here")
    for index, entry in enumerate(entries):
        where = f"{source}: days[{index}]"
        if not isinstance(entry, dict) or set(entry) != ENTRY_KEYS:
            problems.append(f"{where}: needs exactly {', '.join(sorted(ENTRY_KEYS))}")
            continue
        day, kind, name, ref = entry["date"], entry["kind"], entry["name"], entry["ref"]
        if not isinstance(day, date) or hasattr(day, "hour"):
            problems.append(f"{where}: date {day!r} is not a date (write 2026-01-02)")
        elif kind not in KINDS:
            problems.append(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
        elif not (isinstance(name, str) and name.strip() and isinstance(ref, str) and ref.strip()):
            problems.append(f"{where}: name and ref must be non-empty text")
        elif day in days:
            problems.append(f"{where}: {day.isoformat()} is listed twice")
        else:
            days[day] = DayOverride(day, KINDS[kind], name.strip(), ref.strip())
    if problems:
        raise ConfigError(problems)
    return Decisions(days, hashlib.sha256(text.encode("utf-8")).hexdigest()[:16])


@cache
def shipped_decisions() -> Decisions:
    """The decisions shipped in the package (read once per process)."""
    text = resources.files("monitor.engine").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return parse_decisions(text, f"monitor/engine/data/{DATA_FILE}")
