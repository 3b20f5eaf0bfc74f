"""Requests about judged days (giải trình, đề nghị cập nhật công, đơn nghỉ): the values
and the pure rules — kinds, statuses, reason categories and their C01-HD symbols, what an
approved explanation excuses on a judged day, who approves, and the filing deadline.

Nothing here reads a database or a clock: the service hands in the unit tree, the
managers, a working-day predicate and today.

Reason categories and the timesheet symbol an excused absence takes (vietnam.md §3.2,
§8; ``CT`` is the local business-trip code shipped in ``[leave]``):

=========================  ============================  =======================
category                   meaning                        symbol of an excused absence
=========================  ============================  =======================
``cong_tac``               công tác (business trip)       ``CT``
``hop``                    họp, hội nghị (meeting)        ``H``
``hoc_tap``                học tập (study, training)      ``H``
``om``                     ốm (sickness)                  ``Ô``
``su_co_may``              sự cố máy chấm công            the worked symbol (``+``): the person was at work
``viec_rieng``             việc riêng (personal)          unchanged (file leave, ``P`` or ``KL``, to change it)
``khac``                   khác (other)                   unchanged
=========================  ============================  =======================
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from monitor.engine.day import ABSENT, PARTIAL_ABSENT, DayResult
from monitor.engine.leave import LeaveConfig
from monitor.errors import N_, Refused

EXPLANATION = "explanation"
CORRECTION = "correction"
LEAVE = "leave"
KINDS = (EXPLANATION, CORRECTION, LEAVE)

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
REVOKED = "revoked"  # an approval undone, on the record
STATUSES = (PENDING, APPROVED, REJECTED, WITHDRAWN, REVOKED)

# the violations an explanation may excuse, as the judged day names them
LATE, EARLY, AWAY, MISSING_IN, MISSING_OUT = "late", "early", "away", "missing_in", "missing_out"
VIOLATIONS = (LATE, EARLY, AWAY, MISSING_IN, MISSING_OUT, ABSENT, PARTIAL_ABSENT)
MINUTE_VIOLATIONS = (LATE, EARLY, AWAY)  # the ones that may be excused in part

WORKED = "{worked}"  # stands for [leave] worked_symbol, whatever the config calls it


@dataclass(frozen=True, slots=True)
class ReasonCategory:
    code: str
    name: str  # Vietnamese
    name_en: str
    symbol: str | None  # of an excused absence; None keeps the judged symbol


REASONS: Mapping[str, ReasonCategory] = {
    r.code: r
    for r in (
        ReasonCategory("cong_tac", "Công tác", "Business trip", "CT"),
        ReasonCategory("hop", "Họp, hội nghị", "Meeting or conference", "H"),
        ReasonCategory("hoc_tap", "Học tập", "Study or training", "H"),
        ReasonCategory("om", "Ốm", "Sickness", "Ô"),
        ReasonCategory("viec_rieng", "Việc riêng", "Personal business", None),
        ReasonCategory("su_co_may", "Sự cố máy chấm công", "Time clock failure", WORKED),
        ReasonCategory("khac", "Khác", "Other", None),
    )
}


def reason(code: str) -> ReasonCategory:
    """The category for a code, or :class:`Refused` naming the known ones."""
    found = REASONS.get(code)
    if found is None:
        raise Refused(f"unknown reason category {code!r} (known: {', '.join(REASONS)})")
    return found


def reason_symbol(code: str | None, symbols: LeaveConfig) -> str | None:
    """The C01-HD symbol an absence excused for this reason takes (None: unchanged)."""
    category = REASONS.get(code or "")
    if category is None or category.symbol is None:
        return None
    return symbols.worked_symbol if category.symbol == WORKED else category.symbol


def violations_of(result: DayResult) -> list[str]:
    """The violations a judged day holds, in :data:`VIOLATIONS` order."""
    found = []
    if result.late_count:
        found.append(LATE)
    if result.early_count:
        found.append(EARLY)
    if result.away_minutes:
        found.append(AWAY)
    if result.missing_in:
        found.append(MISSING_IN)
    if result.missing_out:
        found.append(MISSING_OUT)
    if result.status in (ABSENT, PARTIAL_ABSENT):
        found.append(result.status)
    return found


# --- what an approved explanation excuses --------------------------------------------


@dataclass(frozen=True, slots=True)
class Excuse:
    """An approved explanation as it applies to one day."""

    violation: str
    minutes: int | None  # None: the whole violation
    category: str


@dataclass(slots=True)
class Excused:
    """What approved explanations excuse on a judged day (the machine's counts stay)."""

    late_minutes: int = 0
    late_count: int = 0
    early_minutes: int = 0
    early_count: int = 0
    away_minutes: int = 0
    missing: int = 0
    absent_fraction: float = 0.0
    symbol: str | None = None  # the timesheet symbol after the explanations

    def columns(self) -> tuple[int, int, int, int, int, int, float, str | None]:
        """The values in the order of the ``day_results`` columns that hold them."""
        return (self.late_minutes, self.late_count, self.early_minutes, self.early_count, self.away_minutes,
                self.missing, self.absent_fraction, self.symbol)


NOTHING_EXCUSED = Excused()


def excuse_day(result: DayResult, excuses: Sequence[Excuse], symbols: LeaveConfig) -> Excused:
    """Apply approved explanations to a judged day.

    Minutes are excused up to what the day holds ("60 of 90 minutes late excused" leaves
    30 counted, and the arrival still counts as late); a violation the day no longer
    holds (a correction removed it) excuses nothing. A late arrival or early departure
    excused in full no longer counts. An excused absence takes its reason's symbol.
    """
    excused = Excused(symbol=result.symbol)
    for excuse in excuses:
        if excuse.violation == LATE:
            room = result.late_minutes - excused.late_minutes
            excused.late_minutes += room if excuse.minutes is None else min(room, max(0, excuse.minutes))
            if result.late_count and (excuse.minutes is None or excused.late_minutes >= result.late_minutes):
                excused.late_count = result.late_count
        elif excuse.violation == EARLY:
            room = result.early_minutes - excused.early_minutes
            excused.early_minutes += room if excuse.minutes is None else min(room, max(0, excuse.minutes))
            if result.early_count and (excuse.minutes is None or excused.early_minutes >= result.early_minutes):
                excused.early_count = result.early_count
        elif excuse.violation == AWAY:
            room = result.away_minutes - excused.away_minutes
            excused.away_minutes += room if excuse.minutes is None else min(room, max(0, excuse.minutes))
        elif excuse.violation == MISSING_IN:
            excused.missing = min(result.missing_in + result.missing_out, excused.missing + result.missing_in)
        elif excuse.violation == MISSING_OUT:
            excused.missing = min(result.missing_in + result.missing_out, excused.missing + result.missing_out)
        elif excuse.violation in (ABSENT, PARTIAL_ABSENT) and result.status in (ABSENT, PARTIAL_ABSENT):
            excused.absent_fraction = result.absent_fraction
            new = reason_symbol(excuse.category, symbols)
            if new is not None:
                excused.symbol = _replace_absence(result, new, symbols)
    return excused


def _replace_absence(result: DayResult, new: str, symbols: LeaveConfig) -> str:
    """The day's symbol with its unexcused-absence part replaced by ``new``."""
    if result.status == ABSENT or not result.symbol:
        return new
    absent = symbols.absent_symbol
    if not absent:
        return result.symbol  # the absence has no mark of its own to replace
    template = symbols.half_day_symbol
    if "{morning}" in template and "{afternoon}" in template:
        separator = template.split("{morning}", 1)[1].split("{afternoon}", 1)[0]
        if separator and separator in result.symbol:
            morning, afternoon = result.symbol.split(separator, 1)
            return symbols.half_day(new if morning == absent else morning, new if afternoon == absent else afternoon)
    return new if result.symbol == absent else result.symbol


# --- who approves ----------------------------------------------------------------------


@dataclass(frozen=True)
class RequestPolicy:
    """``[requests]`` in the config: the filing deadline, attachments, and per unit
    whether requests of a whole day or more go to the parent unit's manager."""

    deadline_working_days: int = 5
    max_file_bytes: int = 5 * 1024 * 1024
    whole_day_to_parent: Mapping[str, bool] = field(default_factory=dict)  # unit → setting, inherited down

    def escalates(self, unit: str | None, parents: Mapping[str, str | None]) -> bool:
        """The nearest setting on the way up from ``unit`` (default: no)."""
        seen: set[str] = set()
        code = unit
        while code and code not in seen:
            seen.add(code)
            if code in self.whole_day_to_parent:
                return self.whole_day_to_parent[code]
            code = parents.get(code)
        return False


def approving_unit(
    unit: str,
    parents: Mapping[str, str | None],
    managers: Mapping[str, Collection[str]],
    requesters: Collection[str],
    *,
    to_parent: bool = False,
) -> str | None:
    """The unit whose manager approves a request about someone in ``unit``.

    The nearest unit, from the person's own upwards (from its parent when ``to_parent``),
    with a manager who is not the person (``requesters``: the person's own user names):
    a manager's own request goes to the unit above. ``None``: nobody up the tree, so HR
    decides. ``managers``: unit code → user names of its managers.
    """
    seen: set[str] = set()
    code: str | None = parents.get(unit) if to_parent else unit
    while code and code not in seen:
        seen.add(code)
        if any(name not in requesters for name in managers.get(code, ())):
            return code
        code = parents.get(code)
    return None


def is_whole_day(kind: str, part: str | None, violation: str | None) -> bool:
    """A request covering a whole day or more: full-day leave, or an excused absence."""
    return (kind == LEAVE and part == "full") or (kind == EXPLANATION and violation == ABSENT)


# --- the filing deadline ---------------------------------------------------------------


def filing_deadline(day: date, working_days: int, is_working: Callable[[date], bool]) -> date:
    """The last day a request about ``day`` may be filed: the ``working_days``-th working
    day after it (``day`` itself when 0). Days nobody works are skipped, so a Friday's
    lateness can still be explained the next week."""
    deadline = day
    counted = 0
    # a schedule with no working day at all must not loop for ever: give up after a year
    for _ in range(366):
        if counted >= working_days:
            break
        deadline += timedelta(days=1)
        if is_working(deadline):
            counted += 1
    return deadline


def check_deadline(day: date, today: date, working_days: int, is_working: Callable[[date], bool]) -> None:
    """Refuse a request filed after its deadline, naming the deadline."""
    if day > today:
        return
    deadline = filing_deadline(day, working_days, is_working)
    if today > deadline:
        raise Refused(N_("the deadline for requests about %(day)s was %(deadline)s (%(count)s working days);"
                         " ask HR to file it", day=day, deadline=deadline, count=working_days))
