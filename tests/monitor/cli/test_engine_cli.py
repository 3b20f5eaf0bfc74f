"""The engine's commands end to end: leave, import leave, evaluate, report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from monitor.cli import cli
from monitor.store import Store
from tests.monitor.engine_helpers import OFFICE_TOML, add_punches


@pytest.fixture
def engine_config(tmp_path: Path, db_path: Path) -> Path:
    path = tmp_path / "engine.toml"
    path.write_text(f'[storage]\ndatabase = "{db_path.name}"\n' + OFFICE_TOML, encoding="utf-8")
    return path


@pytest.fixture
def monitor(run, engine_config: Path, directory: Store, clock):
    """Run a command with the engine config, at the clock's time (Thu 26/11/2026 09:00)."""

    def invoke(*args: str):
        return run(*args, config=engine_config)

    return invoke


def test_leave_add_list_remove(monitor, directory: Store) -> None:
    added = monitor("leave", "add", "NV001", "--from", "19/11/2026", "--to", "2026-11-20", "--kind", "o",
                    "--reason", "Ốm, có giấy viện")
    assert added.exit_code == 0, added.output
    assert added.stdout == "Leave #1 (Ô, 2026-11-19..2026-11-20, full) added for NV001 (Ốm, điều dưỡng).\n"
    half = monitor("leave", "add", "NV002", "--from", "2026-11-19", "--part", "afternoon", "--kind", "CT",
                   "--reason", "Họp ở Sở")
    assert half.stdout == "Leave #2 (CT, 2026-11-19, afternoon) added for NV002 (Công tác).\n"
    listed = monitor("leave", "list", "--unit", "SNV", "--format", "json")
    assert [(r["id"], r["employee"], r["kind"], r["part"]) for r in json.loads(listed.stdout)] == [
        (1, "NV001", "Ô", "full"), (2, "NV002", "CT", "afternoon")]
    table = monitor("leave", "list", "--employee", "NV002", "--lang", "en").stdout.splitlines()
    assert table[0].split() == ["#", "Employee", "Name", "From", "To", "Part", "Kind", "Reason"]
    assert table[2].split()[:3] == ["2", "NV002", "Trần"]
    removed = monitor("leave", "remove", "1", "--reason", "Nhầm người")
    assert removed.stdout == "Leave #1 (Ô, 2026-11-19..2026-11-20, full) of NV001 removed.\n"
    assert json.loads(monitor("leave", "list", "--format", "json").stdout)[0]["id"] == 2
    everything = json.loads(monitor("leave", "list", "--all", "--format", "json").stdout)
    assert everything[0]["removed_reason"] == "Nhầm người" and everything[0]["removed_by"] == "tester"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("leave", "add", "NV001", "--from", "2026-11-19", "--kind", "X", "--reason", "r"),
                     "Error: unknown leave kind 'X' (known: P, Ô, Cô, TS, T, H, NB, KL, N, LĐ, CT; add local codes"
                     " under [leave.kinds] in the config)\n", id="unknown kind"),
        pytest.param(("leave", "add", "NV404", "--from", "2026-11-19", "--kind", "P", "--reason", "r"),
                     "Error: no employee 'NV404' (import employees first, or check the code)\n", id="unknown employee"),
        pytest.param(("leave", "remove", "7", "--reason", "r"),
                     "Error: no leave #7 (list them with 'monitor leave list')\n", id="unknown record"),
        pytest.param(("report", "month", "--month", "2026-13"),
                     "Error: '2026-13' is not a month (write YYYY-MM, e.g. 2026-11)\n", id="bad month"),
        pytest.param(("report", "day", "--unit", "XYZ"),
                     "Error: no unit 'XYZ' (import units first, or check the code)\n", id="unknown unit"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(monitor, args, message) -> None:
    result = monitor(*args)
    assert (result.exit_code, result.stderr) == (2, message)


def test_overlapping_leave_from_the_command_line(monitor) -> None:
    monitor("leave", "add", "NV001", "--from", "2026-11-19", "--kind", "P", "--reason", "Phép")
    result = monitor("leave", "add", "NV001", "--from", "2026-11-19", "--part", "morning", "--kind", "H",
                     "--reason", "Tập huấn")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: NV001: leave #1 (P, 2026-11-19, full) already covers 2026-11-19; remove it first"
        " (monitor leave remove 1 --reason ...) or change the dates\n"
    )


def test_a_date_in_the_wrong_form(monitor) -> None:
    result = monitor("leave", "add", "NV001", "--from", "19.11.2026", "--kind", "P", "--reason", "r")
    assert result.exit_code == 2
    assert "'19.11.2026' is not a date (write 2026-11-20 or 20/11/2026)" in result.stderr


