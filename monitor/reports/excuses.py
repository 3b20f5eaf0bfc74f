"""Approved reasons for being away on a day, from every source, as the roll-call reads them.

:func:`excuses_on` is the one function the roll-call asks. Its own source is
recorded leave (kind, part, reason; leave carries no document number) entered directly;
the requests feature registers its own source with :func:`register_excuse_source`
(:mod:`monitor.service.hooks`: approved leave and explanation requests, with their
document numbers), and the leave an approved request made is left to that source.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from monitor.store import Store


@dataclass(frozen=True)
class Excuse:
    """One approved reason covering (part of) someone's day."""

    employee: str
    kind: str  # the leave kind's code, e.g. "P", "CT"
    part: str  # full, morning or afternoon
    document: str | None  # the document behind it (decision, assignment letter), when known
    note: str | None  # the reason as written
    source: str  # where it comes from: "leave" (and what other sources add)
    record: str  # the record in its source, e.g. "#12"


ExcuseSource = Callable[[Store, Sequence[str], date], list[Excuse]]


def _recorded_leave(store: Store, employee_codes: Sequence[str], day: date) -> list[Excuse]:
    rows = store.leave_records(employee_codes, day, day) if employee_codes else []
    # leave an approved request made is told by the requests' source, with its document
    return [Excuse(row["employee_code"], row["kind"], row["part"], None, row["reason"], "leave", f"#{row['id']}")
            for row in rows if not row.get("request_id")]


EXCUSE_SOURCES: list[ExcuseSource] = [_recorded_leave]


def register_excuse_source(source: ExcuseSource) -> None:
    """Add a source of approved reasons (the requests feature adds its own)."""
    if source not in EXCUSE_SOURCES:
        EXCUSE_SOURCES.append(source)


def excuses_on(store: Store, employee_codes: Sequence[str], day: date) -> dict[str, list[Excuse]]:
    """employee code → the approved reasons covering any part of ``day``, from every source."""
    found: dict[str, list[Excuse]] = {}
    for source in EXCUSE_SOURCES:
        for excuse in source(store, employee_codes, day):
            found.setdefault(excuse.employee, []).append(excuse)
    return found
