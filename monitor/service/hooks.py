"""The wiring between features that were built side by side: each fills a hook another
one declared, here, in one place.

* month close (:mod:`.month_close`): pending requests of the unit's people in the month
  block ``submit`` (a pending source);
* roll-call (:mod:`monitor.reports.excuses`): approved leave and explanation requests
  are reasons for being away, with their kind and document number (an excuse source);
* notifications (:mod:`.notify.sources`): the digest's ``requests_waiting``, the
  reminders ``unexplained_violations``, ``pending_requests`` and ``month_submittable``,
  and the alert checks ``spool_backlog``, ``failed_backups`` and ``tamper_signals``.

The rules stay where they live (the filing deadline in :mod:`monitor.engine.requests`,
who waits for whom in :mod:`.requests`, what is pending in :mod:`.month_close`); these
functions only read them. :func:`install` runs when ``monitor.service`` is imported, so
the CLI, the web and the collector all see the same wiring.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta

from monitor.engine.clock import in_zone
from monitor.engine.requests import APPROVED, EXPLANATION, LEAVE, PENDING, REASONS, WORKED, RequestPolicy
from monitor.errors import N_
from monitor.reports.excuses import Excuse, register_excuse_source
from monitor.reports.period import Month
from monitor.service.backup import last_backup
from monitor.service.month_close import PendingItem, pending_items, register_pending_source
from monitor.service.notify.contracts import (
    AlertContext,
    Condition,
    DigestContext,
    RecipientRef,
    Reminder,
    ReminderContext,
    Section,
)
from monitor.service.notify.digest import UnitCalendar
from monitor.service.notify.sources import ALERT_CHECKS, DIGEST_SECTIONS, REMINDERS
from monitor.service.requests import RequestDesk, pending_for_approver, stored_violations
from monitor.service.spool import spool_backlog
from monitor.store import Store

# a violation older than this is past any filing deadline (5 working days plus Tết's days off)
LOOKBACK_DAYS = 45
TAMPER_WINDOW = timedelta(days=7)  # older tamper events are on the devices page, not alerted any more
ALL = 100_000  # "every row": the store's listings take a limit

KIND_WORDS = {
    EXPLANATION: ("giải trình", "explanations"),
    "correction": ("đề nghị cập nhật công", "attendance corrections"),
    LEAVE: ("đơn nghỉ", "leave requests"),
}
VIOLATION_WORDS = {
    "late": ("đi muộn", "late arrival"),
    "early": ("về sớm", "early departure"),
    "away": ("ra ngoài trong giờ", "away during hours"),
    "missing_in": ("thiếu chấm vào", "missing punch in"),
    "missing_out": ("thiếu chấm ra", "missing punch out"),
    "absent": ("vắng", "absence"),
    "partial_absent": ("vắng nửa ngày", "half-day absence"),
}


def _vi_day(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _link(base: str | None, path: str) -> str | None:
    return f"{base}{path}" if base else None


# --- month close: pending requests block submit ------------------------------------------


def pending_requests_of_month(store: Store, unit: str, month: Month) -> list[PendingItem]:
    """Requests of the unit's people about days of the month still waiting for a decision."""
    codes = store.unit_employee_codes(unit, str(month))
    if not codes:
        return []
    rows = store.requests_where(employee_codes=codes, statuses=[PENDING], day_from=month.first, day_to=month.last,
                                limit=ALL)
    if not rows:
        return []
    ids = ", ".join(f"#{row['id']}" for row in sorted(rows, key=lambda r: r["id"])[:10]) + (" ..." if len(rows) > 10 else "")
    return [PendingItem("pending_requests", len(rows),
                        N_("%(count)s requests still waiting for a decision (%(ids)s); decide them (monitor requests"
                           " approve/reject) or have them withdrawn", count=len(rows), ids=ids))]


# --- roll-call: approved requests are reasons ----------------------------------------------


def approved_request_excuses(store: Store, employee_codes: Iterable[str], day: date) -> list[Excuse]:
    """Approved leave requests (their leave kind and part) and approved explanations (their
    reason category, for the whole day) covering ``day``, with the document number."""
    codes = list(employee_codes)
    if not codes:
        return []
    rows = store.requests_where(employee_codes=codes, statuses=[APPROVED], kinds=[LEAVE, EXPLANATION],
                                day_from=day, day_to=day, limit=ALL)
    found = []
    for row in sorted(rows, key=lambda r: r["id"]):
        if row["kind"] == LEAVE:
            kind, part = row["leave_kind"], row["part"] or "full"
        else:
            category = REASONS.get(row["category"] or "khac", REASONS["khac"])
            # a category with a timesheet symbol of its own (CT, H, Ô) reads as that kind
            kind = category.symbol if category.symbol and category.symbol != WORKED else category.code
            part = "full"
        found.append(Excuse(row["employee_code"], kind, part, row["document_no"], row["reason"], "request",
                            f"#{row['id']}"))
    return found


