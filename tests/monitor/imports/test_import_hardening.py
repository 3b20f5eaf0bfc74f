"""Importers refuse what a corrupted or careless file holds, naming the line."""

from __future__ import annotations

from pathlib import Path


def test_units_in_any_order(run, initialized: Path, tmp_path: Path) -> None:
    units = tmp_path / "units.csv"
    units.write_text("code,name,parent_code\nSNV-TC,Phòng Tổ chức,SNV\nSNV,Sở Nội vụ,UBND\nUBND,UBND tỉnh,\n", encoding="utf-8")
    result = run("import", "units", units)
    assert result.exit_code == 0, result.stderr
    assert run("import", "units", units).exit_code == 0  # again: nothing changes


def test_a_unit_cycle_is_named(run, initialized: Path, tmp_path: Path) -> None:
    units = tmp_path / "units.csv"
    units.write_text("code,name,parent_code\nA,Đơn vị A,C\nB,Đơn vị B,A\nC,Đơn vị C,B\n", encoding="utf-8")
    result = run("import", "units", units)
    assert result.exit_code == 2
    assert result.stderr == "Error: units A → C → B → A form a cycle: a unit cannot be its own ancestor\n"


def test_control_characters_are_refused_with_their_line(run, initialized: Path, tmp_path: Path) -> None:
    units = tmp_path / "units.csv"
    units.write_bytes("code,name\nSNV,Sở Nội vụ\nSTC,Sở Tài\x00chính\x1b[31m\n".encode("utf-8"))
    result = run("import", "units", units)
    assert result.exit_code == 2
    assert f"{units}:3: name has a control character (U+0000) at position 7: 'Sở Tài\\x00chính\\x1b[31m'" in result.stderr
    assert "\x00" not in result.stderr and "\x1b" not in result.stderr


def test_a_long_bad_cell_is_shown_as_an_excerpt(run, initialized: Path, tmp_path: Path) -> None:
    units = tmp_path / "units.csv"
    units.write_text("code,name\nSNV,Sở\x07" + "x" * 100_000 + "\n", encoding="utf-8")
    result = run("import", "units", units)
    assert result.exit_code == 2
    assert len(result.stderr) < 400
    assert "'Sở\\x07" + "x" * 37 + "…'" in result.stderr


