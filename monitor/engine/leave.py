"""Leave kinds (the C01-HD timesheet symbols plus local codes) and the symbols setting.

:class:`LeaveConfig` holds the timesheet symbols the engine writes (worked day, holiday, unexcused
absence, and how two half-days combine) and adds local kinds. The built-in kinds are
the symbols of Mẫu số C01-HD; ``CT`` (công tác, business trip) is the one local code
shipped by default and counts as work, as agencies pay it as a working day.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from monitor.errors import Refused

PARTS = ("full", "morning", "afternoon")  # of a day on leave: morning = sessions before noon


@dataclass(frozen=True, slots=True)
class LeaveKind:
    code: str  # the timesheet symbol, e.g. "P", "Ô", "CT"
    name: str  # Vietnamese
    name_en: str
    counts_as_work: bool = False


BUILTIN_KINDS: tuple[LeaveKind, ...] = (
    LeaveKind("P", "Nghỉ phép", "Annual leave"),
    LeaveKind("Ô", "Ốm, điều dưỡng", "Sick leave"),
    LeaveKind("Cô", "Con ốm", "Child sick"),
    LeaveKind("TS", "Thai sản", "Maternity"),
    LeaveKind("T", "Tai nạn", "Accident"),
    LeaveKind("H", "Hội nghị, học tập", "Meeting or study"),
    LeaveKind("NB", "Nghỉ bù", "Compensatory day off"),
    LeaveKind("KL", "Nghỉ không lương", "Unpaid leave"),
    LeaveKind("N", "Ngừng việc", "Work stoppage"),
    LeaveKind("LĐ", "Lao động nghĩa vụ", "Public labour"),
)
DEFAULT_LOCAL_KINDS: tuple[LeaveKind, ...] = (LeaveKind("CT", "Công tác", "Business trip", counts_as_work=True),)


@dataclass(frozen=True)
class LeaveConfig:
    """Leave kinds by code, and the symbols written into the timesheet column."""

    kinds: Mapping[str, LeaveKind] = field(
        default_factory=lambda: {k.code: k for k in (*BUILTIN_KINDS, *DEFAULT_LOCAL_KINDS)}
    )
    worked_symbol: str = "+"
    holiday_symbol: str = "L"
    # not in the official legend (see config.example.toml, [leave]); "" leaves the cell blank
    absent_symbol: str = "KP"
    half_day_symbol: str = "{morning}/{afternoon}"

    def kind(self, text: str) -> LeaveKind:
        """The kind for a code as typed; case and Vietnamese marks may be left out
        when that still names one kind ("o" → "Ô", "ld" → "LĐ")."""
        code = unicodedata.normalize("NFC", text.strip())
        if code in self.kinds:
            return self.kinds[code]
        loose = [kind for key, kind in self.kinds.items() if _plain(key) == _plain(code)]
        if len(loose) == 1:
            return loose[0]
        known = ", ".join(self.kinds)
        raise Refused(f"unknown leave kind {text!r} (known: {known}; add local codes under [leave.kinds] in the config)")

    def half_day(self, morning: str, afternoon: str) -> str:
        if morning == afternoon:
            return morning
        return self.half_day_symbol.format(morning=morning, afternoon=afternoon)


def _plain(text: str) -> str:
    """Upper case without Vietnamese marks; Đ has no decomposition, so map it by hand."""
    decomposed = unicodedata.normalize("NFD", text.upper().replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
