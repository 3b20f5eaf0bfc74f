"""Helpers for the engine's tests: the config text they share, a judge for the pure
function, and the sample directory (units, employees, badges). The fixtures that use
them are in this folder's conftest.py; tests import helpers from here by this
module's own name, never from a conftest."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from drivers.base import Punch
from monitor.config import parse_config
from monitor.engine.calendar import WorkCalendar
from monitor.engine.judge import DayResult, LeaveDay, evaluate_day, plan_day
from monitor.engine.policy import OfficePolicy
from monitor.store import Store

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICE_TOML = """
[schedules.office]
name = "Giờ hành chính"
sessions = [["07:30", "11:30"], ["13:30", "17:00"]]
grace_in_minutes = 5
grace_out_minutes = 5

[schedules.strict]
sessions = [["07:30", "11:30"], ["13:30", "17:00"]]
grace_in_minutes = 5
late_as_absent_minutes = 60

[schedules.sessions]
sessions = [["07:30", "11:30"], ["13:30", "17:00"]]
punch_mode = "per-session"
grace_in_minutes = 5
grace_out_minutes = 5

[schedules.seasonal]
[[schedules.seasonal.periods]]
name = "summer"
from = "04-15"
to = "10-14"
sessions = [["07:00", "11:30"], ["13:30", "17:00"]]
[[schedules.seasonal.periods]]
name = "winter"
from = "10-15"
to = "04-14"
sessions = [["07:30", "11:30"], ["13:00", "17:00"]]

[schedules.saturday]
weekdays = ["mon", "tue", "wed", "thu", "fri", "sat"]
sessions = [["07:30", "11:30"], ["13:30", "17:00"]]
days = { sat = [["07:30", "11:30"]] }

[units.UBND]
schedule = "office"

[units.PTC]
days_off = [{date = 2026-11-20, name = "Ngày Nhà giáo (đơn vị)", ref = "QĐ 12/QĐ-PTC"}]

[calendar]
days_off = [{date = 2026-01-02, name = "Nghỉ bù Tết Dương lịch", ref = "CV 1/VPCP-KGVX"}]
workdays = [{date = 2026-01-10, name = "Làm bù cho 02/01", ref = "CV 1/VPCP-KGVX"}]
"""


def parse_policy(text: str) -> OfficePolicy:
    """A policy from config text, through the real parser (errors raise ConfigError)."""
    config = parse_config(text, source="config.toml", base=Path("."))
    return config.policy


def seconds(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    hours, minutes, secs = (parts + [0])[:3]
    return hours * 3600 + minutes * 60 + secs


class Judge:
    """Judges one day of one person against a named schedule, through the calendar."""

    def __init__(self, policy: OfficePolicy, calendar: WorkCalendar, *, direct: bool = True):
        self.policy = policy
        self.calendar = calendar
        self.direct = direct  # False: never the shortcut for the common day

    def __call__(
        self,
        day: date,
        punches: list[str],
        *,
        schedule: str = "office",
        leave: list[tuple[str, str]] = (),  # (kind, part)
        now: datetime | None = None,
        unit: str | None = "UBND",
        hired_on: date | None = None,
        left_on: date | None = None,
    ) -> DayResult:
        plan = self.plan(day, schedule=schedule, unit=unit, hired_on=hired_on, left_on=left_on)
        stamps = sorted(seconds(p) for p in punches)
        leave_days = [LeaveDay(self.policy.leave.kind(kind), part) for kind, part in leave]
        moment = now or datetime(day.year + 1, 1, 1, tzinfo=ZONE)  # long after: the day is closed
        return evaluate_day(plan, [(s, n + 1) for n, s in enumerate(stamps)], leave_days, moment, self.policy.leave,
                            direct=self.direct)

    def plan(self, day: date, *, schedule: str = "office", unit: str | None = "UBND",
             hired_on: date | None = None, left_on: date | None = None):
        chosen = self.policy.schedules[schedule]
        return plan_day(chosen, self.calendar.day(day, unit, chosen.weekdays, hired_on, left_on))


# --- a small real database ---------------------------------------------------------------

UNITS = [
    {"code": "UBND", "name": "UBND tỉnh Ninh Bình", "parent_code": None},
    {"code": "SNV", "name": "Sở Nội vụ", "parent_code": "UBND"},
    {"code": "PTC", "name": "Phòng Tổ chức", "parent_code": "SNV"},
    {"code": "STC", "name": "Sở Tài chính", "parent_code": "UBND"},
]
EMPLOYEES = [
    {"code": "NV001", "full_name": "Nguyễn Thị Hoa", "unit_code": "SNV", "hired_on": "2020-03-01"},
    {"code": "NV002", "full_name": "Trần Văn Bình", "unit_code": "PTC", "hired_on": "2021-07-15"},
    {"code": "NV003", "full_name": "Lê Minh Châu", "unit_code": "STC", "hired_on": "2026-11-04"},
]


def add_punches(store: Store, *stamps: str, device: str = "dev1") -> None:
    """Store punches given as 'NV001 2026-11-02 07:31[:05]' through the real ingest path."""
    punches = []
    for stamp in stamps:
        code, day, clock = stamp.split()
        moment = datetime.fromisoformat(f"{day}T{clock}")
        punches.append(Punch(user_id=str(int(code[2:])), timestamp=moment, verify_mode=1, state=0))
    store.add_punches(device, punches, source="device")


def fill_directory(store: Store) -> Store:
    """Units, employees and badges (device user id = employee number) in ``store``."""
    store.upsert_units(UNITS, actor="test")
    store.upsert_employees(EMPLOYEES, actor="test")
    store.upsert_enrollments(
        [{"device_id": "*", "device_user_id": str(int(e["code"][2:])), "employee_code": e["code"]} for e in EMPLOYEES],
        actor="test",
    )
    return store
