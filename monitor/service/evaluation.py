"""The incremental evaluation: judge every employee-day that needs it, in batches.

What needs judging, per employee:
* days after the employee's "judged through" mark, up to today (or up to the leaving
  date); from the first judged day (``[calendar] evaluate_from``, else the day of the
  oldest stored punch, never before the hire date) when there is no mark yet;
* everything from that first day again when the *basis* changed: a digest of the rules
  (schedules, calendar, leave config, holiday data), the first day and the employee's
  hire and leaving dates, so correcting office hours or a date re-judges the past;
* a day judged again keeps the unit and schedule it was first judged under (stored in
  its row): moving someone, or giving a unit another schedule, changes the days ahead,
  not the history; editing a schedule's definition corrects every day judged under it;
* dirty days (a late-syncing clock, an enrollment, a leave change) up to today;
* days judged while still open (``provisional``);
* never a day of a locked month (:mod:`monitor.service.month_lock`): it keeps its row.

Each batch of employees (a few thousand employee-days) is read in one snapshot, judged
with no transaction open, and written in one short transaction: results, the dirty marks
it answered (not those made meanwhile), the new "judged through" marks. So the write
lock is held for the writing only (tens of milliseconds), a card reader's punch never
waits long, memory stays bounded, and a run stopped between batches (SIGTERM) keeps what
it wrote: the next run resumes from the marks and gives the same result. Reads are one
index range per employee (or per run of days), writes are multi-row inserts; nothing is
queried per day. The writing runs on a thread of its own that owns the store's
connection (:mod:`monitor.service.batch_writer`), in batch order, while the next batch
is read on a second connection and judged: on two cores most of the write is free. The
rows are bound here, not on the writer (:meth:`Store.day_result_staging`): binding is
Python work, and Python work on the writer waits for the judging's GIL.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from monitor.engine.calendar import NOT_REQUIRED, CalendarDay, WorkCalendar
from monitor.engine.clock import in_zone, wall_time
from monitor.engine.judge import DayPlan, LeaveDay, evaluate_day, plan_day
from monitor.engine.leave import LeaveKind
from monitor.engine.policy import OfficePolicy
from monitor.engine.requests import NOTHING_EXCUSED, Excuse, excuse_day
from monitor.engine.schedules import Schedule, clock_text
from monitor.errors import Refused
from monitor.service.batch_writer import BatchWriter
from monitor.service.month_lock import hold_locked_days
from monitor.store import Store
from monitor.store.base import fewer_collections
from monitor.store.pipeline import RowStage
from monitor.store.results import STAGED_NULL as NULL
from monitor.store.results import unstaged

BATCH_EMPLOYEES = 2000
# Employee-days per batch: bounds the write lock's hold (about 30 µs a row) and the
# memory of a batch's results, whatever the number of staff or the span re-judged.
BATCH_DAYS = 2000
# Page cache while judging (KiB): the (day, unit) index of day_results is written all
# over; with the default 2 MB cache each batch re-reads and re-writes its pages.
CACHE_KIB = 64 * 1024
FIRST_DAY_KEY = "evaluation_first_day"


@dataclass
class RunSummary:
    """What one evaluation run did."""

    judged: int = 0  # employee-days written
    employees: int = 0  # employees with at least one day judged
    dirty: int = 0  # dirty marks consumed
    provisional: int = 0  # of the judged days, still open
    rebased: int = 0  # employees re-judged from their first day (rules or directory changed)
    locked: int = 0  # employee-days left as they were because their month is locked
    interrupted: bool = False  # stopped between batches; the next run resumes
    first_day: date | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: {"read": 0.0, "judge": 0.0, "stage": 0.0, "write": 0.0})


@dataclass
class _Employee:
    code: str
    unit: str
    schedule: Schedule
    hired_on: date | None
    left_on: date | None
    basis: str
    chain: tuple[str, ...]  # units on the way up with calendar overrides
    active: bool
    first_day: date  # the first day judged for them
    end: date | None = None  # the last day due (today, or the leaving date)
    days: set[date] = field(default_factory=set)
    mark: date | None = None  # new "judged through" to record
    rebase: bool = False  # the basis changed: forget results outside first_day..end
    dropped: list[str] = field(default_factory=list)  # dirty days before the first day: not judged


@dataclass
class _Judged:
    """A judged batch, ready to write."""

    staged: bytes  # the plain rows (nothing excused, not corrected), staged (Store.day_result_staging)
    plain: int  # how many
    evaluated_at: str
    rows: list[tuple[Any, ...]]  # rows in RESULT_COLUMNS order
    answered: list[tuple[str, str]]  # the dirty marks these results answer
    watermark: int  # the re-mark log's number when the batch was read
    rebased: list[tuple[str, date, date]]  # (employee, first day, last day): forget results outside
    marks: list[tuple[str, str, str]]  # (employee, judged through, basis)

    @property
    def count(self) -> int:
        return self.plain + len(self.rows)


@dataclass
class Work:
    """What a run will judge: employees with their days, and the summary so far."""

    employees: list[_Employee]
    summary: RunSummary

    @property
    def days(self) -> int:
        return sum(len(e.days) for e in self.employees)


class Evaluation:
    """One run over the store with a fixed policy and a fixed ``now``."""

    def __init__(self, store: Store, policy: OfficePolicy, now: datetime, *, batch_size: int = BATCH_EMPLOYEES,
                 batch_days: int = BATCH_DAYS):
        self.store = store
        self.policy = policy
        self.now = in_zone(now, store.zone)
        self.now_local = wall_time(self.now)  # as the rules compare it
        self.today = self.now.date()
        self.batch_size = batch_size
        self.batch_days = batch_days
        units = store.units()
        self.parents = {u["code"]: u["parent_code"] for u in units}
        self.unit_schedules = {u["code"]: u["schedule"] for u in units}
        self.calendar: WorkCalendar = policy.work_calendar(self.parents)
        self._plans: dict[tuple[str, tuple[str, ...]], dict[date, DayPlan]] = {}
        self._free: dict[tuple[str, str, date], DayPlan] = {}
        self._leave_days: dict[tuple[str, str], LeaveDay] = {}
        self._clock: dict[int, str] = {}
        self._iso: dict[date, str] = {}
        self._keep_first_day: str | None = None

    # --- deciding what to judge -------------------------------------------------------

    def run(
        self,
        *,
        day_from: date | None = None,
        day_to: date | None = None,
        employee_codes: Iterable[str] | None = None,
        progress: Callable[[int], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> RunSummary:
        """Judge what needs it; with ``day_from``/``day_to`` re-judge that span as well.
        ``stop`` is asked between batches; when it says yes the run ends there."""
        return self.execute(self.plan(day_from=day_from, day_to=day_to, employee_codes=employee_codes), progress, stop)

    def plan(
        self,
        *,
        day_from: date | None = None,
        day_to: date | None = None,
        employee_codes: Iterable[str] | None = None,
    ) -> Work:
        """Decide what to judge (nothing is written yet)."""
        summary = RunSummary()
        summary.warnings = [
            f"[units.{code}] in the config names a unit that is not in the database"
            for code in self.policy.units
            if code not in self.parents
        ]
        wanted = set(employee_codes) if employee_codes is not None else None
        dirty = self.store.dirty_pairs(self.today)
        first_day = self._first_day(dirty)
        if day_from is not None and day_from < first_day:
            first_day = self._earlier_first_day(day_from, first_day)
        summary.first_day = first_day
        employees = self._employees(wanted, first_day)
        self._plan_work(employees, dirty, day_from, day_to, summary)
        self._hold_locked_days(employees, summary, explicit=day_from is not None or day_to is not None)
        work = [e for e in employees.values() if e.days or e.dropped or e.mark or e.rebase]
        return Work(work, summary)

    def _first_day(self, dirty: list[tuple[str, str]]) -> date:
        """``[calendar] evaluate_from``, else the day of the oldest stored punch.

        The oldest punch is looked up once (a scan of the punch log) and kept in
        ``meta``; afterwards every new punch leaves a dirty mark on its day, so an older
        arrival shows up among the dirty marks and moves the first day back.
        """
        if self.policy.calendar.evaluate_from:
            return self.policy.calendar.evaluate_from
        kept = self.store.get_meta(FIRST_DAY_KEY)
        oldest = date.fromisoformat(kept) if kept else self.store.oldest_punch_day()
        if dirty:
            earliest_dirty = date.fromisoformat(min(day for _, day in dirty))
            oldest = min(oldest, earliest_dirty) if oldest else earliest_dirty
        if oldest is None:
            return self.today  # nothing punched yet: only today is judged
        self._keep_first_day = oldest.isoformat() if oldest.isoformat() != kept else None
        return oldest

    def _earlier_first_day(self, day_from: date, first_day: date) -> date:
        """``--from`` before the first judged day: judge from it, or say what to set."""
        configured = self.policy.calendar.evaluate_from
        if configured is not None:
            raise Refused(
                f"{day_from.isoformat()} is before [calendar] evaluate_from = {configured.isoformat()}, and no day"
                f" before that is judged: set evaluate_from = {day_from.isoformat()} in the config to judge from it"
            )
        # kept in meta like the oldest punch: every later run judges from here too
        self._keep_first_day = day_from.isoformat()
        return day_from

    def _hold_locked_days(self, employees: dict[str, _Employee], summary: RunSummary, *, explicit: bool) -> None:
        """A locked month is never judged again (issue 10): its days keep their rows."""
        held = hold_locked_days(self.store, employees.values())
        summary.locked = held.days
        if not held.days:
            return
        if explicit:
            summary.warnings.append(f"re-judging refused for locked months: {held.describe()}; reopen them first"
                                    " (monitor month reopen --month YYYY-MM --unit U --reason ...)")
        else:
            summary.warnings.append(f"{held.days} employee-days in locked months kept as they were (changes there"
                                    f" apply when the month is reopened): {held.describe()}")

    def execute(
        self, work: Work, progress: Callable[[int], None] | None = None, stop: Callable[[], bool] | None = None
    ) -> RunSummary:
        """Judge the planned employee-days, one short write per batch (see the module docstring)."""
        summary = work.summary
        started_at = self.store.dirty_watermark()
        # unit by unit: the results' indexes lead with the day's unit, so a batch of one
        # unit's staff rewrites a few of their pages, not a page per row all over them
        employees = sorted(work.employees, key=lambda e: (e.unit, e.code))
        # Read and judged here, written by a thread owning the store's connection: batch
        # N is written while batch N + 1 is read (on a second connection) and judged
        # (see monitor.service.batch_writer). Batches touch disjoint employees, so
        # reading one before the previous one commits reads the same inputs.
        # The plain rows are bound into a stage here too, so the writer's share is
        # SQLite's work alone (see monitor.store.pipeline).
        with (fewer_collections(), self.store.page_cache(CACHE_KIB), self.store.bulk(),
              self.store.reader() as source, self.store.day_result_staging() as stage,
              BatchWriter(lambda judged: self._write_batch(judged, summary), name="evaluation-writer") as writer):
            for batch in self._batches(employees):
                writer.raise_failure()
                if stop is not None and stop():
                    summary.interrupted = True
                    break
                judged = self._judge_batch(source, stage, batch, summary)
                writer.put(judged)
                if progress:
                    progress(judged.count)
        if not summary.interrupted:
            self.store.forget_dirty_again(started_at)
            if self._keep_first_day:
                with self.store.write():
                    self.store.set_meta(FIRST_DAY_KEY, self._keep_first_day)
        summary.employees = sum(1 for e in work.employees if e.days)
        return summary

    def _batches(self, employees: Sequence[_Employee]) -> Iterable[list[_Employee]]:
        """Employees in batches of about ``batch_days`` employee-days (at most
        ``batch_size`` people); one person's days are never split."""
        batch: list[_Employee] = []
        weight = 0
        for employee in employees:
            batch.append(employee)
            weight += len(employee.days) or 1
            if weight >= self.batch_days or len(batch) >= self.batch_size:
                yield batch
                batch, weight = [], 0
        if batch:
            yield batch

    def _employees(self, wanted: set[str] | None, first_day: date) -> dict[str, _Employee]:
        fingerprint = self.policy.fingerprint()
        employees: dict[str, _Employee] = {}
        for row in self.store.employees():
            code = row["code"]
            if wanted is not None and code not in wanted:
                continue
            schedule = self.policy.schedule_for(
                row["schedule"], row["unit_code"], self.parents, self.unit_schedules, employee_code=code
            )
            hired_on = date.fromisoformat(row["hired_on"]) if row["hired_on"] else None
            left_on = date.fromisoformat(row["left_on"]) if row["left_on"] else None
            start = max(first_day, hired_on) if hired_on else first_day
            chain = self.calendar.chain_key(row["unit_code"])
            # The basis: what makes every judged day of the person stale. The first day
            # belongs to it (older punches arriving move it back). Their unit and schedule
            # do not: a day keeps the placement it was first judged under.
            basis_text = repr((fingerprint, start, row["hired_on"], row["left_on"]))
            basis = hashlib.sha256(basis_text.encode("utf-8")).hexdigest()[:16]
            employees[code] = _Employee(
                code, row["unit_code"], schedule, hired_on, left_on, basis, chain, bool(row["active"]), start
            )
        return employees

    def _plan_work(self, employees: dict[str, _Employee], dirty: list[tuple[str, str]], day_from: date | None,
                   day_to: date | None, summary: RunSummary) -> None:
        marks = self.store.judged_marks()
        one_day = timedelta(days=1)
        for employee in employees.values():
            start = employee.first_day
            mark = marks.get(employee.code)
            through = date.fromisoformat(mark[0]) if mark else None
            same_basis = mark is not None and mark[1] == employee.basis
            end = self.today
            if employee.left_on is not None:
                end = min(end, employee.left_on)
            elif not employee.active:
                # inactive without a leaving date: judged no further than before
                end = through if through is not None else start - one_day
            employee.end = end
            if same_basis:
                employee.days.update(_span(through + one_day, end))
                if end > through:
                    employee.mark = end
                continue
            employee.days.update(_span(start, end))
            employee.mark = max(end, start - one_day)
            if mark is not None:
                employee.rebase = True
                summary.rebased += start <= end
        for code, text in dirty:
            employee = employees.get(code)
            if employee is None:
                continue
            summary.dirty += 1
            day = date.fromisoformat(text)
            if day >= employee.first_day:
                employee.days.add(day)
            else:
                employee.dropped.append(text)
        for code, text in self.store.provisional_pairs():
            employee = employees.get(code)
            day = date.fromisoformat(text)
            if employee is not None and day >= employee.first_day:
                employee.days.add(day)
        if day_from is not None or day_to is not None:
            for employee in employees.values():
                low = max(day_from or employee.first_day, employee.first_day)
                high = min(day_to or employee.end, employee.end)
                employee.days.update(_span(low, high))

    # --- judging a batch --------------------------------------------------------------

    def _judge_batch(self, store: Store, stage: RowStage, batch: Sequence[_Employee], summary: RunSummary) -> _Judged:
        """Read a batch's inputs from ``store`` (the reading connection) in one snapshot
        and judge them, the plain rows staged in ``stage``; nothing is written."""
        evaluated_at = self.store.now_text()
        rows: list[tuple[Any, ...]] = []
        plain: list[tuple[Any, ...]] = []
        clock = self._clock_text
        now, symbols = self.now_local, self.policy.leave
        started = time.perf_counter()
        busy = [e for e in batch if e.days]
        with store.snapshot():
            # one consistent moment: the inputs, and the dirty marks they answer
            punches = self._read_punches(store, busy) if busy else {}
            corrected = self._add_manual_punches(store, busy, punches) if busy else set()
            excuses = self._read_excuses(store, busy) if busy else {}
            leave = self._read_leave(store, busy) if busy else {}
            placements = self._read_placements(store, busy) if busy else {}
            watermark = store.dirty_watermark()
            marks = store.dirty_marks_of([e.code for e in batch])
        read = time.perf_counter()
        by_code = {e.code: e for e in batch}
        answered = [
            (code, day) for code, day in marks
            if day in by_code[code].dropped or date.fromisoformat(day) in by_code[code].days
        ]
        for employee in busy:
            code, unit, schedule_id = employee.code, employee.unit, employee.schedule.id
            by_day = punches.get(code, {})
            records = leave.get(code)
            explained = excuses.get(code)
            plans = self._plans.setdefault((schedule_id, employee.chain), {})
            hired_on, left_on = employee.hired_on, employee.left_on
            current = (unit, schedule_id)
            for day in sorted(employee.days):
                iso = self._iso.get(day) or self._iso.setdefault(day, day.isoformat())
                placement = placements.get((code, iso)) if placements else None
                if placement is None or placement == current:
                    day_unit, day_schedule, day_plans = unit, employee.schedule, plans
                else:
                    day_unit, day_schedule, day_plans = self._placed(placement, employee)
                if (hired_on and day < hired_on) or (left_on and day > left_on):
                    plan = self._not_required(day_schedule, day)
                else:
                    plan = day_plans.get(day) or self._plan(day_plans, day_schedule, day_unit, day)
                day_leave = [item for low, high, item in records if low <= iso <= high] if records else ()
                result = evaluate_day(plan, by_day.get(iso, ()), day_leave, now, symbols)
                day_excuses = [item for low, high, item in explained if low <= iso <= high] if explained else ()
                row = (  # STAGED_COLUMNS, NULL texts as STAGED_NULL; evaluated_at is the batch's
                    code, iso, day_unit, day_schedule.id, result.status,
                    NULL if result.arrival is None else clock(result.arrival),
                    NULL if result.departure is None else clock(result.departure),
                    result.late_minutes, result.early_minutes, result.worked_minutes, result.away_minutes,
                    result.missing_in, result.missing_out, result.late_count, result.early_count,
                    result.absent_fraction, result.leave_fraction, result.present_fraction, result.symbol,
                    NULL if result.leave_kinds is None else result.leave_kinds,
                    NULL if result.holiday is None else result.holiday, int(result.provisional),
                    ",".join(map(str, result.punch_ids)) or NULL,
                    json.dumps(result.detail, ensure_ascii=False, sort_keys=True) if result.detail else NULL,
                )
                if day_excuses:
                    excused = excuse_day(result, day_excuses, symbols)
                    rows.append((*unstaged(row), evaluated_at, *excused.columns()[:-1], excused.symbol,
                                 int((code, iso) in corrected)))
                elif corrected and (code, iso) in corrected:
                    rows.append((*unstaged(row), evaluated_at, *NOTHING_EXCUSED.columns()[:-1], result.symbol, 1))
                else:
                    plain.append(row)  # nothing excused, not corrected: the common day
        judged = time.perf_counter()
        staged = stage.image(plain)
        summary.seconds["read"] += read - started
        summary.seconds["judge"] += judged - read
        summary.seconds["stage"] += time.perf_counter() - judged
        summary.judged += len(rows) + len(plain)
        summary.provisional += sum(row[21] for row in rows) + sum(row[21] for row in plain)
        return _Judged(
            staged, len(plain), evaluated_at, rows, answered, watermark,
            [(e.code, e.first_day, e.end) for e in batch if e.rebase],  # type: ignore[misc]
            [(e.code, e.mark.isoformat(), e.basis) for e in batch if e.mark is not None],
        )

    def _write_batch(self, judged: _Judged, summary: RunSummary) -> None:
        """One short transaction (on the writer thread): the batch's results, the dirty
        marks it answered, its new "judged through" marks."""
        store = self.store
        started = time.perf_counter()
        store.load_staged(judged.staged)  # before the transaction: a schema in use cannot be replaced
        with store.write():
            for code, first_day, end in judged.rebased:
                store.delete_unlocked_results_outside(code, first_day, end)
            store.save_staged_day_results(judged.evaluated_at)
            store.save_day_results(judged.rows)
            store.clear_answered_marks(judged.answered, judged.watermark)
            store.set_judged_through(judged.marks)
        summary.seconds["write"] += time.perf_counter() - started  # includes the commit

    def _clock_text(self, seconds: int) -> str:
        text = self._clock.get(seconds)
        if text is None:
            text = self._clock[seconds] = clock_text(seconds)
        return text

    def _plan(self, plans: dict[date, DayPlan], schedule: Schedule, unit: str, day: date) -> DayPlan:
        plan = plans[day] = plan_day(schedule, self.calendar.day(day, unit, schedule.weekdays))
        return plan

    def _placed(self, placement: tuple[str, str], employee: _Employee) -> tuple[str, Schedule, dict[date, DayPlan]]:
        """The unit, schedule and plans a day was first judged under, when both still
        exist; otherwise the employee's current ones."""
        unit, schedule_id = placement
        schedule = self.policy.schedules.get(schedule_id)
        if schedule is None or unit not in self.parents:
            return employee.unit, employee.schedule, self._plans[(employee.schedule.id, employee.chain)]
        return unit, schedule, self._plans.setdefault((schedule_id, self.calendar.chain_key(unit)), {})

    def _read_placements(self, store: Store, batch: Sequence[_Employee]) -> dict[tuple[str, str], tuple[str, str]]:
        placements: dict[tuple[str, str], tuple[str, str]] = {}
        for codes, first, last in _queries(batch):
            placements.update(store.day_placements(codes, first, last))
        return placements

    def _not_required(self, schedule: Schedule, day: date) -> DayPlan:
        key = (NOT_REQUIRED, schedule.id, day)
        plan = self._free.get(key)
        if plan is None:
            plan = self._free[key] = plan_day(schedule, CalendarDay(day, NOT_REQUIRED))
        return plan

    def _read_punches(self, store: Store, batch: Sequence[_Employee]) -> dict[str, dict[str, list[tuple[int, int]]]]:
        """employee → local day → [(seconds since midnight, punch id)], sorted."""
        found: dict[str, dict[str, list[tuple[int, int]]]] = {}
        for codes, first, last in _queries(batch):
            for code, times in store.punch_times_by_employee(codes, first, last):
                by_day = found.setdefault(code, {})
                for day, moment, punch_id in times:
                    day_punches = by_day.get(day)
                    if day_punches is None:
                        by_day[day] = [(moment, punch_id)]
                    else:
                        day_punches.append((moment, punch_id))
        return found

    def _add_manual_punches(self, store: Store, batch: Sequence[_Employee],
                            punches: dict[str, dict[str, list[tuple[int, int]]]]) -> set[tuple[str, str]]:
        """Merge approved corrections' manual punches (negative ids) into the device
        punches; the (employee, day) pairs that got one."""
        corrected: set[tuple[str, str]] = set()
        for codes, first, last in _queries(batch):
            for code, day, moment, punch_id in store.manual_punch_times(codes, first, last):
                day_punches = punches.setdefault(code, {}).setdefault(day, [])
                day_punches.append((moment, punch_id))
                day_punches.sort()
                corrected.add((code, day))
        return corrected

    def _read_excuses(self, store: Store, batch: Sequence[_Employee]) -> dict[str, list[tuple[str, str, Excuse]]]:
        """Approved explanations: employee → [(first day, last day, excuse)]."""
        days = [d for e in batch for d in e.days]
        found: dict[str, list[tuple[str, str, Excuse]]] = {}
        for code, low, high, violation, minutes, category in store.approved_excuses(
                [e.code for e in batch], min(days), max(days)):
            found.setdefault(code, []).append((low, high, Excuse(violation, minutes, category)))
        return found

    def _read_leave(self, store: Store, batch: Sequence[_Employee]) -> dict[str, list[tuple[str, str, LeaveDay]]]:
        days = [d for e in batch for d in e.days]
        records: dict[str, list[tuple[str, str, LeaveDay]]] = {}
        for code, low, high, part, kind in store.active_leave([e.code for e in batch], min(days), max(days)):
            records.setdefault(code, []).append((low, high, self._leave_day(kind, part)))
        return records

    def _leave_day(self, code: str, part: str) -> LeaveDay:
        found = self._leave_days.get((code, part))
        if found is None:
            # a kind dropped from the config since the leave was recorded still excuses
            kind = self.policy.leave.kinds.get(code) or LeaveKind(code, code, code)
            found = self._leave_days[(code, part)] = LeaveDay(kind, part)
        return found


def _queries(batch: Sequence[_Employee]) -> list[tuple[list[str], date, date]]:
    """How to read a batch's days: one range for all when the days are dense (a first
    run, a new day), else one range per employee and run of days (a few dirty days)."""
    needed = sum(len(e.days) for e in batch)
    low = min(min(e.days) for e in batch)
    high = max(max(e.days) for e in batch)
    if ((high - low).days + 1) * len(batch) <= 4 * needed:
        return [([e.code for e in batch], low, high)]
    return [([e.code], first, last) for e in batch for first, last in _runs(sorted(e.days))]


@lru_cache(maxsize=256)
def _span(first: date, last: date) -> tuple[date, ...]:
    """The days ``first``..``last``. Kept: nearly every employee is due the same span
    (their first day up to today), and making 10,000 employees' days anew took a
    quarter of a second of the plan, before any batch can start."""
    return tuple(first + timedelta(days=n) for n in range((last - first).days + 1))


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days grouped into (first, last) runs."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and (day - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs
