"""Who signed a unit's month, for the timesheet's signature block and the month page.

The C01-HD carries three signatures: người chấm công (who submitted), phụ trách bộ
phận (the unit head, who confirmed) and người duyệt (who approved); a locked month also
carries the date of the lock and the punch log's chain head at that moment. Only the
steps since the last reopen count: a reopened month is signed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.store import Store


@dataclass(frozen=True)
class Signature:
    """One person's step: their name (full name, else the user name) and when."""

    name: str
    username: str
    at: datetime


@dataclass(frozen=True)
class SignOff:
    """The current round of a unit's month: every slot may still be empty."""

    unit_code: str
    month: str
    state: str
    submitted: Signature | None = None
    confirmed: Signature | None = None
    approved: Signature | None = None
    locked: Signature | None = None
    chain_head: str | None = None  # "row id:hash" of the punch log at the lock

    @property
    def lock_head_id(self) -> int | None:
        """The last punch row stored before the lock."""
        return int(self.chain_head.split(":", 1)[0]) if self.chain_head else None


def _signature(step: dict[str, Any]) -> Signature:
    return Signature(step["full_name"] or step["username"], step["username"], datetime.fromisoformat(step["at"]))


def sign_off(store: Store, unit_code: str, month: str) -> SignOff:
    """The signatures of the unit's month since it was last reopened."""
    steps = store.month_steps(unit_code, month)
    slots: dict[str, Any] = {}
    for step in steps:
        if step["step"] == "reopen":
            slots = {}
            continue
        slots[step["step"]] = step
    lock = slots.get("lock")
    return SignOff(
        unit_code,
        month,
        store.month_state(unit_code, month),
        submitted=_signature(slots["submit"]) if "submit" in slots else None,
        confirmed=_signature(slots["confirm"]) if "confirm" in slots else None,
        approved=_signature(slots["approve"]) if "approve" in slots else None,
        locked=_signature(lock) if lock else None,
        chain_head=lock["chain_head"] if lock else None,
    )
