"""Requests about judged days: file, withdraw, decide (one or many), revoke, attach files.

One desk for the CLI and the web. Who may do what:

* **file**: staff for themselves; a manager for anyone in their units and below (and
  themselves); HR and admin for anyone, and the command line acts as HR (the
  timekeeper's tool). Filing for someone else is recorded as on their behalf (lập hộ).
  Staff and managers may not file for a day more than ``[requests]
  deadline_working_days`` working days back; HR may.
* **decide**: the request is routed at filing to the unit whose manager approves it
  (:func:`monitor.engine.requests.approving_unit`); a manager whose units hold that unit
  (at any depth) may decide, HR and admin may decide any, nobody decides their own. A
  decision is final; an approval given by mistake is revoked, with a reason.
* **effects**: an approved correction adds manual punches (their own table: the punch
  log is never edited); approved leave becomes a leave record; an approved explanation
  is read by the evaluation beside the judged day. The affected days are judged again
  at once.

Every step is audited in its own transaction, with who, when, on whose behalf and why.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from monitor.engine.calendar import REQUIRED
from monitor.engine.clock import in_zone
from monitor.engine.leave import PARTS
from monitor.engine.policy import OfficePolicy
from monitor.engine.requests import (
    APPROVED,
    CORRECTION,
    EXPLANATION,
    KINDS,
    LEAVE,
    MINUTE_VIOLATIONS,
    PENDING,
    REJECTED,
    REVOKED,
    VIOLATIONS,
    WITHDRAWN,
    RequestPolicy,
    approving_unit,
    check_deadline,
    filing_deadline,
    is_whole_day,
    reason,
)
from monitor.errors import N_, Message, NotFound, Refused
from monitor.service.evaluation import Evaluation, RunSummary
from monitor.store import Store
from monitor.store.leave import describe_leave

HR_ROLES = ("admin", "hr")
MAX_LEAVE_DAYS = 366
# accepted attachments, by their first bytes (a renamed .exe is not a PDF)
MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


@dataclass(frozen=True)
class Actor:
    """Who acts: a web user, or the command line (as HR)."""

    username: str
    role: str
    units: tuple[str, ...] = ()
    employee_code: str | None = None

    @classmethod
    def from_user(cls, row: dict[str, Any]) -> Actor:
        return cls(row["username"], row["role"], tuple(row.get("units") or ()), row.get("employee_code"))

    @property
    def is_hr(self) -> bool:
        return self.role in HR_ROLES


def cli_actor(name: str) -> Actor:
    """The command line acts as HR: whoever can run it can already open the database."""
    return Actor(name, "hr")


@dataclass
class Draft:
    """A request as filed (validated by :meth:`RequestDesk.file`)."""

    employee_code: str
    kind: str
    day_from: date
    reason: str
    day_to: date | None = None
    part: str | None = None  # leave: full, morning, afternoon
    violation: str | None = None  # explanation
    minutes: int | None = None  # explanation: minutes excused (None: the whole violation)
    category: str | None = None  # explanation: a reason category code
    leave_kind: str | None = None  # leave: a kind code (P, Ô, CT, ...)
    claimed_in: time | None = None  # correction
    claimed_out: time | None = None  # correction
    document_no: str | None = None  # số văn bản, e.g. "QĐ 123/QĐ-SNV"


@dataclass
class Decision:
    """What a decision did: the request after it, and the re-judging run."""

    request: dict[str, Any]
    judged: RunSummary | None


def files_dir(store: Store) -> Path:
    """Attachments live beside the database: ``<db name>-files/``."""
    return store.path.with_name(f"{store.path.stem}-files")


def content_type_of(data: bytes) -> str | None:
    """PDF, JPEG or PNG by magic bytes; ``None`` for anything else."""
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    return None


def subtree(store: Store, units: Iterable[str]) -> set[str]:
    """The units and every unit below them (unknown units are skipped)."""
    codes: set[str] = set()
    for unit in units:
        try:
            codes.update(store.unit_and_below(unit))
        except NotFound:
            continue  # a unit removed since the user was made sees nothing
    return codes


def can_see(store: Store, actor: Actor, request: dict[str, Any]) -> bool:
    """HR and admin see every request; staff their own; a manager those of people in
    their units and below, and their own."""
    if actor.is_hr:
        return True
    if actor.employee_code and request["employee_code"] == actor.employee_code:
        return True
    if actor.role == "manager":
        return request["unit_code"] in subtree(store, actor.units)
    return False


def decide_refusal(store: Store, actor: Actor, request: dict[str, Any]) -> str | None:
    """Why ``actor`` may not decide ``request`` (``None``: they may)."""
    if actor.employee_code and request["employee_code"] == actor.employee_code:
        return N_("nobody decides their own request; it goes to the unit above")
    if actor.is_hr:
        return None
    if actor.role == "manager":
        if request["approver_unit"] and request["approver_unit"] in subtree(store, actor.units):
            return None
        where = request["approver_unit"] or "HR"
        return N_("request #%(id)s is for the manager of %(unit)s to decide", id=request["id"], unit=where)
    return N_("only a manager or HR decides requests")


def pending_for_approver(store: Store, username: str) -> list[dict[str, Any]]:
    """The pending requests waiting for this user, oldest first: for a manager, those
    routed to their units; for HR and admin, those no manager can decide."""
    actor = Actor.from_user(store.user(username))
    if actor.is_hr:
        rows = store.requests_where(statuses=[PENDING], unrouted=True, limit=10_000)
    elif actor.role == "manager":
        rows = store.requests_where(statuses=[PENDING], approver_units=list(actor.units), limit=10_000)
    else:
        return []
    return [row for row in reversed(rows) if row["employee_code"] != actor.employee_code]


def pending_count(store: Store, actor: Actor) -> int:
    """How many requests wait for this user (the number in the navigation bar)."""
    if actor.is_hr:
        return store.pending_count(None, unrouted=True)
    if actor.role == "manager":
        return store.pending_count(list(actor.units))
    return 0


class RequestDesk:
    """Files and decides requests against one store, policy and moment."""

    def __init__(self, store: Store, policy: OfficePolicy, rules: RequestPolicy, now: datetime):
        self.store = store
        self.policy = policy
        self.rules = rules
        self.now = in_zone(now, store.zone)
        self._working_days: dict[str, Any] = {}  # person → their working-day predicate, for deadline_for

    # --- filing -------------------------------------------------------------------------

    def file(self, actor: Actor, draft: Draft) -> int:
        """Check and record a request; returns its id."""
        store = self.store
        person = store.employee(draft.employee_code)
        self._may_file_for(actor, person)
        values = self._checked(draft, person, actor.is_hr)
        if not actor.is_hr:
            check_deadline(draft.day_from, self.now.date(), self.rules.deadline_working_days, self._working_day(person))
        parents = {u["code"]: u["parent_code"] for u in store.units()}
        to_parent = self.rules.escalates(person["unit_code"], parents) and is_whole_day(
            draft.kind, values["part"], values["violation"])
        values.update(
            employee_code=person["code"],
            status=PENDING,
            approver_unit=approving_unit(person["unit_code"], parents, store.managers_by_unit(),
                                         store.usernames_of_employee(person["code"]), to_parent=to_parent),
            filed_by=actor.username,
            on_behalf=int(actor.employee_code != person["code"]),
        )
        with store.write():
            _refuse_locked(store, values)
            return store.add_request(values, actor=actor.username)

    def _may_file_for(self, actor: Actor, person: dict[str, Any]) -> None:
        if actor.is_hr or person["code"] == actor.employee_code:
            return
        if actor.role == "manager" and person["unit_code"] in subtree(self.store, actor.units):
            return
        raise Refused(N_("you may not file requests for %(code)s (not in your units)", code=person["code"]))

    def _checked(self, draft: Draft, person: dict[str, Any], hr: bool) -> dict[str, Any]:
        """The request's columns after checking the draft for its kind. A business trip
        carries its document number, except that HR may record one from paper without it."""
        if draft.kind not in KINDS:
            raise Refused(N_("kind '%(kind)s' is not one of %(known)s", kind=draft.kind, known=", ".join(KINDS)))
        text = (draft.reason or "").strip()
        if not text:
            raise Refused(N_("give a reason (it is kept with the request and in the audit trail)"))
        day_to = draft.day_to or draft.day_from
        values: dict[str, Any] = {
            "kind": draft.kind, "day_from": draft.day_from.isoformat(), "day_to": day_to.isoformat(),
            "reason": text, "document_no": (draft.document_no or "").strip() or None,
            "part": None, "violation": None, "minutes": None, "category": None, "leave_kind": None,
            "claimed_in": None, "claimed_out": None,
        }
        if person["hired_on"] and draft.day_from.isoformat() < person["hired_on"]:
            raise Refused(N_("%(code)s was hired on %(hired)s, after %(day)s", code=person["code"],
                                 hired=date.fromisoformat(person["hired_on"]), day=draft.day_from))
        if draft.kind == LEAVE:
            values.update(self._checked_leave(draft, day_to, hr))
            return values
        if day_to != draft.day_from:
            raise Refused(N_("an %(kind)s is about one day; file one per day", kind=draft.kind))
        if draft.day_from > self.now.date():
            raise Refused(N_("%(day)s has not happened yet; only leave is filed ahead", day=draft.day_from))
        if draft.kind == EXPLANATION:
            values.update(self._checked_explanation(draft))
        else:
            if draft.claimed_in is None and draft.claimed_out is None:
                raise Refused(N_("a correction claims an arrival (--in) or a departure (--out) time, or both"))
            if draft.claimed_in and draft.claimed_out and draft.claimed_out <= draft.claimed_in:
                raise Refused(N_("the departure %(departure)s is not after the arrival %(arrival)s",
                                 departure=draft.claimed_out, arrival=draft.claimed_in))
            values["claimed_in"] = draft.claimed_in.strftime("%H:%M:%S") if draft.claimed_in else None
            values["claimed_out"] = draft.claimed_out.strftime("%H:%M:%S") if draft.claimed_out else None
        return values

    def _checked_leave(self, draft: Draft, day_to: date, hr: bool) -> dict[str, Any]:
        kind = self.policy.leave.kind(draft.leave_kind or "")
        part = draft.part or "full"
        if part not in PARTS:
            raise Refused(N_("part '%(part)s' is not one of %(known)s", part=part, known=", ".join(PARTS)))
        if day_to < draft.day_from:
            raise Refused(N_("the leave ends (%(end)s) before it starts (%(start)s)", end=day_to, start=draft.day_from))
        if (day_to - draft.day_from).days >= MAX_LEAVE_DAYS:
            raise Refused(N_("leave of more than a year is surely a typo; file it in parts"))
        if kind.code == "CT" and not (draft.document_no or "").strip() and not hr:
            raise Refused(N_("a business trip (CT) carries the assignment's document number (--document, e.g. QĐ 123/QĐ-SNV)"))
        clash = self.store.overlapping_leave(draft.employee_code, draft.day_from, day_to, part)
        if clash is not None:
            low, high = max(draft.day_from.isoformat(), clash["date_from"]), min(day_to.isoformat(), clash["date_to"])
            span = low if low == high else f"{low}..{high}"
            raise Refused(N_("%(code)s: leave %(leave)s already covers %(span)s; remove it first"
                             " (monitor leave remove %(id)s --reason ...) or change the dates",
                             code=draft.employee_code, leave=describe_leave(clash), span=span, id=clash["id"]))
        return {"leave_kind": kind.code, "part": part}

    def _checked_explanation(self, draft: Draft) -> dict[str, Any]:
        """``violation`` may be left out when the day holds exactly one."""
        if draft.violation is not None and draft.violation not in VIOLATIONS:
            raise Refused(N_("violation '%(violation)s' is not one of %(known)s", violation=draft.violation,
                             known=", ".join(VIOLATIONS)))
        category = reason(draft.category or "khac")
        rows = self.store.day_results_between(draft.day_from, draft.day_from, employee_code=draft.employee_code)
        if not rows:
            raise Refused(N_("%(code)s has no judged day %(day)s to explain (run 'monitor evaluate' first)",
                             code=draft.employee_code, day=draft.day_from))
        day = rows[0]
        held = stored_violations(day)
        if draft.violation is None:
            if len(held) != 1:
                found = Message.words(held)
                raise Refused(N_("say which violation of %(day)s to explain (--violation; the day holds: %(found)s)",
                                 day=draft.day_from, found=found))
            draft.violation = held[0]
        if draft.violation not in held:
            found = Message.words(held)
            raise Refused(N_("%(day)s has no %(violation)s to explain (the day holds: %(found)s)", day=draft.day_from,
                             violation=Message(draft.violation), found=found))
        minutes = draft.minutes
        if minutes is not None:
            if draft.violation not in MINUTE_VIOLATIONS:
                raise Refused(N_("minutes are excused only for %(known)s; %(violation)s is excused whole",
                                 known=Message.words(list(MINUTE_VIOLATIONS)),
                                 violation=Message(draft.violation)))
            total = day[f"{draft.violation}_minutes"]
            if not 1 <= minutes <= max(total, 1):
                raise Refused(N_("%(minutes)s minutes is not between 1 and the %(total)s minutes of %(violation)s",
                                 minutes=minutes, total=total, violation=Message(draft.violation)))
        return {"violation": draft.violation, "minutes": minutes, "category": category.code}

    def deadline_for(self, person: dict[str, Any], day: date) -> date:
        """The last day a request about ``person``'s ``day`` may be filed by them (the
        rule of :func:`monitor.engine.requests.filing_deadline` on their working days)."""
        is_working = self._working_days.get(person["code"])
        if is_working is None:
            is_working = self._working_days[person["code"]] = self._working_day(person)
        return filing_deadline(day, self.rules.deadline_working_days, is_working)

    def _working_day(self, person: dict[str, Any]):
        """Whether a day is a working day for ``person`` (the deadline counts these)."""
        units = self.store.units()
        parents = {u["code"]: u["parent_code"] for u in units}
        schedule = self.policy.schedule_for(person["schedule"], person["unit_code"], parents,
                                            {u["code"]: u["schedule"] for u in units}, employee_code=person["code"])
        calendar = self.policy.work_calendar(parents)
        return lambda day: calendar.day(day, person["unit_code"], schedule.weekdays).kind == REQUIRED

    # --- acting on a request ------------------------------------------------------------

    def withdraw(self, actor: Actor, request_id: int) -> dict[str, Any]:
        """The filer (or the person, or HR) withdraws a pending request."""
        store = self.store
        with store.write():
            row = store.request(request_id)
            if not (actor.is_hr or actor.username == row["filed_by"] or actor.employee_code == row["employee_code"]):
                raise Refused(N_("only whoever filed request #%(id)s, the person or HR may withdraw it", id=request_id))
            self._require_pending(row)
            _refuse_locked(store, row)
            store.update_request(request_id, {"status": WITHDRAWN, "decided_by": actor.username,
                                              "decided_at": store.now_text()}, actor=actor.username,
                                 action="withdraw", reason=None)
        return store.request(request_id)

    def decide(self, actor: Actor, request_id: int, *, approve: bool, comment: str | None = None) -> Decision:
        """Approve or reject one pending request, then judge its days again."""
        codes = self._decide(actor, request_id, approve, comment)
        judged = self.rejudge(codes) if codes else None
        return Decision(self.store.request(request_id), judged)

    def decide_many(self, actor: Actor, request_ids: Sequence[int], *, approve: bool,
                    comment: str | None = None) -> tuple[list[dict[str, Any]], list[str], RunSummary | None]:
        """Decide several requests: each is its own transaction (one refused request
        leaves the others decided); the affected days are judged again in one run.
        Returns the decided requests, the refusals (one line each) and the run."""
        decided, refusals, codes = [], [], set()
        for request_id in dict.fromkeys(request_ids):
            try:
                codes.update(self._decide(actor, request_id, approve, comment))
            except (Refused, NotFound) as exc:
                refusals.append(N_("#%(id)s: %(refusal)s", id=request_id, refusal=exc.args[0] if exc.args else str(exc)))
                continue
            decided.append(request_id)
        judged = self.rejudge(codes) if codes else None
        rows = self.store.requests_where(ids=decided) if decided else []
        return rows, refusals, judged

    def _decide(self, actor: Actor, request_id: int, approve: bool, comment: str | None) -> set[str]:
        store = self.store
        comment = (comment or "").strip() or None
        if not approve and not comment:
            raise Refused(N_("give a comment when rejecting: the person sees why"))
        with store.write():
            row = store.request(request_id)
            self._require_pending(row)
            refusal = decide_refusal(store, actor, row)
            if refusal:
                raise Refused(refusal)
            _refuse_locked(store, row)
            changes: dict[str, Any] = {"status": APPROVED if approve else REJECTED, "decided_by": actor.username,
                                       "decided_at": store.now_text(), "decision_comment": comment}
            if approve:
                changes.update(self._apply(actor, row))
            store.update_request(request_id, changes, actor=actor.username,
                                 action="approve" if approve else "reject", reason=comment)
        return {row["employee_code"]} if approve else set()

    def _apply(self, actor: Actor, row: dict[str, Any]) -> dict[str, Any]:
        """The effects of an approval, inside its transaction; extra request columns."""
        store = self.store
        first, last = date.fromisoformat(row["day_from"]), date.fromisoformat(row["day_to"])
        why = f"request #{row['id']}: {row['reason']}"
        extra: dict[str, Any] = {}
        if row["kind"] == CORRECTION:
            offset = self.now.isoformat()[-6:]
            for direction, claimed in (("in", row["claimed_in"]), ("out", row["claimed_out"])):
                if claimed:
                    store.add_manual_punch(row["employee_code"], f"{row['day_from']}T{claimed}{offset}", direction,
                                           request_id=row["id"], author=row["filed_by"], approver=actor.username,
                                           reason=why)
        elif row["kind"] == LEAVE:
            leave_id = store.add_leave(row["employee_code"], first, last, part=row["part"], kind=row["leave_kind"],
                                       reason=why, actor=actor.username)
            store.db.conn.execute("UPDATE leave SET request_id = ? WHERE id = ?", (row["id"], leave_id))
            extra["leave_id"] = leave_id
        store.mark_days_dirty([(row["employee_code"], first, last)])
        return extra

    def revoke(self, actor: Actor, request_id: int, why: str) -> Decision:
        """Undo an approval given by mistake (audited, with a reason); its effects go and
        its days are judged again."""
        store = self.store
        why = (why or "").strip()
        if not why:
            raise Refused(N_("give a reason for revoking the approval (it is kept in the audit trail)"))
        with store.write():
            row = store.request(request_id)
            if row["status"] != APPROVED:
                raise Refused(N_("request #%(id)s is %(status)s; only an approval can be revoked", id=request_id,
                                 status=Message(row["status"])))
            if not actor.is_hr and decide_refusal(store, actor, row):
                raise Refused(N_("only HR or the manager who may decide request #%(id)s may revoke it", id=request_id))
            _refuse_locked(store, row)
            store.revoke_manual_punches(request_id, actor=actor.username, reason=why)
            if row["leave_id"]:
                store.remove_leave(row["leave_id"], reason=why, actor=actor.username)  # leave.request_id links them
            store.mark_days_dirty([(row["employee_code"], date.fromisoformat(row["day_from"]),
                                    date.fromisoformat(row["day_to"]))])
            store.update_request(request_id, {"status": REVOKED, "revoked_by": actor.username,
                                              "revoked_at": store.now_text(), "revoke_reason": why},
                                 actor=actor.username, action="revoke", reason=why)
        return Decision(store.request(request_id), self.rejudge({row["employee_code"]}))

    def approve_leave_now(self, actor: Actor, draft: Draft) -> dict[str, Any]:
        """HR's shortcut (``monitor leave add``): file leave and approve it at once."""
        if not actor.is_hr:
            raise Refused(N_("only HR files and approves leave in one step"))
        # one transaction: a refused approval (overlapping leave) leaves no request behind
        with self.store.write():
            request_id = self.file(actor, draft)
            codes = self._decide(actor, request_id, approve=True, comment="lập và duyệt bởi nhân sự")
        self.rejudge(codes)
        return self.store.request(request_id)

    def rejudge(self, employee_codes: Iterable[str]) -> RunSummary:
        """Judge the marked days of these people now, not at the next scheduled run."""
        return Evaluation(self.store, self.policy, self.now).run(employee_codes=set(employee_codes))

    @staticmethod
    def _require_pending(row: dict[str, Any]) -> None:
        if row["status"] != PENDING:
            if row["decided_by"]:
                message = N_("request #%(id)s is already %(status)s by %(by)s on %(at)s; a decision is final",
                             id=row["id"], status=Message(row["status"]), by=row["decided_by"], at=row["decided_at"])
            else:
                message = N_("request #%(id)s is already %(status)s; a decision is final", id=row["id"],
                             status=Message(row["status"]))
            if row["status"] == APPROVED:
                message = N_("%(refusal)s (an approval may be revoked)", refusal=message)
            raise Refused(message)

    # --- attachments --------------------------------------------------------------------

    def attach(self, actor: Actor, request_id: int, file_name: str, data: bytes) -> int:
        """Keep a PDF, JPEG or PNG with a pending request, by its SHA-256, beside the database."""
        store = self.store
        row = store.request(request_id)
        if not (actor.is_hr or actor.username == row["filed_by"] or actor.employee_code == row["employee_code"]):
            raise Refused(N_("only whoever filed request #%(id)s, the person or HR may attach files to it", id=request_id))
        self._require_pending(row)
        if not data:
            raise Refused(N_("%(file)s: the file is empty", file=file_name))
        if len(data) > self.rules.max_file_bytes:
            size, limit = format(len(data), ","), format(self.rules.max_file_bytes, ",")
            raise Refused(N_("%(file)s: %(size)s bytes is over the limit of %(limit)s ([requests] max_file_mb)",
                             file=file_name, size=size, limit=limit))
        kind = content_type_of(data)
        if kind is None:
            raise Refused(N_("%(file)s: not a PDF, JPEG or PNG file (scan the document to one of these)", file=file_name))
        digest = hashlib.sha256(data).hexdigest()
        target = files_dir(store) / digest[:2] / digest
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            with partial.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            partial.replace(target)  # atomic: a reader never sees half a file
        name = Path(file_name.replace("\\", "/")).name[:200] or "file"
        return store.add_request_file(request_id, file_name=name, content_type=kind, size=len(data), sha256=digest,
                                      actor=actor.username)


