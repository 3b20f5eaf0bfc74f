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
