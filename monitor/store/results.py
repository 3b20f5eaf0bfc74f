"""Judged employee-days (``day_results``): what the evaluation reads and writes, and the
aggregate queries the reports use.

The evaluation works in batches of employees: the caller opens ``store.write()``,
reads the batch's punches and leave, and saves results, cleared dirty marks and the
new "judged through" marks in that one transaction, so a punch stored meanwhile by the
collector is either seen or leaves its dirty mark in place.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from monitor.engine.day import REQUIRED_STATUSES
from monitor.store.base import StoreBase
from monitor.store.pipeline import STAGING, RowStage, insert_rows

RESULT_COLUMNS = (
    "employee_code",
    "day",
    "unit_code",
    "schedule_id",
    "status",
    "arrival",
    "departure",
    "late_minutes",
    "early_minutes",
    "worked_minutes",
    "away_minutes",
    "missing_in",
    "missing_out",
    "late_count",
    "early_count",
    "absent_fraction",
    "leave_fraction",
    "present_fraction",
    "symbol",
    "leave_kind",
    "holiday",
    "provisional",
    "punch_ids",
    "detail",
    "evaluated_at",
    # what approved explanations excuse (engine.requests.Excused.columns), and whether
    # an approved correction's manual punch was judged
    "excused_late_minutes",
    "excused_late_count",
    "excused_early_minutes",
    "excused_early_count",
    "excused_away_minutes",
    "excused_missing",
    "excused_absent_fraction",
    "approved_symbol",
    "corrected",
)
# what a report row (monitor.reports.attendance.day_row) and the timesheet read
LEAN_COLUMNS = (
    "employee_code", "day", "unit_code", "status", "arrival", "departure", "late_minutes", "early_minutes",
    "worked_minutes", "away_minutes", "missing_in", "missing_out", "symbol", "leave_kind", "holiday", "provisional",
    # what approved explanations and corrections changed (requests)
    "excused_late_minutes", "excused_early_minutes", "excused_away_minutes", "excused_missing",
    "excused_absent_fraction", "approved_symbol", "corrected",
)
_INSERT = (
    f"INSERT OR REPLACE INTO day_results ({', '.join(RESULT_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(RESULT_COLUMNS))})"
)
# A day no approved request touched (nearly all of them) binds only the columns up to
# ``evaluated_at``: the excused counts and ``corrected`` take their default 0 and the
# approved symbol is the judged one (the same parameter twice). Binding a value costs
# about 0.15 µs in Python's sqlite3; a province's month binds millions of them.
PLAIN_COLUMNS = RESULT_COLUMNS[:RESULT_COLUMNS.index("evaluated_at") + 1]
_INSERT_PLAIN = f"INSERT OR REPLACE INTO day_results ({', '.join(PLAIN_COLUMNS)}, approved_symbol)"
_PLAIN_REPEAT = (PLAIN_COLUMNS.index("symbol"),)
# A staged plain row: the plain columns but ``evaluated_at``, the same for a whole batch
# (bound once, in the statement that moves the rows into day_results).
STAGED_COLUMNS = PLAIN_COLUMNS[:-1]
# In a staged row a NULL of these text columns is bound as the integer STAGED_NULL, which
# no text column holds, and turned back into NULL when the rows are moved. Why: Python
# 3.11's sqlite3 binds a None through its adapter lookup, about 0.47 µs against 0.04 µs
# for an integer, and a judged day has three or four of them (half of a batch's staging).
STAGED_NULL = 0
STAGED_TEXT = ("arrival", "departure", "leave_kind", "holiday", "punch_ids", "detail")
_STAGED_TEXT_AT = tuple(STAGED_COLUMNS.index(name) for name in STAGED_TEXT)


def unstaged(row: Sequence[Any]) -> tuple[Any, ...]:
    """A staged row (see :data:`STAGED_NULL`) with ``None`` for its NULL texts."""
    values = list(row)
    for index in _STAGED_TEXT_AT:
        if not isinstance(values[index], str):
            values[index] = None
    return tuple(values)


# A punch's local day and seconds since local midnight, cut from its local ISO text by
# SQLite (faster than Python): the evaluation's and the roll call's reads share them.
PUNCH_DAY = "substr(punched_at, 1, 10)"
PUNCH_SECONDS = "substr(punched_at, 12, 2) * 3600 + substr(punched_at, 15, 2) * 60 + substr(punched_at, 18, 2)"


def _in(codes: Sequence[str]) -> str:
    return f"({','.join('?' * len(codes))})"


def _chunks(codes: Sequence[str], size: int = 900) -> Iterator[Sequence[str]]:
    """Keep IN lists well under SQLite's bound-parameter limit."""
    for start in range(0, len(codes), size):
        yield codes[start:start + size]


