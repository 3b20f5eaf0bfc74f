"""Closing the month: open → submitted → confirmed → approved → locked, per unit.

Who may take each step (the C01-HD's three signatures, then HR's lock):

=========  ==============  ==========================================================
step       from → to       who
=========  ==============  ==========================================================
submit     open→submitted  a timekeeper of the unit (or of a unit above it), or HR;
                           only once the month is over and nothing is pending
confirm    submitted→      the unit head: a manager whose own units name this unit
           confirmed
approve    confirmed→      HR, or the head of a unit above it (not the one who confirmed)
           approved
lock       approved→locked HR or admin; records the punch log's chain head and
                           freezes the names the timesheet shows (store.month_roster)
reopen     any but open    HR or admin, with a reason; back to open, history kept,
           → open          the frozen names dropped
=========  ==============  ==========================================================

What is still pending is asked of one function, :func:`pending_items`, which runs every
source in :data:`PENDING_SOURCES`. Today these are the days not judged yet, days still
provisional, days whose punches or leave changed since judged, and punches of unknown
badges on the unit's clocks; :mod:`monitor.service.hooks` registers the requests'
source with :func:`register_pending_source` (requests of the unit's people in the month
still waiting for a decision). The request desk refuses any step on a locked month's
request with ``store.refuse_locked_days(employee, first, last)``, as leave does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from monitor.errors import N_, Message, Refused
from monitor.reports.period import Month
from monitor.reports.sign_off import SignOff, sign_off
from monitor.store import Store

STATES = ("open", "submitted", "confirmed", "approved", "locked")
STEPS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": (("open",), "submitted"),
    "confirm": (("submitted",), "confirmed"),
    "approve": (("confirmed",), "approved"),
    "lock": (("approved",), "locked"),
    "reopen": (("submitted", "confirmed", "approved", "locked"), "open"),
}
# what each step is called in messages (and who may take it), in the users' words
STEP_PAST = {"submit": "submitted", "confirm": "confirmed", "approve": "approved", "lock": "locked", "reopen": "reopened"}
STEP_NAMES = {
    "submit": "submit (người chấm công)",
    "confirm": "confirm (phụ trách bộ phận)",
    "approve": "approve (người duyệt)",
    "lock": "lock",
    "reopen": "reopen",
}


@dataclass(frozen=True)
class PendingItem:
    """Something that must be settled before the month is submitted (``blocking``), or
    worth a look (not blocking)."""

    kind: str  # not_judged, provisional, changed, unknown_badges, and those sources add
    count: int
    detail: str
    blocking: bool = True


PendingSource = Callable[[Store, str, Month], list[PendingItem]]


def _not_judged(store: Store, unit: str, month: Month) -> list[PendingItem]:
    codes = store.unit_employee_codes(unit, str(month))
    behind = store.not_judged_through(codes, month.last)
    if not behind:
        return []
    shown = ", ".join(behind[:10]) + (" ..." if len(behind) > 10 else "")
    return [PendingItem("not_judged", len(behind), N_("not judged up to %(day)s yet: %(who)s; run 'monitor evaluate'",
                                                      day=month.last, who=shown))]


def _provisional(store: Store, unit: str, month: Month) -> list[PendingItem]:
    count = store.provisional_count(unit, str(month))
    return [PendingItem("provisional", count, N_("%(count)s employee-days still provisional (the day was not over"
                                                 " when judged); run 'monitor evaluate'", count=count))] if count else []


def _changed(store: Store, unit: str, month: Month) -> list[PendingItem]:
    count = store.dirty_count(store.unit_employee_codes(unit, str(month)), str(month))
    return [PendingItem("changed", count, N_("%(count)s employee-days changed since judged (late punches, leave);"
                                             " run 'monitor evaluate'", count=count))] if count else []


def _unknown_badges(store: Store, unit: str, month: Month) -> list[PendingItem]:
    rows = store.unknown_badge_punches(store.unit_and_below(unit), str(month))
    if not rows:
        return []
    ids = ", ".join(f"{r['device_id']}/{r['device_user_id']}" for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
    punches = sum(r["punches"] for r in rows)
    return [PendingItem("unknown_badges", punches, N_("%(count)s punches of ids nobody is enrolled for on the unit's"
                                                      " clocks (%(ids)s); enroll them", count=punches, ids=ids))]


PENDING_SOURCES: list[PendingSource] = [_not_judged, _provisional, _changed, _unknown_badges]


def register_pending_source(source: PendingSource) -> None:
    """Add a source of pending things (the requests feature adds its own)."""
    if source not in PENDING_SOURCES:
        PENDING_SOURCES.append(source)


def pending_items(store: Store, unit: str, month: Month) -> list[PendingItem]:
    """What is still pending for this unit and month, from every registered source."""
    store.require_unit(unit)
    return [item for source in PENDING_SOURCES for item in source(store, unit, month)]


# --- who may take a step ----------------------------------------------------------------


def _ancestors(unit: str, parents: Mapping[str, str | None]) -> list[str]:
    found, code = [], parents.get(unit)
    while code and code not in found:
        found.append(code)
        code = parents.get(code)
    return found


def why_not(user: Mapping[str, Any], step: str, unit: str, parents: Mapping[str, str | None],
            signed: SignOff | None = None) -> str | None:
    """``None`` when ``user`` may take ``step`` on ``unit``'s month, else why not."""
    role, units = user["role"], set(user.get("units") or ())
    name = user["username"]
    if step == "submit":
        if role == "hr" or (role == "timekeeper" and ({unit} | set(_ancestors(unit, parents))) & units):
            return None
        return N_("%(name)s (%(role)s) may not submit %(unit)s: a timekeeper of the unit or HR submits",
                  name=name, role=Message(role), unit=unit)
    if step == "confirm":
        if role == "manager" and unit in units:
            return None
        return N_("%(name)s (%(role)s) may not confirm %(unit)s: the unit head (a manager of %(unit)s) confirms",
                  name=name, role=Message(role), unit=unit)
    if step == "approve":
        if not (role == "hr" or (role == "manager" and set(_ancestors(unit, parents)) & units)):
            return N_("%(name)s (%(role)s) may not approve %(unit)s: HR or the head of a unit above it approves",
                      name=name, role=Message(role), unit=unit)
        if signed and signed.confirmed and signed.confirmed.username == name:
            return N_("%(name)s confirmed %(unit)s and may not also approve it: the approver is another person",
                      name=name, unit=unit)
        return None
    if step in ("lock", "reopen"):
        if role in ("hr", "admin"):
            return None
        return N_("%(name)s (%(role)s) may not %(step)s %(unit)s: HR or an admin does", name=name,
                  role=Message(role), step=Message(step), unit=unit)
    raise Refused(f"no step {step!r} (steps: {', '.join(STEPS)})")


# --- taking a step ----------------------------------------------------------------------


@dataclass
class StepResult:
    unit: str
    month: str
    step: str
    to_state: str
    at: str


@dataclass
class UnitMonth:
    """A unit's month as the status command and the month page show it."""

    unit: str
    name: str
    state: str
    sign_off: SignOff
    pending: list[PendingItem] = field(default_factory=list)
    after_lock: list[dict[str, Any]] = field(default_factory=list)  # punches stored since the lock
    waiting: int = 0  # employee-days changed since the lock (late punches, enrollments): judged on reopen
    history: list[dict[str, Any]] = field(default_factory=list)


def take_step(store: Store, step: str, unit: str, month: Month, username: str, *, today: date,
              reason: str | None = None) -> StepResult:
    """Move ``unit``'s ``month`` one step as ``username`` (a web user), or refuse why."""
    if step not in STEPS:
        raise Refused(f"no step {step!r} (steps: {', '.join(STEPS)})")
    store.require_unit(unit)
    user = store.user(username, active_only=True)
    month_key = str(month)
    state = store.month_state(unit, month_key)
    sources, target = STEPS[step]
    if state not in sources:
        raise Refused(_illegal(step, unit, month_key, state))
    parents = {u["code"]: u["parent_code"] for u in store.units()}
    refusal = why_not(user, step, unit, parents, sign_off(store, unit, month_key))
    if refusal:
        raise Refused(refusal)
    reason = (reason or "").strip() or None
    if step == "reopen" and not reason:
        raise Refused(N_("give a reason to reopen %(unit)s %(month)s (--reason TEXT): it is kept in the audit trail",
                         unit=unit, month=month_key))
    if step == "submit":
        if month.last >= today:
            raise Refused(N_("%(month)s is not over yet (it ends on %(last)s): submit it from %(first)s on",
                             month=month_key, last=month.last, first=month.last + timedelta(days=1)))
        blocking = [item for item in pending_items(store, unit, month) if item.blocking]
        if blocking:
            raise Refused(N_("%(unit)s %(month)s cannot be submitted yet: %(reasons)s", unit=unit, month=month_key,
                             reasons=Message("; ".join("%%(r%d)s" % n for n in range(len(blocking))),
                                             **{f"r{n}": item.detail for n, item in enumerate(blocking)})))
    with store.write():
        # A lock freezes the names its timesheet shows, a reopen drops them, in the step's
        # own transaction (a step refused as stale rolls the copy back with it).
        roster = None
        if step == "lock":
            roster = store.freeze_month_roster(unit, month_key)
        elif step == "reopen":
            roster = store.drop_month_roster(unit, month_key)
        row = store.record_month_step(unit, month_key, step=step, from_state=state, to_state=target, user=user,
                                      reason=reason, with_chain_head=step == "lock", roster=roster)
        if step == "reopen":
            store.reopen_marks(unit, month_key)
    return StepResult(unit, month_key, step, target, row["at"])


