"""The morning digest: who gets it, when, what it says, in which language; read back
from a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.service.notify.contracts import Section
from monitor.service.notify.notifier import Notifier
from monitor.service.notify.sources import DIGEST_SECTIONS
from monitor.store import Store
from tests.conftest import ZONE
from tests.monitor.service.notify.notify_helpers import office_config
from web import create_app


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZONE)


def notifier(tmp_path: Path, office: Path, mail, clock, more: str = "") -> Notifier:
    return Notifier(office_config(tmp_path, office, port=mail.port, more=more), now=clock)


def test_each_head_gets_their_units_digest_with_diacritics_read_back(tmp_path, office, mail, clock) -> None:
    report = notifier(tmp_path, office, mail, clock).tick()
    assert (report.digests, report.sent.sent) == (3, 3)
    messages = mail.wait_for(3)
    hung = mail.to("hung@snv.gov.vn")[0]
    assert hung["Subject"] == "[Chấm công] Sở Nội vụ · Thứ Năm 26/11/2026 · buổi sáng (07:30–11:30)"
    assert str(hung["To"]) == "Phạm Quốc Hùng <hung@snv.gov.vn>"
    raw = hung.as_bytes()
    assert b"Subject: =?utf-8?" in raw  # RFC 2047 on the wire
    text = hung.get_body(("plain",)).get_content()
    html = hung.get_body(("html",)).get_content()
    assert "Có mặt 2/4 · Đi muộn 1 · Vắng có lý do 1 · Vắng không lý do 0 · Chưa chấm công 1" in text
    assert "Nguyễn Thị Lan 07:52 (+22'), lần thứ 2 trong tháng" in text
    assert "Vũ Thị Hằng — Công tác (Công tác Hà Nội theo QĐ 123/QĐ-SNV)" in text
    assert "Chưa chấm công: Phạm Đức Anh" in text
    assert "Về sớm: Nguyễn Thị Lan 16:40 (−20')" in text and "Quên chấm công ra: Trần Văn Bình" in text
    assert "Lê Minh Tâm" not in text  # another department
    assert "https://chamcong.example.gov.vn/?unit=SNV&date=2026-11-26" in text
    assert "Nguyễn Thị Lan" in html and "<li>" in html
    # a head who chose English reads English
    khoa = mail.to("khoa@stc.gov.vn")[0]
    assert khoa["Subject"] == "[Attendance] Sở Tài chính · Thursday 2026-11-26 · morning (07:30–11:30)"
    assert len(messages) == 3


def test_the_digest_counts_equal_the_today_page_at_the_same_moment(tmp_path, office, mail, clock) -> None:
    notifier(tmp_path, office, mail, clock).tick()
    config_path = tmp_path / "config.toml"
    client = create_app(load_config(config_path), now=lambda: clock.now, testing=True).test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "admin", "password": "mat-khau-thu-nghiem", "csrf_token": token})
    for unit, address in (("SNV", "hung@snv.gov.vn"), ("STC", "khoa@stc.gov.vn"), ("UBND", "duc@ubnd.gov.vn")):
        summary = client.get(f"/api/day?unit={unit}").get_json()["summary"]
        html = mail.to(address)[0].get_body(("html",)).get_content()
        cells = dict(re.findall(r'data-count="(\w+)"[^>]*><strong[^>]*>([^<]+)</strong>', html))
        assert cells == {
            "present": f"{summary['present']}/{summary['required']}", "late": str(summary["late"]),
            "leave": str(summary["leave"]), "absent": str(summary["absent"]), "pending": str(summary["pending"]),
        }, unit


@pytest.mark.parametrize(
    ("moment", "more", "expected"),
    [
        pytest.param(at(2026, 11, 26, 7, 44), "", set(), id="before 07:30 + grace 0 + 15 minutes"),
        pytest.param(at(2026, 11, 26, 7, 45), "", {"SNV", "STC", "UBND"}, id="at the time"),
        pytest.param(at(2026, 11, 24, 9, 0), "", set(), id="a public holiday (Ngày Văn hóa Việt Nam)"),
        pytest.param(at(2026, 11, 28, 9, 0), "", set(), id="Saturday"),
        pytest.param(
            at(2026, 11, 26, 7, 50),
            '\n[units.STC]\ndays_off = [{date = 2026-11-26, name = "Nghỉ (đơn vị)", ref = "QĐ 1/QĐ-STC"}]\n',
            {"SNV", "UBND"},
            id="the unit's own day off",
        ),
        pytest.param(
            at(2026, 11, 26, 7, 50), "\n[notify.digest.units.SNV]\nminutes_after_start = 45\n", {"STC", "UBND"},
            id="a unit's own later time (SNV-TC inherits it)",
        ),
        pytest.param(
            at(2026, 11, 26, 8, 15), "\n[notify.digest.units.SNV]\nminutes_after_start = 45\n", {"SNV", "STC", "UBND"},
            id="a unit's own time reached",
        ),
    ],
)
def test_when_a_digest_is_due(tmp_path, office, mail, clock, moment, more, expected) -> None:
    clock.now = moment
    notifier(tmp_path, office, mail, clock, more).tick()
    with Store(office, zone=ZONE) as store:
        sent = {row["key"].split(":")[3] for row in store.notification_log(kind="digest", status="sent")}
    assert sent == expected


def test_afternoon_variant_when_switched_on_for_a_unit(tmp_path, office, mail, clock) -> None:
    clock.now = at(2026, 11, 26, 13, 46)
    notifier(tmp_path, office, mail, clock, "\n[notify.digest.units.SNV]\nafternoon = true\n").tick()
    subjects = [m["Subject"] for m in mail.wait_for(1)]
    assert subjects == ["[Chấm công] Sở Nội vụ · Thứ Năm 26/11/2026 · buổi chiều (13:30–17:00)"]


def test_a_missed_window_is_recorded_not_sent_late(tmp_path, office, mail, clock) -> None:
    clock.now = at(2026, 11, 26, 9, 46)  # 07:45 + 120 minutes has passed
    report = notifier(tmp_path, office, mail, clock).tick()
    assert (report.digests, report.missed) == (0, 3)
    with Store(office, zone=ZONE) as store:
        row = store.notification_log(kind="digest")[0]
    assert row["status"] == "skipped" and "between 07:45 and 09:45" in row["error"]
    assert mail.messages == []


def test_no_address_or_opted_out_is_recorded_and_nothing_sent(tmp_path, office, mail, clock) -> None:
    with Store(office, zone=ZONE, now=clock) as store:
        store.set_user_contact("truongstc", email=None, actor="test")
        store.set_user_contact("giamdoc", opt_out=["digest"], actor="test")
    report = notifier(tmp_path, office, mail, clock).tick()
    assert report.sent.sent == 1 and [str(m["To"]) for m in mail.messages] == ["Phạm Quốc Hùng <hung@snv.gov.vn>"]
    with Store(office, zone=ZONE) as store:
        why = {row["recipient"]: row["error"] for row in store.notification_log(status="skipped")}
    assert why == {"user:giamdoc": "opted out of this kind",
                   "user:truongstc": "no e-mail address (monitor users set NAME --email ADDRESS)"}


def test_the_weekly_summary_goes_to_heads_of_parent_units_on_the_first_working_day(tmp_path, office, mail, clock) -> None:
    clock.now = at(2026, 11, 30, 7, 50)  # Monday
    report = notifier(tmp_path, office, mail, clock).tick()
    assert report.weekly == 2  # UBND and SNV have units below them; STC does not
    weekly = [m for m in mail.wait_for(5) if "tổng hợp tuần" in m["Subject"]]
    assert sorted(str(m["To"]) for m in weekly) == ["Hoàng Minh Đức <duc@ubnd.gov.vn>", "Phạm Quốc Hùng <hung@snv.gov.vn>"]
    (hung,) = [m for m in weekly if "hung@" in str(m["To"])]
    text = hung.get_body(("plain",)).get_content()
    assert "Tuần 23/11/2026 – 29/11/2026" in text
    # the 24th was a holiday: 4 working days; judged were the 25th (4 people) and the 26th
    # (as judged at 07:50: Lan and Bình in, Anh not yet, Hằng on a business trip)
    assert "Sở Nội vụ (SNV): Ngày làm việc 4 · Phải có mặt 8 · Có mặt 6 · Đi muộn 2 · Về sớm 1 · Vắng có lý do 1" in text
    assert "Phòng Tổ chức (SNV-TC): Ngày làm việc 4 · Phải có mặt 4 · Có mặt 3" in text
    clock.now = at(2026, 12, 1, 7, 50)  # Tuesday: not again
    assert notifier(tmp_path, office, mail, clock).tick().weekly == 0


def test_a_filled_hook_adds_its_section(tmp_path, office, mail, clock) -> None:
    def waiting(ctx) -> Section | None:
        if ctx.unit["code"] != "SNV":
            return None
        return Section("requests_waiting", {"items": [(("giải trình", "explanations"), 3)], "link": "https://x/inbox"})

    wired = DIGEST_SECTIONS.slots["requests_waiting"].provider  # monitor.service.hooks fills it
    DIGEST_SECTIONS.provide("requests_waiting", waiting)
    try:
        notifier(tmp_path, office, mail, clock).tick()
    finally:
        DIGEST_SECTIONS.provide("requests_waiting", wired)
    assert "Chờ anh/chị duyệt: 3 giải trình → https://x/inbox" in mail.to("hung@snv.gov.vn")[0].get_body(("plain",)).get_content()
    assert "Chờ anh/chị duyệt" not in mail.to("duc@ubnd.gov.vn")[0].get_body(("plain",)).get_content()
    assert DIGEST_SECTIONS.hooks() == []  # every hook is filled (monitor.service.hooks)


def test_preview_prints_what_is_sent(tmp_path, office, mail, clock, run) -> None:
    config = tmp_path / "config.toml"
    office_config(tmp_path, office, port=mail.port)
    preview = run("--config", config, "notify", "preview", "--unit", "SNV", "--date", "2026-11-26")
    assert preview.exit_code == 0, preview.output
    notifier(tmp_path, office, mail, clock).tick()
    sent = mail.to("hung@snv.gov.vn")[0]
    assert preview.output.startswith(f"Subject: {sent['Subject']}\n(morning digest, sent at 07:45)\n\n")
    assert preview.output.endswith(sent.get_body(("plain",)).get_content())


def test_preview_on_a_holiday_says_why_there_is_none(tmp_path, office, mail, run) -> None:
    office_config(tmp_path, office, port=mail.port)
    result = run("--config", tmp_path / "config.toml", "notify", "preview", "--unit", "SNV", "--date", "2026-11-24")
    assert result.exit_code == 0
    assert result.output.startswith("no digest for SNV on 2026-11-24: holiday (")