def test_encoding_errors_name_the_line(run, initialized: Path, tmp_path: Path) -> None:
    units = tmp_path / "units.csv"
    units.write_bytes("code,name\nSNV,Sở Nội vụ\n".encode("utf-8") + "STC,S\xe0 T\xe0i ch\xednh\n".encode("latin-1"))
    result = run("import", "units", units)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {units}:3: not UTF-8 text (byte ")


def zk_line(pin: str, stamp: str) -> str:
    return f"{pin}\t{stamp}\t1\t0\t1\t0\n"


def stored_badges(db: Path) -> list[tuple[str, str]]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT device_user_id, punched_at FROM punches ORDER BY punched_at").fetchall()
    finally:
        conn.close()


def test_implausible_punch_times_are_refused_line_by_line(run, initialized: Path, tmp_path: Path) -> None:
    export = tmp_path / "1_attlog.dat"
    export.write_text(
        zk_line("1", "2026-11-25 07:30:00")
        + zk_line("2", "1999-12-31 23:59:59")  # a clock that lost its battery
        + zk_line("3", "2131-04-02 08:00:00")  # a corrupted record
        + zk_line("4", "2026-11-27 08:59:59")  # within a day of now (2026-11-26 09:00)
        + zk_line("5", "2026-11-27 09:00:01"),
        encoding="utf-8",
    )
    result = run("import", "punches", export, "--device", "gate", "--new-device")
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert errors[0] == "  3 line(s) could not be read and were not imported:"
    assert errors[1] == (f"{export}:2: punch time 1999-12-31 23:59:59 is before 2000-01-01 (storage.punch_not_before);"
                         " line: '2\\t1999-12-31 23:59:59\\t1\\t0\\t1\\t0'")
    assert errors[2].startswith(f"{export}:3: punch time 2131-04-02 08:00:00 is after 2026-11-27 09:00 "
                                "(more than storage.punch_max_ahead_hours from now)")
    assert errors[3].startswith(f"{export}:5: punch time 2026-11-27 09:00:01 is after 2026-11-27 09:00")
    assert stored_badges(initialized) == [("1", "2026-11-25T07:30:00+07:00"), ("4", "2026-11-27T08:59:59+07:00")]


def test_the_window_comes_from_the_config(run, initialized: Path, tmp_path: Path, config_file: Path) -> None:
    config_file.write_text(config_file.read_text(encoding="utf-8").replace(
        "[storage]\n", "[storage]\npunch_not_before = 2026-01-01\npunch_max_ahead_hours = 1\n"), encoding="utf-8")
    export = tmp_path / "punches.csv"
    export.write_text("badge,timestamp\n7,2025-12-31 08:00\n7,2026-11-26 09:59\n7,2026-11-26 10:01\n", encoding="utf-8")
    result = run("import", "punches", export, "--device", "gate", "--new-device")
    assert result.exit_code == 1
    assert f"{export}:2: punch time 2025-12-31 08:00:00 is before 2026-01-01" in result.stderr
    assert f"{export}:4: punch time 2026-11-26 10:01:00 is after 2026-11-26 10:00" in result.stderr
    assert stored_badges(initialized) == [("7", "2026-11-26T09:59:00+07:00")]


def test_a_bad_window_setting_is_one_line(run, initialized: Path, config_file: Path) -> None:
    config_file.write_text(config_file.read_text(encoding="utf-8").replace(
        "[storage]\n", "[storage]\npunch_max_ahead_hours = 0\n"), encoding="utf-8")
    result = run("import", "punches", config_file, "--device", "gate", "--new-device")
    assert result.exit_code == 2
    assert "punch_max_ahead_hours" in result.stderr and len(result.stderr.splitlines()) == 1


def test_garbage_badges_are_refused_with_their_line(run, initialized: Path, tmp_path: Path) -> None:
    export = tmp_path / "1_attlog.dat"
    export.write_bytes((zk_line("12\x1b[2J", "2026-11-25 07:30:00")
                        + zk_line("9" * 100_000, "2026-11-25 07:31:00")
                        + zk_line("42", "2026-11-25 07:32:00")).encode("utf-8"))
    result = run("import", "punches", export, "--device", "gate", "--new-device")
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert errors[1].startswith(f"{export}:1: badge has a control character (U+001B) at position 3: '12\\x1b[2J'")
    assert errors[2].startswith(f"{export}:2: badge is 100000 characters long (at most 32): '" + "9" * 40 + "…'")
    assert len(result.stderr) < 1000 and "\x1b" not in result.stderr
    assert stored_badges(initialized) == [("42", "2026-11-25T07:32:00+07:00")]


def test_leave_rows_with_control_characters_are_refused(run, initialized: Path, tmp_path: Path) -> None:
    from monitor.store import Store

    with Store(initialized, create=False) as store:
        store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ"}], actor="setup")
        store.upsert_employees([{"code": "NV001", "full_name": "Nguyễn Thị Lan", "unit_code": "SNV"}], actor="setup")
    leave = tmp_path / "leave.csv"
    leave.write_text("employee,from,kind,reason\nNV001,2026-11-20,P,Việc\x00 riêng\x1b]0;x\x07\n", encoding="utf-8")
    result = run("import", "leave", leave)
    assert result.exit_code == 2
    assert f"{leave}:2: reason has a control character (U+0000) at position 5: 'Việc\\x00 riêng\\x1b]0;x\\x07'" in result.stderr
    assert "\x00" not in result.stderr and "\x1b" not in result.stderr
