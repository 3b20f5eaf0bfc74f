"""``monitor calendar show``: the year with each day's source, table and JSON."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.store import Store

CONFIG_TAIL = """
[units.PTC]
days_off = [{date = 2026-11-20, name = "Ngày Nhà giáo (đơn vị)", ref = "QĐ 12/QĐ-PTC"}]

[calendar]
workdays = [{date = 2026-11-24, name = "Làm việc", ref = "CV 5/UBND"}]
"""


def test_the_year_as_a_table_names_every_source(run, directory: Store) -> None:
    result = run("calendar", "show", "--year", "2026")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    friday = next(line for line in lines if "02/01/2026" in line)
    assert "Thứ Sáu" in friday and "văn bản kèm theo" in friday and "12729/VPCP-KGVX" in friday
    cultural = next(line for line in lines if "24/11/2026" in line)
    assert "gói holidays, chưa có văn bản xác nhận" in cultural
    english = run("calendar", "show", "--year", "2026", "--lang", "en").output
    assert "Sat 2026-01-10  Workday" in english and "not confirmed by a letter" in english


def test_a_unit_gets_its_own_and_its_parents_config(run, directory: Store, config_file: Path) -> None:
    config_file.write_text(config_file.read_text(encoding="utf-8") + CONFIG_TAIL, encoding="utf-8")
    data = json.loads(run("calendar", "show", "--year", "2026", "--unit", "PTC", "--format", "json").output)
    days = {row["date"]: row for row in data["days"]}
    assert days["2026-11-20"] == {"date": "2026-11-20", "weekday": 4, "kind": "day_off", "name": "Ngày Nhà giáo (đơn vị)",
                                  "source": "config", "ref": "QĐ 12/QĐ-PTC", "config_unit": "PTC", "package_name": None,
                                  "confirmed": None}
    assert "2026-11-24" not in days  # worked by [calendar]: no departure from the weekdays
    snv = json.loads(run("calendar", "show", "--year", "2026", "--unit", "SNV", "--format", "json").output)
    assert "2026-11-20" not in {row["date"] for row in snv["days"]}
    assert (data["unit"], data["schedule"], data["weekdays"]) == ("PTC", "default", [0, 1, 2, 3, 4])


def test_unknown_unit_and_year_are_one_line(run, directory: Store) -> None:
    result = run("calendar", "show", "--year", "2026", "--unit", "NOPE")
    assert result.exit_code == 2 and result.output.startswith("Error: no unit 'NOPE'")
    result = run("calendar", "show", "--year", "1900")
    assert result.exit_code == 2 and "Error: year 1900 is out of range" in result.output