# --- notifications: the digest ---------------------------------------------------------------


def requests_waiting(ctx: DigestContext) -> Section | None:
    """The requests routed to the digest's unit, which its heads decide, counted by kind.
    The digest of a unit is one for all its heads (``head`` is None); given a head, those
    of :func:`pending_for_approver` (not their own)."""
    unit = ctx.unit["code"]
    if ctx.head:
        rows = [r for r in pending_for_approver(ctx.store, ctx.head) if r["approver_unit"] == unit]
    else:
        rows = ctx.store.requests_where(statuses=[PENDING], approver_units=[unit], limit=ALL)
    if not rows:
        return None
    counts = Counter(row["kind"] for row in rows)
    items = [(KIND_WORDS[kind], counts[kind]) for kind in KIND_WORDS if counts[kind]]
    return Section("requests_waiting", {"items": items, "link": _link(ctx.notify.site_url, "/requests/inbox")})


# --- notifications: reminders ----------------------------------------------------------------


def _office_open(ctx: ReminderContext) -> Callable[[str | None], bool]:
    """Whether a unit's office is open now (a working day of its calendar, from its first
    session's start), remembered per unit for this tick: a reminder reaches people at
    their desks, not at night, on weekends, holidays or days swapped off."""
    calendar = ctx.calendar or UnitCalendar(ctx.store, ctx.policy, ctx.notify)
    local = in_zone(ctx.moment, ctx.store.zone)
    known: dict[str | None, bool] = {}

    def is_open(unit_code: str | None) -> bool:
        if unit_code not in known:
            known[unit_code] = calendar.office_open(unit_code, local)
        return known[unit_code]

    return is_open


def _rules(ctx: ReminderContext) -> RequestPolicy:
    return ctx.config.requests if ctx.config is not None else RequestPolicy()


def unexplained_violations(ctx: ReminderContext) -> Iterator[Reminder]:
    """To each person with an e-mail address, for each judged day with a violation and no
    pending or approved request about it: from ``days_before_deadline`` days before the
    filing deadline until the deadline (once per day and lead)."""
    store, today, lead = ctx.store, ctx.day, ctx.notify.days_before_deadline
    is_open = _office_open(ctx)
    people = {row["code"]: row for row in store.employees(active_only=True)
              if row.get("email") and is_open(row["unit_code"])}
    if not people:
        return
    first, last = today - timedelta(days=LOOKBACK_DAYS), today - timedelta(days=1)
    rows = [row for row in store.day_results_between(first, last) if row["employee_code"] in people]
    covered = store.requests_by_day(sorted(people), first, last)
    desk = RequestDesk(store, ctx.policy, _rules(ctx), ctx.moment)
    for row in rows:
        held = stored_violations(row)
        if not held or row.get("provisional"):
            continue
        if any(r["status"] in (PENDING, APPROVED) for r in covered.get((row["employee_code"], row["day"]), ())):
            continue
        day = date.fromisoformat(row["day"])
        person = people[row["employee_code"]]
        deadline = desk.deadline_for(person, day)
        if not deadline - timedelta(days=lead) <= today <= deadline:
            continue
        words = [VIOLATION_WORDS[v] for v in held]
        yield Reminder(
            key=f"explain:{person['code']}:{day.isoformat()}:{lead}d",
            to=RecipientRef("employee", person["code"]),
            title=(f"Nhắc giải trình ngày {_vi_day(day)}", f"Please explain {day.isoformat()}"),
            lines=(
                (f"Ngày {_vi_day(day)}: {', '.join(w[0] for w in words)}, chưa có giải trình.",
                 f"{day.isoformat()}: {', '.join(w[1] for w in words)}, not explained yet."),
                (f"Hạn nộp giải trình: {_vi_day(deadline)}.", f"Deadline: {deadline.isoformat()}."),
            ),
            link=_link(ctx.notify.site_url, "/me"),
        )


