"""The request commands end to end: explain, correct, requests list|show|approve|reject|
revoke|withdraw|attach, users add --role staff, users import."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from monitor.service.evaluation import Evaluation
from monitor.store import Store
from tests.conftest import FIXED_NOW
from tests.monitor.engine_helpers import OFFICE_TOML, add_punches, parse_policy

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def monitor(run, tmp_path: Path, db_path: Path, directory: Store):
    """NV001 late 11 minutes on 25/11 and without a departure on 23/11; the clock is Thu 26/11/2026 09:00."""
    add_punches(directory, "NV001 2026-11-25 07:41:10", "NV001 2026-11-25 17:02", "NV001 2026-11-23 07:28",
                "NV002 2026-11-25 07:20", "NV002 2026-11-25 17:10")
    Evaluation(directory, parse_policy(OFFICE_TOML), FIXED_NOW).run()
    config = tmp_path / "engine.toml"
    config.write_text(f'[storage]\ndatabase = "{db_path.name}"\n' + OFFICE_TOML, encoding="utf-8")

    def invoke(*args: str):
        return run(*args, config=config)

    return invoke


def day(monitor, code: str, date: str) -> dict:
    rows = json.loads(monitor("report", "day", "--date", date, "--format", "json").stdout)
    return next(row for row in rows if row["employee"] == code)


def test_explain_then_approve_from_the_command_line(monitor, tmp_path: Path) -> None:
    scan = tmp_path / "giay-moi.pdf"
    scan.write_bytes(PDF)
    filed = monitor("explain", "NV001", "--date", "25/11/2026", "--reason", "Họp giao ban", "--category", "hop",
                    "--document", "GM 45/GM-UBND", "--minutes", "10", "--attach", scan)
    assert (filed.exit_code, filed.stdout) == (0, "Request #1 filed (explanation, NV001, 2026-11-25: late 10 min (hop));"
                                                  " pending, for HR.\n")
    listed = json.loads(monitor("requests", "list", "--status", "pending", "--format", "json").stdout)
    assert [(r["id"], r["kind"], r["filed_by"], r["on_behalf"], r["document_no"]) for r in listed] == [
        (1, "explanation", "tester", True, "GM 45/GM-UBND")]
    approved = monitor("requests", "approve", "1", "--comment", "Đồng ý")
    assert approved.stdout.splitlines()[0] == "Request #1 (explanation, NV001, 2026-11-25) approved."
    row = day(monitor, "NV001", "2026-11-25")
    assert (row["late_minutes"], row["excused_late_minutes"], row["requests"]) == (
        11, 10, [{"id": 1, "kind": "explanation", "status": "approved"}])
    shown = monitor("requests", "show", "1").stdout
    assert "status            approved" in shown and "giay-moi.pdf (application/pdf" in shown
    assert [line.split()[3].rstrip(":") for line in shown.splitlines() if line.startswith("audit")] == ["file", "attach", "approve"]
    again = monitor("requests", "approve", "1")
    assert again.exit_code == 2
    assert again.stderr.startswith("Error: request #1 is already approved by tester on 2026-11-26T09:00:00+07:00;"
                                   " a decision is final")


def test_correct_reject_and_revoke(monitor) -> None:
    filed = monitor("correct", "NV001", "--date", "2026-11-23", "--out", "17:05", "--reason", "Quên chấm công ra")
    assert filed.exit_code == 0, filed.output
    assert monitor("requests", "reject", "1").exit_code == 2  # --comment is required
    rejected = monitor("requests", "reject", "1", "--comment", "Không có xác nhận")
    assert rejected.stdout == "Request #1 (correction, NV001, 2026-11-23) rejected.\n"
    assert day(monitor, "NV001", "2026-11-23")["missing_out"] == 1
    monitor("correct", "NV001", "--date", "2026-11-23", "--out", "17:05:30", "--reason", "Có xác nhận của phòng")
    assert monitor("requests", "approve", "2").exit_code == 0
    row = day(monitor, "NV001", "2026-11-23")
    assert (row["departure"], row["missing_out"], row["corrected"]) == ("17:05:30", 0, True)
    revoked = monitor("requests", "revoke", "2", "--reason", "Duyệt nhầm")
    assert revoked.stdout.startswith("Request #2 revoked;")
    assert day(monitor, "NV001", "2026-11-23")["corrected"] is False
    assert monitor("verify").exit_code == 0


def test_bulk_approval_reports_refusals_and_exits_2(monitor) -> None:
    monitor("correct", "NV001", "--date", "2026-11-23", "--out", "17:05", "--reason", "Quên")
    monitor("correct", "NV002", "--date", "2026-11-25", "--in", "07:20", "--reason", "Quẹt thẻ lỗi")
    result = monitor("requests", "approve", "1", "2", "3")
    assert result.exit_code == 2
    assert result.stdout.splitlines()[:2] == ["Request #1 (correction, NV001, 2026-11-23) approved.",
                                              "Request #2 (correction, NV002, 2026-11-25) approved."]
    assert result.stderr == "Error: #3: no request #3 (list them with 'monitor requests list')\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("explain", "NV001", "--date", "2026-11-25", "--reason", "x", "--violation", "early"),
         "Error: 2026-11-25 has no early to explain (the day holds: late)\n"),
        (("explain", "NV404", "--date", "2026-11-25", "--reason", "x"),
         "Error: no employee 'NV404' (import employees first, or check the code)\n"),
        (("correct", "NV001", "--date", "2026-11-23", "--reason", "x"),
         "Error: give the arrival (--in HH:MM) or the departure (--out HH:MM) the clock missed\n"),
        (("correct", "NV001", "--date", "2026-11-23", "--in", "7h30", "--reason", "x"),
         "Error: '7h30' is not a time of day (write 07:30 or 07:30:15)\n"),
        (("requests", "revoke", "9", "--reason", "x"), "Error: no request #9 (list them with 'monitor requests list')\n"),
        (("users", "add", "lan", "--role", "staff", "--password-file", "pw"),
         "Error: a staff account belongs to one employee (--employee CODE)\n"),
    ],
    ids=["violation-not-held", "unknown-employee", "no-times", "bad-time", "unknown-request", "staff-without-employee"],
)
def test_mistakes_are_one_line_and_exit_2(monitor, tmp_path: Path, monkeypatch, args, message) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pw").write_text("mat-khau-dai-du\n", encoding="utf-8")
    result = monitor(*args)
    assert (result.exit_code, result.stderr) == (2, message)


def test_users_add_staff_and_import(monitor, tmp_path: Path, directory: Store) -> None:
    secret = tmp_path / "pw"
    secret.write_text("mat-khau-dai-du\n", encoding="utf-8")
    added = monitor("users", "add", "lan", "--role", "staff", "--employee", "NV001", "--password-file", secret)
    assert (added.exit_code, added.stdout) == (0, "User 'lan' added (staff).\n")
    listing = tmp_path / "nhan-vien.csv"
    listing.write_text("Tên đăng nhập,Mã NV,Họ và tên,Mật khẩu\nbinh,NV002,Trần Văn Bình,\nchau,NV003,,mat-khau-cua-chau\n",
                       encoding="utf-8")
    out = tmp_path / "mat-khau.csv"
    assert monitor("users", "import", listing).exit_code == 2  # a generated password needs --passwords
    imported = monitor("users", "import", listing, "--passwords", out)
    assert imported.stdout == "2 staff account(s) added; each must change the password at first login.\n"
    with out.open(encoding="utf-8") as handle:
        made = dict(csv.reader(handle))
    assert made["chau"] == "mat-khau-cua-chau" and len(made["binh"]) >= 12
    users = {u["username"]: u for u in directory.users()}
    assert (users["binh"]["role"], users["binh"]["employee_code"], users["binh"]["must_change_password"]) == ("staff", "NV002", 1)
    assert directory.check_password("binh", made["binh"]) is not None


def test_leave_add_is_hrs_file_and_approve_shortcut(monitor) -> None:
    added = monitor("leave", "add", "NV001", "--from", "2026-11-30", "--kind", "CT", "--reason", "Công tác huyện",
                    "--document", "QĐ 9/QĐ-SNV")
    assert added.exit_code == 0, added.output
    listed = json.loads(monitor("requests", "list", "--format", "json").stdout)
    assert [(r["kind"], r["status"], r["document_no"], r["detail"]) for r in listed] == [
        ("leave", "approved", "QĐ 9/QĐ-SNV", "CT full")]
    removed = monitor("leave", "remove", "1", "--reason", "Hủy chuyến công tác")
    assert removed.stdout == "Leave #1 (CT, 2026-11-30, full) of NV001 removed.\n"
    assert json.loads(monitor("leave", "list", "--format", "json").stdout) == []
    request = json.loads(monitor("requests", "list", "--format", "json").stdout)[0]
    assert request["status"] == "revoked"  # the approval went with its leave, on the record
