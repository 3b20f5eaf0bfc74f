"""HR and IT staff importing units, employees, enrollments and punch files from the CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from monitor.store import Store
from tests.conftest import ZONE

UNITS_CSV = "Mã đơn vị,Tên đơn vị,Đơn vị cấp trên\nUBND,UBND tỉnh (mẫu),\nSNV,Sở Nội vụ,UBND\nSNV-TC,Phòng Tổ chức,SNV\n"
EMPLOYEES_CSV = (
    "Mã nhân viên;Họ và tên;Đơn vị;Chức vụ;Ngày vào\n"
    "NV001;Nguyễn Thị Lan;SNV;Chuyên viên;01/03/2021\n"
    "NV002;Trần Văn Bình;SNV-TC;Trưởng phòng;2019-07-15\n"
)


def write(path: Path, text: str, *, bom: bool = False) -> Path:
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def open_store(path: Path) -> Store:
    return Store(path, zone=ZONE)


@pytest.fixture
def directory(run, initialized: Path, tmp_path: Path) -> Path:
    assert run("import", "units", write(tmp_path / "units.csv", UNITS_CSV, bom=True)).exit_code == 0
    assert run("import", "employees", write(tmp_path / "employees.csv", EMPLOYEES_CSV)).exit_code == 0
    return initialized


def test_init_is_idempotent(run, initialized: Path, tmp_path: Path) -> None:
    result = run("init", "--password-file", tmp_path / "admin-password")
    assert result.exit_code == 0
    assert "an admin user already exists" in result.stdout
    store = open_store(initialized)
    assert [u["username"] for u in store.users()] == ["admin"]
    assert store.check_password("admin", "correct horse battery")["role"] == "admin"
    assert store.check_password("admin", "wrong") is None
    assert store.scalar("SELECT password_hash FROM users") != "correct horse battery"


def test_init_password_prompt(run, tmp_path: Path) -> None:
    result = run("init", "--admin", "quantri", input="mat-khau-du-dai\nmat-khau-du-dai\n")
    assert result.exit_code == 0, result.output
    assert open_store(tmp_path / "attendance.db").check_password("quantri", "mat-khau-du-dai") is not None


def test_commands_before_init_say_what_to_do(run) -> None:
    result = run("verify")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: no database at ")
    assert "run 'monitor init' first" in result.stderr


def test_units_and_employees_with_vietnamese_headers(directory: Path) -> None:
    store = open_store(directory)
    assert store.unit_and_below("SNV") == ["SNV", "SNV-TC"]
    lan = store.employee("NV001")
    assert (lan["full_name"], lan["unit_code"], lan["hired_on"], lan["title"]) == ("Nguyễn Thị Lan", "SNV", "2021-03-01", "Chuyên viên")
    assert store.audit_log("employee", "NV001")[0]["actor"] == "tester"


def test_reimport_updates_by_code_and_audits_the_change(run, directory: Path, tmp_path: Path) -> None:
    changed = EMPLOYEES_CSV.replace("NV001;Nguyễn Thị Lan;SNV;Chuyên viên", "NV001;Nguyễn Thị Lan;SNV-TC;Chuyên viên chính")
    result = run("import", "employees", write(tmp_path / "employees2.csv", changed), "--reason", "Quyết định điều động số 12")
    assert result.stdout == "Employees: 0 added, 1 updated, 1 unchanged\n"
    entry = open_store(directory).audit_log("employee", "NV001")[0]
    assert entry["action"] == "update"
    assert json.loads(entry["before"]) == {"title": "Chuyên viên", "unit_code": "SNV"}
    assert json.loads(entry["after"]) == {"title": "Chuyên viên chính", "unit_code": "SNV-TC"}
    assert entry["reason"] == "Quyết định điều động số 12"


def test_bad_rows_import_nothing_by_default(run, directory: Path, tmp_path: Path) -> None:
    bad = write(
        tmp_path / "bad.csv",
        "code,full_name,unit_code,hired_on\nNV003,Lê Văn Hùng,SNV,2022-01-01\nNV004,,SNV,\nNV005,Phạm Thu Hà,KHONG-CO,\nNV006,Võ Minh Tâm,SNV,31/02/2022\nNV003,Lê Văn Hùng,SNV,\n",
    )
    result = run("import", "employees", bad)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{bad}:3: full name is empty",
        f"{bad}:4: unit 'KHONG-CO' does not exist (import units first)",
        f"{bad}:5: '31/02/2022' is not a date (use 2025-03-01 or 01/03/2025)",
        f"{bad}:6: code 'NV003' repeats line 2",
        "Error: 4 rows are bad, so nothing was imported; fix them or pass --skip-bad to import the 1 good rows",
    ]
    assert len(open_store(directory).employees()) == 2


def test_skip_bad_imports_the_good_rows_and_lists_the_rest(run, directory: Path, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.csv", "code,full_name,unit_code\nNV003,Lê Văn Hùng,SNV\nNV004,,SNV\n")
    result = run("import", "employees", bad, "--skip-bad")
    assert result.exit_code == 0
    assert result.stdout == "Employees: 1 added, 0 updated, 0 unchanged; 1 bad rows skipped:\n"
    assert result.stderr == f"{bad}:3: full name is empty\n"


def test_units_with_an_unknown_parent(run, initialized: Path, tmp_path: Path) -> None:
    result = run("import", "units", write(tmp_path / "u.csv", "code,name,parent_code\nA,Đơn vị A,\nB,Đơn vị B,ZZZ\n"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'u.csv'}:3: parent unit 'ZZZ' is neither in the file nor in the database" in result.stderr


def test_missing_column_is_named(run, initialized: Path, tmp_path: Path) -> None:
    result = run("import", "units", write(tmp_path / "u.csv", "code,label\nA,x\n"))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path / 'u.csv'}:1: missing column(s): name (unit name, tên đơn vị)\n"


def test_xlsx_import(run, initialized: Path, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên"])
    sheet.append(["XA-AN", "UBND xã An Bình (mẫu)", None])
    sheet.append(["XA-AN-VP", "Văn phòng – Thống kê", "XA-AN"])
    book.save(tmp_path / "units.xlsx")
    result = run("import", "units", tmp_path / "units.xlsx")
    assert result.stdout == "Units: 2 added, 0 updated, 0 unchanged\n"
    assert open_store(initialized).unit("XA-AN-VP")["name"] == "Văn phòng – Thống kê"


EXPORT = (
    b"        1\t2026-10-05 07:25:11\t1\t0\t1\t0\r\n"
    b"        2\t2026-10-05 07:31:40\t1\t0\t1\t0\r\n"
    b"        1\t2026-10-05 17:02:09\t1\t1\t1\t0\r\n"
    b"       99\t2026-10-05 17:05:00\t1\t1\t1\t0\r\n"
)


def test_import_punches_twice_adds_nothing_the_second_time(run, directory: Path, tmp_path: Path) -> None:
    export = tmp_path / "1_attlog.dat"
    export.write_bytes(EXPORT)
    first = run("import", "punches", export, "--device", "gate", "--new-device")
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[0] == "1_attlog.dat: 4 punches read: 4 new, 0 already stored"
    second = run("import", "punches", export, "--device", "gate")
    assert second.stdout.splitlines()[0] == "1_attlog.dat: 4 punches read: 0 new, 4 already stored"
    assert open_store(directory).punch_count() == 4


def test_unknown_device_is_refused_with_the_fix(run, directory: Path, tmp_path: Path) -> None:
    export = tmp_path / "1_attlog.dat"
    export.write_bytes(EXPORT)
    result = run("import", "punches", export, "--device", "gaet")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: device 'gaet' is not in the config or the database (known: none);"
        " add a [[devices]] entry or pass --new-device\n"
    )


def test_unknown_ids_listed_then_attached_by_enrollment(run, directory: Path, tmp_path: Path) -> None:
    export = tmp_path / "1_attlog.dat"
    export.write_bytes(EXPORT)
    run("import", "punches", export, "--device", "gate", "--new-device")
    listing = run("punches", "unknown", "--format", "json")
    assert [(r["device_user_id"], r["punches"]) for r in json.loads(listing.stdout)] == [("1", 2), ("2", 1), ("99", 1)]
    enroll = write(tmp_path / "enroll.csv", "device_id,device_user_id,employee_code\ngate,1,NV001\ngate,2,NV002\n")
    result = run("import", "enrollments", enroll)
    assert result.stdout == "Enrollments: 2 added, 0 updated, 0 unchanged; 3 stored punches attached to their employees\n"
    assert [r["device_user_id"] for r in json.loads(run("punches", "unknown", "--format", "json").stdout)] == ["99"]
    assert run("verify").exit_code == 0


def test_bad_lines_are_listed_and_good_lines_still_import(run, directory: Path, tmp_path: Path) -> None:
    export = tmp_path / "1_attlog.dat"
    export.write_bytes(EXPORT + b"3\tyesterday\t1\t0\t1\t0\r\n4\t2026-10-05 07:40:00\t1\t0\t1\t0\r\n")
    result = run("import", "punches", export, "--device", "gate", "--new-device")
    assert result.exit_code == 1
    assert "5 new, 0 already stored" in result.stdout
    assert f"{export}:5: bad time 'yesterday' (expected 2026-10-03 08:59:01)" in result.stderr


def test_merged_export_maps_machine_numbers_to_devices(run, directory: Path, tmp_path: Path) -> None:
    export = tmp_path / "merged.dat"
    export.write_bytes(b"1\t2026-10-05 07:25:11\t1\t0\t1\t0\r\n1\t2026-10-05 07:25:11\t2\t0\t1\t0\r\n5\t2026-10-05 07:26:00\t3\t0\t1\t0\r\n")
    result = run("import", "punches", export, "--device", "1=gate", "--device", "2=side", "--new-device")
    assert result.exit_code == 1
    assert "2 new" in result.stdout
    assert "1 punches of machine number 3 skipped: no --device 3=ID given" in result.stderr
    devices = [r["device_id"] for r in open_store(directory).query("SELECT device_id FROM punches ORDER BY device_id")]
    assert devices == ["gate", "side"]


def test_csv_punch_file(run, directory: Path, tmp_path: Path) -> None:
    csv_file = write(tmp_path / "reader.csv", "badge,timestamp,state\n0003887558,2026-10-05 07:28:00,in\n0003887558,2026-10-05 17:03:00,out\n")
    result = run("import", "punches", csv_file, "--device", "reader", "--new-device")
    assert result.stdout.splitlines()[0] == "reader.csv: 2 punches read: 2 new, 0 already stored"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=10_000), times=st.integers(min_value=1, max_value=3))
def test_importing_any_permutation_of_a_file_gives_the_same_punches(run, directory: Path, tmp_path: Path, seed: int, times: int) -> None:
    lines = [line for line in EXPORT.split(b"\r\n") if line]
    store = open_store(directory)
    before = store.punch_count()
    store.close()
    rng = random.Random(seed)
    for attempt in range(times):
        rng.shuffle(lines)
        export = tmp_path / f"perm-{seed}-{attempt}.dat"
        export.write_bytes(b"\r\n".join(lines) + b"\r\n")
        assert run("import", "punches", export, "--device", "gate", "--new-device").exit_code == 0
    store = open_store(directory)
    assert store.punch_count() == max(before, len(lines))
    assert store.verify_chain().ok
    store.close()


def test_card_numbers_in_any_printed_form_match_the_reader(run, directory: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[[devices]]\nid = "the-doc"\nprotocol = "rfid"\nport = "/dev/ttyUSB0"\ncard_format = "facility"\n',
        encoding="utf-8",
    )
    enroll = write(
        tmp_path / "cards.csv",
        "device_id,device_user_id,employee_code,kind\n*,\"059,20934\",NV001,card\nthe-doc,0x003B51C7,NV002,card\n*,not-a-card,NV002,card\n",
    )
    result = run("import", "enrollments", enroll, "--skip-bad")
    assert result.exit_code == 0, result.output
    assert result.stderr == f"{enroll}:4: 'not-a-card' is not a card number (forms: 0003887558, 059,20934, 0x003B51C6)\n"
    rows = {(r["device_id"], r["device_user_id"]) for r in open_store(directory).enrollments()}
    assert rows == {("*", "0003887558"), ("the-doc", "059,20935")}
