"""The README's first command: the demo builds, pulls, judges and shows a made-up office."""

from __future__ import annotations

from pathlib import Path

from monitor.store import Store
from tests.conftest import ZONE


def test_demo_without_serving(run, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = run("demo", "--dir", folder, "--employees", "24", "--no-serve")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"== Demo office in {folder}/ — every name and number is made up"
    assert any(line.startswith("The collector pulled 'cong-chinh':") and "status online" in line for line in lines)
    assert "Punch log hash chain: intact" in result.stdout
    with Store(folder / "attendance.db", zone=ZONE) as store:
        assert len(store.employees()) == 24
        assert store.device_row("cong-chinh")["status"] == "online"
        statuses = {row["status"] for row in store.query("SELECT DISTINCT status FROM day_results")}
        assert {"present", "absent", "weekend"} <= statuses
        assert [(u["username"], u["role"]) for u in store.users()] == [
            ("admin", "admin"), ("nhansu", "hr"), ("nhanvien", "staff"), ("truong-snv", "manager")]
        # the staff member's explanation of a violation waits in the SNV head's inbox
        staff = store.user("nhanvien")
        assert [(r["employee_code"], r["kind"], r["status"], r["approver_unit"]) for r in store.requests_where()] == [
            (staff["employee_code"], "explanation", "pending", "SNV")]
        assert store.employee(staff["employee_code"])["unit_code"] == "SNV"
        assert "(nhanvien) explained " in result.stdout and "waits for truong-snv" in result.stdout
        # one commune employee is deliberately not enrolled: the unknown-id flow is visible
        assert [row["device_id"] for row in store.unknown_punches()] == ["xa-an-binh"]
        # the lobby's push clock called in and waits, holding its punches
        lobby = store.push_device("DEMO7230100001")
        assert lobby["state"] == "waiting" and store.held_push_uploads("DEMO7230100001")
    assert "devices accept DEMO7230100001 --id sanh --unit UBND" in result.stdout
    result = run("--config", folder / "config.toml", "devices", "accept", "DEMO7230100001", "--id", "sanh", "--unit", "UBND")
    assert result.exit_code == 0 and "160 new punch(es)" in result.output, result.output
    assert "no employee yet" not in result.output  # its users were enrolled by the demo
    password = (folder / "admin-password.txt").read_text(encoding="utf-8").strip()
    assert len(password) >= 12


def test_demo_starts_afresh(run, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    assert run("demo", "--dir", folder, "--employees", "12", "--no-serve").exit_code == 0
    assert run("demo", "--dir", folder, "--employees", "12", "--no-serve").exit_code == 0
    with Store(folder / "attendance.db", zone=ZONE) as store:
        assert len(store.employees()) == 12


def test_a_busy_port_is_one_clear_line(run, tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("demo", "--dir", tmp_path / "demo", "--employees", "8", "--port", port)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == f"Error: port {port} is in use: run the demo with --port PORT"