class ResultStore(StoreBase):
    # --- what needs judging -----------------------------------------------------------

    def judged_marks(self) -> dict[str, tuple[str, str]]:
        """employee code → (judged through day, basis digest)."""
        return {code: (through, basis) for code, through, basis in self.db.conn.execute(
            "SELECT employee_code, through, basis FROM judged_through")}

    def dirty_pairs(self, through: date) -> list[tuple[str, str]]:
        """(employee, day) whose inputs changed, up to ``through``; later ones wait their day."""
        return list(self.db.conn.execute(
            "SELECT employee_code, day FROM dirty_days WHERE day <= ? ORDER BY employee_code, day", (through.isoformat(),)))

    def provisional_pairs(self) -> list[tuple[str, str]]:
        return list(self.db.conn.execute(
            "SELECT employee_code, day FROM day_results WHERE provisional = 1 ORDER BY employee_code, day"))

    def oldest_punch_day(self) -> date | None:
        """The local date of the oldest attributed punch (the default first judged day)."""
        text = self.scalar("SELECT MIN(punched_at) FROM punches WHERE employee_code IS NOT NULL")
        return date.fromisoformat(text[:10]) if text else None

    # --- reading inputs (inside the batch's transaction) ------------------------------

    def punch_times(self, employee_codes: Sequence[str], day_from: date, day_to: date) -> Iterator[tuple[str, str, int, int]]:
        """(employee, local day, seconds since local midnight, punch id) of those
        employees on ``day_from``..``day_to``, ordered by employee then time: one index
        range per employee. ``punched_at`` is local ISO text, so the day and the time of
        day are its characters (SQLite cuts them faster than Python)."""
        cursor = self.db.conn.execute(
            f"SELECT employee_code, {PUNCH_DAY}, {PUNCH_SECONDS}, id"
            f" FROM punches WHERE employee_code IN {_in(employee_codes)}"
            " AND punched_at >= ? AND punched_at < ? ORDER BY employee_code, punched_at",
            (*employee_codes, day_from.isoformat(), (day_to + timedelta(days=1)).isoformat()),
        )
        return iter(cursor)

    def punch_times_by_employee(self, employee_codes: Sequence[str], day_from: date, day_to: date
                                ) -> Iterator[tuple[str, list[list[Any]]]]:
        """What :meth:`punch_times` gives, one row per employee: (employee, [[local day,
        seconds since local midnight, punch id], ...]) in time order.

        Why: Python's sqlite3 gives up and retakes the GIL for every row fetched; with a
        writer thread beside the reads (monitor.service.batch_writer) a row per punch
        means a hand-over per punch. SQLite builds each employee's list as JSON instead
        (in C, without the GIL), grouped on the index's leading column so the index's
        order (employee, time, id) is the order of each list, and ``json.loads`` parses it."""
        cursor = self.db.conn.execute(
            f"SELECT employee_code, json_group_array(json_array({PUNCH_DAY}, {PUNCH_SECONDS}, id))"
            f" FROM punches INDEXED BY idx_punches_employee WHERE employee_code IN {_in(employee_codes)}"
            " AND punched_at >= ? AND punched_at < ? GROUP BY employee_code",
            (*employee_codes, day_from.isoformat(), (day_to + timedelta(days=1)).isoformat()),
        )
        return ((code, json.loads(text)) for code, text in cursor)

    def active_leave(self, employee_codes: Sequence[str], day_from: date, day_to: date) -> list[tuple[str, str, str, str, str]]:
        """(employee, date_from, date_to, part, kind) of active leave overlapping the days."""
        return list(self.db.conn.execute(
            f"SELECT employee_code, date_from, date_to, part, kind FROM leave WHERE employee_code IN {_in(employee_codes)}"
            " AND removed_at IS NULL AND date_to >= ? AND date_from <= ? ORDER BY employee_code, date_from, id",
            (*employee_codes, day_from.isoformat(), day_to.isoformat()),
        ))

    def day_placements(self, employee_codes: Sequence[str], day_from: date, day_to: date) -> dict[tuple[str, str], tuple[str, str]]:
        """(employee, day) → (unit, schedule id) of days already judged in the span."""
        return {(code, day): (unit, schedule) for code, day, unit, schedule in self.db.conn.execute(
            f"SELECT employee_code, day, unit_code, schedule_id FROM day_results WHERE employee_code IN {_in(employee_codes)}"
            " AND day BETWEEN ? AND ? AND unit_code IS NOT NULL AND schedule_id IS NOT NULL",
            (*employee_codes, day_from.isoformat(), day_to.isoformat()),
        )}

    # --- writing (inside the batch's transaction) -------------------------------------

    def save_day_results(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Insert or replace rows given in :data:`RESULT_COLUMNS` order."""
        self.db.conn.executemany(_INSERT, rows)

    def save_plain_day_results(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Insert or replace rows given in :data:`PLAIN_COLUMNS` order: days no approved
        explanation or correction touched (nothing excused, approved symbol = symbol), a
        few hundred a statement (see :mod:`monitor.store.pipeline`)."""
        insert_rows(self.db.conn, _INSERT_PLAIN, list(rows), repeat=_PLAIN_REPEAT)

    @contextmanager
    def day_result_staging(self) -> Iterator[RowStage]:
        """For a bulk job's plain rows (as :data:`STAGED_COLUMNS`, NULL texts as
        :data:`STAGED_NULL`): a stage for the
        thread that judges (:meth:`RowStage.image` binds a batch's rows there, with no
        lock held and off the writer thread), and this connection's ``staging`` schema
        that :meth:`load_staged` fills with such an image for
        :meth:`save_staged_day_results` (see :mod:`monitor.store.pipeline`)."""
        stage = RowStage("staged_results", STAGED_COLUMNS)
        try:
            with self.staging():
                yield stage
        finally:
            stage.close()

    def save_staged_day_results(self, evaluated_at: str) -> None:
        """Inside the batch's write: insert or replace the plain rows loaded into the
        ``staging`` schema (:meth:`load_staged`, before the transaction opened), in the
        order staged, judged at ``evaluated_at``."""
        columns = ", ".join(STAGED_COLUMNS)
        values = ", ".join(f"NULLIF({name}, {STAGED_NULL})" if name in STAGED_TEXT else name for name in STAGED_COLUMNS)
        self.db.conn.execute(
            f"INSERT OR REPLACE INTO day_results ({columns}, evaluated_at, approved_symbol)"
            f" SELECT {values}, ?, symbol FROM {STAGING}.staged_results ORDER BY rowid",
            (evaluated_at,),
        )

    def clear_dirty(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.db.conn.executemany("DELETE FROM dirty_days WHERE employee_code = ? AND day = ?", pairs)

    def clear_dirty_spans(self, spans: Iterable[tuple[str, str, str]]) -> None:
        """Clear the dirty marks of (employee, first day, last day) spans just judged."""
        self.db.conn.executemany("DELETE FROM dirty_days WHERE employee_code = ? AND day BETWEEN ? AND ?", spans)

    @contextmanager
    def page_cache(self, kib: int) -> Iterator[None]:
        """A bigger SQLite page cache for a bulk job, restored afterwards."""
        conn = self.db.conn
        previous = conn.execute("PRAGMA cache_size").fetchone()[0]
        conn.execute(f"PRAGMA cache_size = {-int(kib)}")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA cache_size = {int(previous)}")

    def set_judged_through(self, marks: Iterable[tuple[str, str, str]]) -> None:
        """(employee, through day, basis) for each employee judged up to a day."""
        insert_rows(self.db.conn, "INSERT INTO judged_through(employee_code, through, basis)", list(marks),
                    tail=" ON CONFLICT(employee_code) DO UPDATE SET through = excluded.through, basis = excluded.basis")

    def delete_day_results_outside(self, employee_code: str, first: date, last: date) -> int:
        """Forget an employee's results outside ``first``..``last`` (days no longer
        judged after their dates or the rules changed)."""
        return self.db.conn.execute(
            "DELETE FROM day_results WHERE employee_code = ? AND (day < ? OR day > ?)",
            (employee_code, first.isoformat(), last.isoformat()),
        ).rowcount

    # --- reading results (reports) ----------------------------------------------------

    def day_results_between(
        self, day_from: date, day_to: date, *, unit_codes: Sequence[str] | None = None, employee_code: str | None = None,
        lean: bool = False,
    ) -> list[dict[str, Any]]:
        """Result rows with the employee's name, ordered by unit, employee, day.
        ``lean``: only the columns of a report row, without the per-session detail and
        punch ids (a province's day reads a tenth of the bytes)."""
        clauses, params = _result_filter(day_from, day_to, unit_codes, employee_code)
        columns = ", ".join(f"r.{name}" for name in LEAN_COLUMNS) if lean else "r.*"
        return self.query(
            f"SELECT {columns}, e.full_name FROM day_results r JOIN employees e ON e.code = r.employee_code"
            f" WHERE {' AND '.join(clauses)} ORDER BY r.unit_code, r.employee_code, r.day",
            params,
        )

    def month_totals(
        self, day_from: date, day_to: date, *, unit_codes: Sequence[str] | None = None, employee_code: str | None = None,
        employee_codes: Sequence[str] | None = None, lean: bool = False,
    ) -> list[dict[str, Any]]:
        """Per employee: the counts of the month report (``unit_code`` of the last day),
        of everyone or of ``employee_codes``; ``lean``: only :data:`LEAN_MONTH_SUMS`."""
        walk = employee_code is None and employee_codes is None and (
            unit_codes is None or self._most_staff(unit_codes))
        return self.query(*month_totals_sql(day_from, day_to, unit_codes, employee_code, employee_codes, lean=lean,
                                            walk_employees=walk))

    def _most_staff(self, unit_codes: Sequence[str]) -> bool:
        """Whether the units hold over a third of the staff: their month is then read
        faster along every employee's key, skipping other units' days, than looked up
        row by row from the (unit, day) index (a root unit's manager: 1.2 s -> 0.4 s)."""
        in_units = self.scalar(f"SELECT COUNT(*) FROM employees WHERE unit_code IN {_in(unit_codes)}", list(unit_codes))
        return 3 * int(in_units or 0) > int(self.scalar("SELECT COUNT(*) FROM employees") or 0)

    def leave_fractions(self, employee_codes: Sequence[str], day_from: date, day_to: date) -> list[dict[str, Any]]:
        """Required days with leave: employee, leave_kind ("P" or "P,Ô"), leave_fraction, detail."""
        rows: list[dict[str, Any]] = []
        for chunk in _chunks(employee_codes):
            rows += self.query(
                "SELECT employee_code, leave_kind, leave_fraction, detail FROM day_results"
                f" WHERE employee_code IN {_in(chunk)} AND day BETWEEN ? AND ? AND leave_kind IS NOT NULL"
                f" AND status IN ({', '.join(repr(s) for s in REQUIRED_STATUSES)})",
                (*chunk, day_from.isoformat(), day_to.isoformat()),
            )
        return rows

    def absent_days(self, employee_codes: Sequence[str], day_from: date, day_to: date) -> dict[str, float]:
        """Unexcused absent days (half days count 0.5) per employee over a span, after
        approved explanations."""
        totals: dict[str, float] = {}
        for chunk in _chunks(employee_codes):
            totals.update(self.db.conn.execute(
                f"SELECT employee_code, SUM(absent_fraction - excused_absent_fraction) FROM day_results WHERE employee_code IN {_in(chunk)}"
                " AND day BETWEEN ? AND ? GROUP BY employee_code",
                (*chunk, day_from.isoformat(), day_to.isoformat()),
            ))
        return totals

    def waiting_days(self, day_from: date, day_to: date, employee_codes: Sequence[str] | None = None) -> int:
        """Employee-days in the span whose inputs changed since they were judged."""
        sql = "SELECT COUNT(*) FROM dirty_days WHERE day BETWEEN ? AND ?"
        params: list[Any] = [day_from.isoformat(), day_to.isoformat()]
        if employee_codes is not None:
            sql += f" AND employee_code IN {_in(employee_codes)}"
            params.extend(employee_codes)
        return int(self.scalar(sql, params) or 0)


def _result_filter(
    day_from: date, day_to: date, unit_codes: Sequence[str] | None, employee_code: str | None
) -> tuple[list[str], list[Any]]:
    """WHERE clauses and parameters for results in a span, some units, one employee."""
    clauses = ["r.day BETWEEN ? AND ?"]
    params: list[Any] = [day_from.isoformat(), day_to.isoformat()]
    if unit_codes is not None:
        clauses.append(f"r.unit_code IN {_in(unit_codes)}")
        params.extend(unit_codes)
    if employee_code is not None:
        clauses.append("r.employee_code = ?")
        params.append(employee_code)
    return clauses, params


# the month report's sums: what each is called, and how SQLite counts it over r (day_results)
_REQUIRED = ", ".join(f"'{status}'" for status in REQUIRED_STATUSES)
MONTH_SUMS = {
    "required_days": f"SUM(r.status IN ({_REQUIRED}))",
    "present_days": "SUM(r.present_fraction)",
    "late_count": "SUM(r.late_count)",
    "late_minutes": "SUM(r.late_minutes)",
    "early_count": "SUM(r.early_count)",
    "early_minutes": "SUM(r.early_minutes)",
    "away_minutes": "SUM(r.away_minutes)",
    "absent_days": "SUM(r.absent_fraction)",
    "missing_punches": "SUM(r.missing_in + r.missing_out)",
    "provisional_days": "SUM(r.provisional)",
    "excused_late_count": "SUM(r.excused_late_count)",
    "excused_late_minutes": "SUM(r.excused_late_minutes)",
    "excused_early_count": "SUM(r.excused_early_count)",
    "excused_early_minutes": "SUM(r.excused_early_minutes)",
    "excused_away_minutes": "SUM(r.excused_away_minutes)",
    "excused_missing": "SUM(r.excused_missing)",
    "excused_absent_days": "SUM(r.excused_absent_fraction)",
    "corrected_days": "SUM(r.corrected)",
}
# what a list of a province's people sorts and totals (the month page): SQLite spends its
# time in the sums, so half of them count a province's month in half the time
LEAN_MONTH_SUMS = ("required_days", "present_days", "late_count", "late_minutes", "early_count", "absent_days",
                   "missing_punches", "excused_late_count", "excused_absent_days")


def month_totals_sql(
    day_from: date, day_to: date, unit_codes: Sequence[str] | None, employee_code: str | None,
    employee_codes: Sequence[str] | None = None, *, lean: bool = False, walk_employees: bool | None = None,
) -> tuple[str, list[Any]]:
    """The query of :meth:`ResultStore.month_totals` and its parameters; ``walk_employees``:
    read every employee's month along the primary key (by default: when no unit or
    person is chosen)."""
    clauses, params = _result_filter(day_from, day_to, None, employee_code)
    if employee_codes is not None:
        clauses.append(f"r.employee_code IN {_in(employee_codes)}")
        params.extend(employee_codes)
    if unit_codes is not None:
        # With people chosen (a page's hundred) their keys find their days; the unary +
        # keeps SQLite off the (unit, day) index, which would read all the units' days.
        people = employee_code is not None or employee_codes is not None
        clauses.append(f"{'+' if people else ''}r.unit_code IN {_in(unit_codes)}")
        params.extend(unit_codes)
    if walk_employees is None:
        walk_employees = unit_codes is None and employee_code is None and employee_codes is None
    if walk_employees:
        # Everyone, or units holding most of them (the province month): walk the employees
        # in code order and read each one's month as one range of the (employee, day)
        # primary key, so the rows arrive grouped and no sorter holds the month's 300,000
        # rows. Left to itself SQLite starts from an index, looks up every row and sorts
        # them: 3 to 4 times slower.
        source, group = "FROM employees e CROSS JOIN day_results r ON r.employee_code = e.code", "e.code"
    else:
        # some units or people: only their days, through the (unit, day) index or the key
        source, group = "FROM day_results r JOIN employees e ON e.code = r.employee_code", "r.employee_code"
    sums = ", ".join(f"{MONTH_SUMS[name]} AS {name}" for name in (LEAN_MONTH_SUMS if lean else MONTH_SUMS))
    # SQLite takes a bare column (unit_code) from the row holding the single MAX()
    sql = (
        f"SELECT r.employee_code, e.full_name, MAX(r.day) AS last_day, r.unit_code, {sums}"
        f" {source} WHERE {' AND '.join(clauses)} GROUP BY {group} ORDER BY r.unit_code, r.employee_code"
    )
    return sql, params