def read_attachment(store: Store, file_row: dict[str, Any]) -> bytes:
    """An attached file's bytes, checked against its SHA-256."""
    path = files_dir(store) / file_row["sha256"][:2] / file_row["sha256"]
    try:
        data = path.read_bytes()
    except OSError:
        raise NotFound(f"the file of attachment #{file_row['id']} is missing from {path.parent}") from None
    if hashlib.sha256(data).hexdigest() != file_row["sha256"]:
        raise Refused(f"the file of attachment #{file_row['id']} was changed on disk (SHA-256 differs)")
    return data


def _refuse_locked(store: Store, request: dict[str, Any]) -> None:
    """Refuse, naming the lock, any step on a request whose days touch a locked month:
    a locked month's timesheet is signed and nothing in it changes (as for leave). Even a
    rejection or a withdrawal is refused, so the record of the month stays as it was locked."""
    store.refuse_locked_days(request["employee_code"], date.fromisoformat(request["day_from"]),
                             date.fromisoformat(request["day_to"]))


def stored_violations(day: dict[str, Any]) -> list[str]:
    """The violations of a stored judged day, in :data:`VIOLATIONS` order."""
    found = []
    for name, held in (("late", day["late_count"]), ("early", day["early_count"]), ("away", day["away_minutes"]),
                       ("missing_in", day["missing_in"]), ("missing_out", day["missing_out"])):
        if held:
            found.append(name)
    if day["status"] in ("absent", "partial_absent"):
        found.append(day["status"])
    return found


def parse_clock(text: str) -> time:
    """``HH:MM`` or ``HH:MM:SS`` (24-hour), or :class:`Refused`."""
    try:
        parts = [int(p) for p in text.strip().split(":")]
        if len(parts) not in (2, 3):
            raise ValueError
        return time(*parts)
    except (ValueError, TypeError):
        raise Refused(N_("'%(text)s' is not a time of day (write 07:30 or 07:30:15)", text=text)) from None