def test_import_leave_file_twice(monitor, tmp_path: Path) -> None:
    path = tmp_path / "nghi-phep.csv"
    path.write_text("employee,from,to,part,kind,reason\nNV001,2026-11-02,2026-11-03,,P,Phép năm\n"
                    "NV002,2026-11-04,,morning,Ô,Ốm\n", encoding="utf-8")
    first = monitor("import", "leave", path)
    assert (first.exit_code, first.stdout) == (0, "leave: 2 added, 0 unchanged\n")
    assert monitor("import", "leave", path).stdout == "leave: 0 added, 2 unchanged\n"


def test_import_leave_with_a_bad_row_imports_nothing(monitor, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("employee,from,kind,reason\nNV001,2026-11-02,P,Phép\nNV002,2026-11-31,P,Phép\n", encoding="utf-8")
    result = monitor("import", "leave", path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"{path}:3: '2026-11-31' is not a date (use 2025-03-01 or 01/03/2025)\n"
        "Error: 1 bad row(s), so nothing was imported; fix them or pass --skip-bad to import the good rows\n"
    )
    skipped = monitor("import", "leave", path, "--skip-bad")
    assert skipped.stdout == "leave: 1 added, 0 unchanged; 1 bad rows skipped:\n"


def test_evaluate_then_report(monitor, directory: Store, clock, tmp_path: Path) -> None:
    add_punches(directory, "NV001 2026-11-25 07:29", "NV001 2026-11-25 17:02", "NV002 2026-11-25 07:48",
                "NV002 2026-11-25 16:40", "NV001 2026-11-26 07:41")
    evaluated = monitor("evaluate")
    assert evaluated.exit_code == 0, evaluated.output
    assert re.fullmatch(r"Judged 6 employee-days of 3 employees in \d+\.\d s \(3 changed; 3 still open"
                        r" \(provisional\)\)\.\n", evaluated.stdout), evaluated.stdout
    assert monitor("evaluate").stdout.startswith("Judged 3 employee-days of 3 employees")  # today, still open

    day = json.loads(monitor("report", "day", "--date", "2026-11-25", "--unit", "SNV", "--format", "json").stdout)
    assert [(r["employee"], r["status"], r["late_minutes"], r["early_minutes"]) for r in day] == [
        ("NV002", "present", 18, 20), ("NV001", "present", 0, 0)]
    today = monitor("report", "day", "--lang", "en").stdout
    assert "present*" in today and "* provisional: the day is not over yet" in today
    assert "Chưa chấm công*" in monitor("report", "day").stdout

    month = json.loads(monitor("report", "month", "--format", "json").stdout)
    assert [(r["employee"], r["required_days"], r["late_count"]) for r in month] == [
        ("NV002", 2, 1), ("NV001", 2, 1), ("NV003", 2, 0)]
    one = json.loads(monitor("report", "employee", "NV002", "--month", "2026-11", "--format", "json").stdout)
    assert one["employee"]["early_minutes"] == 20 and [d["date"] for d in one["days"]] == ["2026-11-25", "2026-11-26"]

    output = tmp_path / "thang-11.csv"
    written = monitor("report", "month", "--month", "2026-11", "--format", "csv", "--output", output)
    assert written.stderr == f"Written to {output}.\n"
    assert output.read_bytes().startswith(b"\xef\xbb\xbfemployee,name,unit,month,required_days")


def test_a_report_waits_for_evaluate(monitor, directory: Store) -> None:
    result = monitor("report", "day", "--date", "2026-11-25")
    assert result.stderr == "note: nothing judged for this period yet; run 'monitor evaluate'\n"
    monitor("evaluate")
    add_punches(directory, "NV001 2026-11-25 07:29", device="late-clock")
    assert monitor("report", "day", "--date", "2026-11-25").stderr == (
        "note: 1 employee-days changed since they were judged; run 'monitor evaluate'\n")


def test_config_check_lists_engine_problems(run, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[schedules.night]\nsessions = [["22:00", "06:00"]]\n[units.X]\nschedule = "nigth"\n',
                    encoding="utf-8")
    result = run("config", "check", path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{path}:2: schedules.night.sessions[0]: 22:00–06:00 crosses midnight or is empty: a session must end after"
        " it starts on the same day (night sessions are not supported yet)",
        f"{path}:4: units.X.schedule: no schedule 'nigth'; did you mean 'night'? (defined: default, night)",
        f"{path}: 2 problems.",
    ]


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield prefix + (name,)
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))


@pytest.mark.parametrize("path", [p for p in _commands(cli) if p[0] in ("leave", "evaluate", "report", "import")],
                         ids=" ".join)
def test_every_engine_command_has_help(run, path: tuple[str, ...]) -> None:
    result = run(*path, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output
