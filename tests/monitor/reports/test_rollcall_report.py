"""The roll-call report over a real database: groups, counts per unit, the unit tree,
approved reasons from every source, and the CLI's three formats."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from monitor.reports import excuses
from monitor.reports.excuses import Excuse
from monitor.reports.rollcall import PERSON_KEYS, rollcall
from monitor.store import Store
from tests.monitor.engine_helpers import add_punches

AT = datetime(2026, 11, 25, 9, 50)


@pytest.fixture
def office(directory: Store) -> Store:
    """NV001 (SNV) in at 07:41; NV002 (PTC, below SNV) on a business trip; NV003 (STC) not in."""
    add_punches(directory, "NV001 2026-11-25 07:41", "NV003 2026-11-25 09:51")
    directory.add_leave("NV002", date(2026, 11, 24), date(2026, 11, 26), part="full", kind="CT",
                        reason="Công tác Hà Nội", actor="hr")
    return directory


def _people(data: dict) -> dict[str, dict]:
    return {p["employee"]: p for unit in data["units"] for p in unit["people"]}


def test_each_person_is_in_one_group_counted_per_unit(office: Store, policy) -> None:
    data = rollcall(office, policy, AT, organisation="UBND tỉnh Ninh Bình")
    people = _people(data)
    assert list(people["NV001"]) == list(PERSON_KEYS)
    assert (people["NV001"]["group"], people["NV001"]["since"], people["NV001"]["session"]) == ("present", "07:41:00",
                                                                                                   "07:30–11:30")
    assert people["NV002"]["group"] == "excused"
    assert people["NV002"]["leave"] == {"kind": "CT", "name": "Công tác", "name_en": "Business trip", "part": "full",
                                        "document": None, "note": "Công tác Hà Nội", "source": "leave",
                                        "record": people["NV002"]["leave"]["record"]}
    # 09:51 is after the moment: not yet in
    assert (people["NV003"]["group"], people["NV003"]["reason"]) == ("absent", "not_arrived")
    # UBND has nobody of its own: its units are shown at the top
    assert [(u["unit"], u["depth"], u["counts"]["total"]) for u in data["units"]] == [("SNV", 0, 1), ("PTC", 1, 1),
                                                                                      ("STC", 0, 1)]
    assert data["counts"] == {"present": 1, "excused": 1, "absent": 1, "off": 0, "total": 3}
    assert (data["at"], data["organisation"]) == ("2026-11-25T09:50", "UBND tỉnh Ninh Bình")


def test_a_unit_and_those_below_it_in_tree_order(office: Store, policy) -> None:
    data = rollcall(office, policy, AT, unit="SNV")
    assert [(u["unit"], u["depth"]) for u in data["units"]] == [("SNV", 0), ("PTC", 1)]
    assert data["counts"]["total"] == 2 and data["unit_name"] == "Sở Nội vụ"
    limited = rollcall(office, policy, AT, allowed={"STC"})
    assert [u["unit"] for u in limited["units"]] == ["STC"]


def test_days_off_and_people_not_hired_yet(office: Store, policy) -> None:
    people = _people(rollcall(office, policy, datetime(2026, 11, 3, 9, 50)))
    assert (people["NV003"]["group"], people["NV003"]["reason"]) == ("off", "not_hired")
    saturday = _people(rollcall(office, policy, datetime(2026, 11, 28, 9, 50)))
    assert {p["reason"] for p in saturday.values()} == {"weekend"}


def test_a_registered_source_adds_reasons_with_documents(office: Store, policy, monkeypatch) -> None:
    """The hook the requests feature uses: one more source of approved reasons."""

    def trips(store: Store, codes, day: date) -> list[Excuse]:
        return [Excuse("NV003", "CT", "morning", "QĐ 123/QĐ-STC", "Kiểm tra cơ sở", "request", "R7")] if "NV003" in codes else []

    monkeypatch.setattr(excuses, "EXCUSE_SOURCES", list(excuses.EXCUSE_SOURCES))
    excuses.register_excuse_source(trips)
    nv003 = _people(rollcall(office, policy, AT))["NV003"]
    assert nv003["group"] == "excused"
    assert (nv003["leave"]["document"], nv003["leave"]["source"]) == ("QĐ 123/QĐ-STC", "request")
    # the morning trip does not cover the afternoon
    assert _people(rollcall(office, policy, datetime(2026, 11, 25, 14, 0)))["NV003"]["group"] == "present"


def test_the_cli_in_three_formats(run, office: Store, tmp_path: Path) -> None:
    table = run("report", "rollcall", "--at", "2026-11-25 09:50")
    assert table.exit_code == 0, table.output
    assert "Điểm danh lúc 09:50 25/11/2026" in table.output
    assert "Vắng có lý do: NV002 Trần Văn Bình — CT Công tác, : Công tác Hà Nội" not in table.output
    assert "Vắng có lý do: NV002 Trần Văn Bình — CT Công tác: Công tác Hà Nội" in table.output
    data = json.loads(run("report", "rollcall", "--at", "2026-11-25T09:50", "--unit", "SNV", "--format", "json").output)
    assert data["counts"] == {"present": 1, "excused": 1, "absent": 0, "off": 0, "total": 2}
    target = tmp_path / "diem-danh.csv"
    result = run("report", "rollcall", "--at", "2026-11-25 09:50", "--format", "csv", "--output", str(target))
    assert result.exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("\ufeffunit,unit_name,employee,name,title,group,reason,since")
    assert "PTC,Phòng Tổ chức,NV002,Trần Văn Bình,,excused,leave,,07:30–11:30,CT,full,,Công tác Hà Nội," in text


def test_a_reason_typed_like_a_formula_cannot_run_in_the_csv(run, office: Store) -> None:
    office.add_leave("NV003", date(2026, 11, 25), date(2026, 11, 25), part="full", kind="P",
                     reason="=HYPERLINK(\"http://x\")", actor="hr")
    text = run("report", "rollcall", "--at", "2026-11-25 09:50", "--format", "csv").output
    assert ',"\'=HYPERLINK(""http://x"")",' in text


def test_a_bad_moment_or_unit_is_one_line(run, office: Store) -> None:
    result = run("report", "rollcall", "--at", "25/11 09:50")
    assert result.exit_code == 2
    assert result.output.strip() == "Error: '25/11 09:50' is not a moment: write the date and the local time, e.g. '2026-11-25 09:50'"
    assert run("report", "rollcall", "--unit", "NOPE").output.startswith("Error: no unit 'NOPE'")