def _illegal(step: str, unit: str, month: str, state: str) -> str:
    sources, _target = STEPS[step]
    needed = " or ".join(sources)
    if state == "locked":
        return N_("%(unit)s %(month)s is locked: it can only be reopened (monitor month reopen --reason ...),"
                  " not %(step)s", unit=unit, month=month, step=Message(STEP_PAST[step]))
    return N_("cannot %(step)s %(unit)s %(month)s: it is %(state)s, and only a month that is %(needed)s can be",
              step=STEP_NAMES[step], unit=unit, month=month, state=Message(state),
              needed=Message(" or ".join("%%(s%d)s" % n for n in range(len(sources))),
                             **{f"s{n}": Message(source) for n, source in enumerate(sources)}))


def steps_for_all(store: Store, step: str, month: Month, username: str, *, today: date,
                  reason: str | None = None) -> tuple[list[StepResult], list[str]]:
    """Take ``step`` on every unit whose month is in the right state and that the user
    may act on; returns what was done and why the others were not."""
    user = store.user(username, active_only=True)
    parents = {u["code"]: u["parent_code"] for u in store.units()}
    states = store.month_states(str(month))
    done: list[StepResult] = []
    skipped: list[str] = []
    for unit in sorted(parents):
        if states.get(unit, "open") not in STEPS[step][0]:
            continue
        if why_not(user, step, unit, parents, sign_off(store, unit, str(month))):
            continue
        try:
            done.append(take_step(store, step, unit, month, username, today=today, reason=reason))
        except Refused as exc:
            skipped.append(exc.args[0])
    if not done and not skipped:
        raise Refused(N_("no unit's %(month)s is ready for %(user)s to %(step)s; see 'monitor month status --month"
                         " %(month)s'", month=str(month), user=username, step=Message(step)))
    return done, skipped


def unit_month(store: Store, unit: dict[str, Any], month: Month) -> UnitMonth:
    """The state, signatures, pending things and late punches of one unit's month."""
    signed = sign_off(store, unit["code"], str(month))
    found = UnitMonth(unit["code"], unit["name"], signed.state, signed, history=store.month_steps(unit["code"], str(month)))
    if signed.state == "locked":
        found.after_lock = store.punches_after_lock(unit["code"], str(month), signed.lock_head_id or 0)
        found.waiting = store.dirty_count(store.unit_employee_codes(unit["code"], str(month)), str(month))
    elif signed.state == "open":
        found.pending = pending_items(store, unit["code"], month)
    return found


def month_overview(store: Store, month: Month, unit_codes: set[str] | None = None) -> list[UnitMonth]:
    """Every unit's month (those in ``unit_codes`` when given), in code order."""
    return [unit_month(store, unit, month) for unit in store.units() if unit_codes is None or unit["code"] in unit_codes]
