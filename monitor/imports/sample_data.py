"""Made-up sample data: a provincial office tree, staff, and time-clock export files.

Everything here is invented (names are random combinations of common Vietnamese family,
middle and given names) and deterministic for a seed. Used by ``monitor demo``, the
tests and the benchmarks; nothing large is shipped, the generator is.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Thu", "Hoài", "Xuân", "Kim", "Anh", "Bảo"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương", "Khánh", "Lan",
         "Linh", "Long", "Mai", "Nam", "Nga", "Ngân", "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Thắng",
         "Trang", "Trung", "Tuấn", "Vân", "Yến"]
TITLES = ["Chuyên viên", "Chuyên viên chính", "Cán sự", "Trưởng phòng", "Phó Trưởng phòng", "Văn thư", "Kế toán viên"]
GRADES = ["01.003 bậc 2", "01.003 bậc 4", "01.002 bậc 1", "01.004 bậc 3", "06.031 bậc 2"]

# (code, name, parent) — a made-up province: the People's Committee, its departments, communes
DEMO_UNITS = [
    ("UBND", "UBND tỉnh (mẫu)", None),
    ("VP", "Văn phòng UBND tỉnh", "UBND"),
    ("VP-TH", "Phòng Tổng hợp", "VP"),
    ("VP-HCTC", "Phòng Hành chính – Tổ chức", "VP"),
    ("SNV", "Sở Nội vụ", "UBND"),
    ("STC", "Sở Tài chính", "UBND"),
    ("XA-AN", "UBND xã An Bình (mẫu)", "UBND"),
    ("XA-HOA", "UBND phường Hòa Lạc (mẫu)", "UBND"),
]


@dataclass(frozen=True)
class SampleEmployee:
    code: str
    full_name: str
    unit_code: str
    title: str
    grade: str
    pin: str  # the user id enrolled on the time clock


def make_employees(count: int, units: list[str], seed: int = 1) -> list[SampleEmployee]:
    rng = random.Random(seed)
    people = []
    for number in range(1, count + 1):
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        people.append(
            SampleEmployee(
                code=f"NV{number:05d}",
                full_name=name,
                unit_code=units[(number - 1) % len(units)],
                title=rng.choice(TITLES),
                grade=rng.choice(GRADES),
                pin=str(number),
            )
        )
    return people


def write_units_csv(path: Path, units: list[tuple[str, str, str | None]] = DEMO_UNITS) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên"])
        for code, name, parent in units:
            writer.writerow([code, name, parent or ""])


def write_employees_csv(path: Path, employees: list[SampleEmployee], hired_on: date = date(2020, 1, 1)) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Mã nhân viên", "Họ và tên", "Đơn vị", "Chức vụ", "Ngạch, bậc", "Ngày vào"])
        for person in employees:
            writer.writerow([person.code, person.full_name, person.unit_code, person.title, person.grade, hired_on.strftime("%d/%m/%Y")])


def workdays(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def day_punches(rng: random.Random, day: date) -> list[tuple[datetime, int]]:
    """Four punches (in, out for lunch, in, out) with a realistic spread, or none.

    About 3% of days are absences, 8% late arrivals, 5% early departures, 4% a forgotten
    punch; the rest arrive and leave within a few minutes of 07:30 / 11:30 / 13:30 / 17:00.
    """
    roll = rng.random()
    if roll < 0.03:
        return []
    def at(clock: time, spread_before: int, spread_after: int) -> datetime:
        base = datetime.combine(day, clock)
        return base + timedelta(seconds=rng.randint(-spread_before * 60, spread_after * 60))

    late = roll < 0.11
    early = 0.11 <= roll < 0.16
    punches = [
        (at(time(7, 30), 25, 40 if late else 0) + (timedelta(minutes=rng.randint(6, 45)) if late else timedelta()), 0),
        (at(time(11, 30), 0, 15), 1),
        (at(time(13, 30), 20, 0), 0),
        (at(time(17, 0), 0, 20) - (timedelta(minutes=rng.randint(10, 60)) if early else timedelta()), 1),
    ]
    if 0.16 <= roll < 0.20:
        punches.pop(rng.randrange(4))
    return punches


def attlog_lines(
    employees: list[SampleEmployee], start: date, end: date, *, machine: int = 1, seed: int = 7
) -> Iterator[str]:
    """ZKTeco ``1_attlog.dat`` lines, chronological like a real export (PIN padded to 9)."""
    rng = random.Random(seed)
    for day in workdays(start, end):
        day_records = []
        for person in employees:
            for stamp, state in day_punches(rng, day):
                day_records.append((stamp, person.pin, state))
        day_records.sort()
        for stamp, pin, state in day_records:
            yield f"{pin:>9}\t{stamp:%Y-%m-%d %H:%M:%S}\t{machine}\t{state}\t1\t0"


def write_attlog(path: Path, lines: Iterator[str]) -> int:
    count = 0
    with path.open("w", encoding="ascii", newline="") as handle:
        for line in lines:
            handle.write(line + "\r\n")
            count += 1
    return count