def pending_requests(ctx: ReminderContext) -> Iterator[Reminder]:
    """To each manager with requests waiting for them, once a day, when one of their
    units is at work."""
    is_open = _office_open(ctx)
    for user in ctx.store.users():
        if not user["active"] or user["role"] != "manager" or not any(map(is_open, user["units"])):
            continue
        rows = pending_for_approver(ctx.store, user["username"])
        if not rows:
            continue
        oldest = min(row["filed_at"] for row in rows)[:10]
        counts = Counter(row["kind"] for row in rows)
        lines = tuple((f"{counts[kind]} {KIND_WORDS[kind][0]}", f"{counts[kind]} {KIND_WORDS[kind][1]}")
                      for kind in KIND_WORDS if counts[kind])
        yield Reminder(
            key=f"pending:{user['username']}:{ctx.day.isoformat()}",
            to=RecipientRef("user", user["username"]),
            title=(f"{len(rows)} đơn đang chờ anh/chị duyệt", f"{len(rows)} requests wait for your decision"),
            lines=lines + ((f"Đơn cũ nhất nộp ngày {_vi_day(date.fromisoformat(oldest))}.", f"The oldest was filed on {oldest}."),),
            link=_link(ctx.notify.site_url, "/requests/inbox"),
        )


def month_submittable(ctx: ReminderContext) -> Iterator[Reminder]:
    """To HR, for each unit with people whose last month is still open with nothing
    pending (:func:`monitor.service.month_close.pending_items`): it can be submitted."""
    store = ctx.store
    is_open = _office_open(ctx)
    month = Month.of(ctx.day.replace(day=1) - timedelta(days=1))
    states = store.month_states(str(month))
    for unit in store.units():
        code = unit["code"]
        if states.get(code, "open") != "open" or not is_open(code) or not store.unit_employee_codes(code, str(month)):
            continue
        if pending_items(store, code, month):
            continue
        yield Reminder(
            key=f"submittable:{code}:{month}",
            to=RecipientRef("role", "hr"),
            title=(f"Tháng {month.first:%m/%Y} của {unit['name']} có thể trình duyệt",
                   f"{month} of {unit['name']} can be submitted"),
            lines=((f"Không còn việc tồn đọng; người chấm công trình: monitor month submit --month {month} --unit {code}",
                    f"Nothing is pending; the timekeeper submits: monitor month submit --month {month} --unit {code}"),),
            link=_link(ctx.notify.site_url, f"/close?month={month}&unit={code}"),
        )


# --- notifications: alert checks -------------------------------------------------------------


def spool_backlog_check(ctx: AlertContext) -> Iterator[Condition]:
    """Punches waiting in the live readers' spool (the database refused them), per device,
    once they have waited [notify.alerts] offline_minutes."""
    if ctx.config is None:
        return
    for device, count in spool_backlog(ctx.config.storage.spool).items():
        yield Condition(
            key=f"spool_backlog:{device}",
            summary=(f"{device}: {count} lượt chấm đang chờ trong spool, chưa ghi được vào cơ sở dữ liệu",
                     f"{device}: {count} punches waiting in the spool, not yet written to the database"),
            delay_minutes=ctx.notify.offline_minutes,
        )


def failed_backups_check(ctx: AlertContext) -> Iterator[Condition]:
    """The last backup failed; it recovers when one succeeds."""
    last = last_backup(ctx.store)
    if not last or last.get("ok"):
        return
    at = datetime.fromisoformat(last["at"]) if last.get("at") else None
    yield Condition(
        key="failed_backups",
        summary=(f"Sao lưu lúc {last.get('at', '?')[:16].replace('T', ' ')} không thành công: {last.get('error')}",
                 f"The backup at {last.get('at', '?')[:16].replace('T', ' ')} failed: {last.get('error')}"),
        since=at,
    )


def tamper_signals_check(ctx: AlertContext) -> Iterator[Condition]:
    """Each tamper operation a push clock reported in the last week, told once."""
    since = in_zone(ctx.moment - TAMPER_WINDOW, ctx.store.zone).isoformat()
    for op in ctx.store.tamper_signals(since=since, limit=ALL):
        when = op["done_at"][:16].replace("T", " ")
        yield Condition(
            key=f"tamper_signals:{op['id']}",
            summary=(f"{op['device_id']}: thao tác {op['name']} lúc {when} (quản trị {op['admin']})",
                     f"{op['device_id']}: {op['name']} at {when} (by admin {op['admin']})"),
            since=datetime.fromisoformat(op["done_at"]),
            recovers=False,
        )


# --- installing ------------------------------------------------------------------------------


def install() -> None:
    """Fill every hook (idempotent: registering twice changes nothing)."""
    register_pending_source(pending_requests_of_month)
    register_excuse_source(approved_request_excuses)
    DIGEST_SECTIONS.provide("requests_waiting", requests_waiting)
    REMINDERS.provide("unexplained_violations", unexplained_violations)
    REMINDERS.provide("pending_requests", pending_requests)
    REMINDERS.provide("month_submittable", month_submittable)
    ALERT_CHECKS.provide("spool_backlog", spool_backlog_check)
    ALERT_CHECKS.provide("failed_backups", failed_backups_check)
    ALERT_CHECKS.provide("tamper_signals", tamper_signals_check)


install()
