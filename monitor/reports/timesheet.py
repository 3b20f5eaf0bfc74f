"""The monthly timesheet, Bảng chấm công (Mẫu số C01-HD), from judged days.

One sheet per unit: a row per employee with name and rank (columns A, B, C), the day's
symbol in columns 1..31, and the three "quy ra công" totals:

- 32, days paid by time (số công hưởng lương thời gian): worked days (``+``), and leave
  kinds paid as work — business trips (``CT`` and any kind that ``counts_as_work``),
  annual leave ``P``, meetings/study ``H``, compensatory days ``NB``, public labour
  ``LĐ``, stoppage ``N``;
- 33, unpaid days (số công nghỉ không lương): ``KL``;
- 34, days paid by social insurance (số công hưởng BHXH): ``Ô``, ``Cô``, ``TS``, ``T``.

A cell follows approved explanations (an absence excused as a business trip shows
``CT``, as a meeting ``H``, as sickness ``Ô``: ``monitor.engine.requests``), and a day
judged with a manual punch from an approved correction carries :data:`CORRECTED_MARK`
after its symbol, explained under the legend, so an inspector can tell machine from
manual. A half-day cell (``P/+``) counts half to each column. Unexcused absences, holidays and
days off count in none; a day still provisional (today) is left blank. The mapping is the common reading of the form's legend (shared
reference, vietnam.md §3); units that count differently can read the per-day JSON.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from monitor.engine.day import FREE_STATUSES, PENDING
from monitor.engine.leave import LeaveConfig
from monitor.reports.period import Month
from monitor.store import Store

PAID_LEAVE = ("P", "H", "NB", "LĐ", "N")
INSURANCE = ("Ô", "Cô", "TS", "T")
UNPAID = ("KL",)
NOT_COUNTED_STATUSES = (*FREE_STATUSES, PENDING)
CORRECTED_MARK = "*"
CORRECTED_NOTE = "Ngày có giờ chấm công được cập nhật theo đề nghị đã duyệt (không lấy từ máy chấm công)"


@dataclass
class TimesheetRow:
    employee: str
    name: str
    grade: str
    symbols: dict[int, str] = field(default_factory=dict)  # day of month -> cell text
    paid_by_time: float = 0.0  # column 32
    unpaid: float = 0.0  # column 33
    insurance: float = 0.0  # column 34


@dataclass
class UnitTimesheet:
    unit_code: str
    unit_name: str
    parent_name: str | None
    month: Month
    rows: list[TimesheetRow]
    holidays: set[int] = field(default_factory=set)  # days of the month that were public holidays

    @property
    def days(self) -> int:
        return self.month.last.day

    def totals(self) -> tuple[float, float, float]:
        return (
            sum(r.paid_by_time for r in self.rows),
            sum(r.unpaid for r in self.rows),
            sum(r.insurance for r in self.rows),
        )


def column_for(part: str, symbols: LeaveConfig) -> str | None:
    """Which total a symbol (or one half of a half-day symbol) counts in."""
    if part == symbols.worked_symbol:
        return "paid_by_time"
    kind = symbols.kinds.get(part)
    if kind is None:
        return None  # unexcused absence, holiday mark, blank
    if kind.counts_as_work or kind.code in PAID_LEAVE:
        return "paid_by_time"
    if kind.code in UNPAID:
        return "unpaid"
    if kind.code in INSURANCE:
        return "insurance"
    return None


def split_symbol(symbol: str, symbols: LeaveConfig) -> list[str]:
    """``P/+`` → ``["P", "+"]`` following ``[leave] half_day_symbol``; one part otherwise."""
    template = symbols.half_day_symbol
    if "{morning}" not in template or "{afternoon}" not in template:
        return [symbol]
    separator = template.split("{morning}", 1)[1].split("{afternoon}", 1)[0]
    if separator and separator in symbol:
        return symbol.split(separator, 1)
    return [symbol]


def build_timesheets(store: Store, month: Month, symbols: LeaveConfig, unit: str | None = None, *,
                     unit_codes: Iterable[str] | None = None) -> list[UnitTimesheet]:
    """One timesheet per unit (the unit and each unit below it, each on its own sheet),
    for the units that have judged days in the month; only ``unit_codes`` when given.

    A locked unit-month shows the unit's, its parent's and its people's names as the
    lock froze them (``store.month_rosters``), so the signed sheet never changes; an
    open month, and a month locked before locks froze names, shows the directory now."""
    units = {u["code"]: u for u in store.units()}
    wanted = store.unit_and_below(unit) if unit else sorted(units)
    if unit_codes is not None:
        allowed = set(unit_codes)
        wanted = [code for code in wanted if code in allowed]
    frozen = store.month_rosters(str(month), wanted)
    rows_by_unit: dict[str, dict[str, TimesheetRow]] = {}
    holidays: dict[str, set[int]] = {}
    parts_of: dict[str, list[tuple[str, float]]] = {}  # symbol -> (total column, share) for each part
    for unit_code, code, name, grade, day, status, symbol, corrected in store.timesheet_days(month.first, month.last,
                                                                                             wanted):
        sheet = rows_by_unit.setdefault(unit_code, {})
        row = sheet.get(code)
        if row is None:
            roster = frozen.get(unit_code)
            if roster is not None:
                # someone judged under the unit but missing from the copy (it cannot happen
                # through the monitor: a locked month's days are not judged) keeps the live name
                name, grade = roster.people.get(code, (name, grade))
            row = sheet[code] = TimesheetRow(code, name, grade)
        row.symbols[day] = (symbol or "") + (CORRECTED_MARK if corrected else "")
        if status == "holiday":
            holidays.setdefault(unit_code, set()).add(day)
        if status in NOT_COUNTED_STATUSES or not symbol:
            continue
        counted = parts_of.get(symbol)
        if counted is None:
            parts = split_symbol(symbol, symbols)
            counted = parts_of[symbol] = [(column, 1 / len(parts)) for column in
                                          (column_for(part, symbols) for part in parts) if column is not None]
        for column, share in counted:
            setattr(row, column, getattr(row, column) + share)
    sheets = []
    for code in wanted:
        if code not in rows_by_unit:
            continue
        unit_row = units[code]
        parent = units.get(unit_row["parent_code"] or "")
        unit_name, parent_name = unit_row["name"], parent["name"] if parent else None
        if code in frozen:
            unit_name, parent_name = frozen[code].unit_name, frozen[code].parent_name
        rows = sorted(rows_by_unit[code].values(), key=lambda r: _sort_key(r.name, r.employee))
        sheets.append(UnitTimesheet(code, unit_name, parent_name, month, rows, holidays.get(code, set())))
    return sheets


def _letters(text: str) -> str:
    """Letters without tone and vowel marks, with đ kept after d (Vietnamese order)."""
    base = unicodedata.normalize("NFD", text.casefold().replace("đ", "d\x7f"))
    return "".join(ch for ch in base if not unicodedata.combining(ch))


def _sort_key(name: str, code: str) -> tuple[str, str, str, str]:
    """Vietnamese custom: by given name (the last word), then family and middle names;
    marks only break ties (a full collation is beyond the form's needs)."""
    words = name.split()
    given = words[-1] if words else ""
    return (_letters(given), _letters(name), name.casefold(), code)


def legend(symbols: LeaveConfig) -> Iterable[tuple[str, str]]:
    yield symbols.worked_symbol, "Lương thời gian (ngày công làm việc)"
    for kind in symbols.kinds.values():
        yield kind.code, kind.name
    if symbols.holiday_symbol:
        yield symbols.holiday_symbol, "Nghỉ lễ, tết (ký hiệu của đơn vị)"
    if symbols.absent_symbol:
        yield symbols.absent_symbol, "Vắng không phép (ký hiệu của đơn vị)"
    yield CORRECTED_MARK, CORRECTED_NOTE
