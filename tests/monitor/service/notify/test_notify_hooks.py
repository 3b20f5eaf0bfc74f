"""The notification hooks filled by monitor.service.hooks, against the real SMTP server:
requests waiting in the digest, the reminders (unexplained violations, pending requests,
a month ready to submit) and the alert checks (spool, backups, tamper signals)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from drivers.base import Punch
from monitor.engine.requests import RequestPolicy
from monitor.errors import MonitorError
from monitor.service.backup import take_backup
from monitor.service.notify.notifier import Notifier
from monitor.service.requests import Actor, Draft, RequestDesk
from monitor.service.spool import DeviceSpool
from monitor.store import Store
from tests.conftest import ZONE
from tests.monitor.service.notify.conftest import MORNING
from tests.monitor.service.notify.notify_helpers import office_config

QUIET = "\n[notify.digest]\nmorning = false\nweekly = false\n"
HR = Actor("nhansu", "hr")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZONE)


def text(message) -> str:
    return message.get_body(("plain",)).get_content()


def file_request(office, clock, draft: Draft) -> int:
    config = office_config(office.parent, office, port=1)
    with Store(office, zone=ZONE, now=clock) as store:
        return RequestDesk(store, config.policy, RequestPolicy(), clock.now).file(HR, draft)


LATE_25 = Draft("NV001", "explanation", date(2026, 11, 25), "Họp giao ban", violation="late", category="hop")


def test_the_head_reads_requests_waiting_in_the_digest_then_a_reminder(tmp_path, office, mail, clock) -> None:
    file_request(office, clock, LATE_25)  # routed to SNV: truongsnv decides
    notifier = Notifier(office_config(tmp_path, office, port=mail.port), now=clock)
    report = notifier.tick()
    assert (report.digests, report.reminders) == (3, 0)  # 07:50: reminders wait for office hours
    waiting = "Chờ anh/chị duyệt: 1 giải trình → https://chamcong.example.gov.vn/requests/inbox"
    assert waiting in text(mail.to("hung@snv.gov.vn")[0])
    assert "Chờ anh/chị duyệt" not in text(mail.to("duc@ubnd.gov.vn")[0])  # not routed to UBND's head

    clock.now = at(2026, 11, 26, 8, 5)
    assert notifier.tick().reminders == 1
    clock.now += timedelta(minutes=1)
    assert notifier.tick().reminders == 0  # once a day
    reminder = mail.wait_for(4)[-1]
    assert (str(reminder["To"]), reminder["Subject"]) == (
        "Phạm Quốc Hùng <hung@snv.gov.vn>", "[Chấm công] 1 đơn đang chờ anh/chị duyệt")
    assert "1 giải trình" in text(reminder) and "https://chamcong.example.gov.vn/requests/inbox" in text(reminder)


def test_an_unexplained_violation_is_reminded_before_its_deadline(tmp_path, office, mail, clock) -> None:
    with Store(office, zone=ZONE, now=clock) as store:
        store.upsert_employees([{"code": "NV001", "full_name": "Nguyễn Thị Lan", "unit_code": "SNV",
                                 "email": "lan@snv.gov.vn"}], actor="test")
    notifier = Notifier(office_config(tmp_path, office, port=mail.port, more=QUIET), now=clock)
    # late and early on Wed 25/11; the deadline is the 5th working day after: Wed 2/12
    for moment in (at(2026, 11, 27, 9, 0), at(2026, 11, 29, 9, 0)):  # before 30/11, two days before it
        clock.now = moment
        assert notifier.tick().reminders == 0
    clock.now = at(2026, 11, 30, 9, 0)
    pending = file_request(office, clock, LATE_25)
    assert notifier.tick().reminders == 1  # only to truongsnv, who has it to decide
    assert mail.to("lan@snv.gov.vn") == []  # a request about the day is waiting
    with Store(office, zone=ZONE, now=clock) as store:
        RequestDesk(store, notifier.config.policy, RequestPolicy(), clock.now).withdraw(HR, pending)
    assert notifier.tick().reminders == 1
    mail.wait_for(2)
    message = mail.to("lan@snv.gov.vn")[0]
    assert message["Subject"] == "[Chấm công] Nhắc giải trình ngày 25/11/2026"
    body = text(message)
    assert "Ngày 25/11/2026: đi muộn, về sớm, chưa có giải trình." in body and "Hạn nộp giải trình: 02/12/2026." in body
    clock.now = at(2026, 12, 3, 9, 0)  # past the deadline: nothing more
    assert notifier.tick().reminders == 0


def test_hr_hears_when_a_units_month_can_be_submitted(tmp_path, office, mail, clock) -> None:
    with Store(office, zone=ZONE, now=clock) as store:
        store.add_user("nhansu", "mat-khau-dai-du", role="hr", actor="test")
        store.set_user_contact("nhansu", email="nhansu@ubnd.gov.vn", actor="test")
    file_request(office, clock, Draft("NV001", "leave", date(2026, 10, 15), "Nghỉ phép", leave_kind="P"))
    clock.now = at(2026, 11, 26, 9, 0)
    # two months to submit, and SNV's head has the leave request to decide
    assert Notifier(office_config(tmp_path, office, port=mail.port, more=QUIET), now=clock).tick().reminders == 3
    subjects = sorted(m["Subject"] for m in mail.to("nhansu@ubnd.gov.vn"))
    # SNV waits for NV001's leave request; UBND has nobody of its own
    assert subjects == ["[Chấm công] Tháng 10/2026 của Phòng Tổ chức có thể trình duyệt",
                        "[Chấm công] Tháng 10/2026 của Sở Tài chính có thể trình duyệt"]
    assert "https://chamcong.example.gov.vn/close?month=2026-10&unit=STC" in "".join(text(m) for m in mail.to("nhansu@ubnd.gov.vn"))


def test_spool_backlog_failed_backups_and_tamper_signals_reach_it(tmp_path, office, mail, clock) -> None:
    config = office_config(tmp_path, office, port=mail.port, more=QUIET)
    spool = DeviceSpool(config.storage.spool, "gate")
    spool.append(Punch(user_id="1", timestamp=datetime(2026, 11, 26, 7, 40)))
    spool.close()
    with Store(office, zone=ZONE, now=clock) as store:
        with pytest.raises(MonitorError):
            take_backup(store, office, MORNING)  # the target exists: the backup fails and says so
        store.add_device_operations("gate", [{"done_at": "2026-11-26T07:10:00+07:00", "code": 21, "name": "clear_data",
                                              "admin": "1001", "objects": [], "tamper": True}], actor="test")
    notifier = Notifier(config, now=clock)
    assert notifier.tick().alerts == 1
    first = text(mail.to("it@ubnd.gov.vn")[0])
    assert "gate: thao tác clear_data lúc 2026-11-26 07:10 (quản trị 1001)" in first
    assert "Sao lưu lúc 2026-11-26 07:50 không thành công:" in first and "already exists" in first
    assert "lượt chấm đang chờ trong spool" not in first  # a backlog is told once it has lasted offline_minutes

    clock.now = MORNING + timedelta(minutes=31)
    with Store(office, zone=ZONE, now=clock) as store:
        take_backup(store, tmp_path / "good.db", clock.now)
    assert notifier.tick().alerts == 1
    second = text(mail.to("it@ubnd.gov.vn")[1])
    assert "gate: 1 lượt chấm đang chờ trong spool" in second
    # the backup succeeded since: back to normal; the tamper event, told once, is not repeated
    assert "Đã trở lại bình thường:\n  - Sao lưu lúc 2026-11-26 07:50 không thành công" in second
    assert "clear_data" not in second


def test_reminders_wait_for_a_working_day_and_the_office_to_open(tmp_path, office, mail, clock) -> None:
    file_request(office, clock, LATE_25)  # waits for truongsnv (SNV, Mon–Fri 07:30–17:00)
    notifier = Notifier(office_config(tmp_path, office, port=mail.port, more=QUIET), now=clock)
    for moment in (at(2026, 11, 28, 9, 0),  # Saturday
                   at(2026, 11, 29, 9, 0),  # Sunday
                   at(2026, 11, 30, 7, 59),  # Monday, before 07:30 + 30 minutes
                   at(2027, 1, 1, 9, 0)):  # New Year's Day, a Friday
        clock.now = moment
        assert notifier.tick().reminders == 0, moment
    clock.now = at(2026, 11, 30, 8, 0)
    assert notifier.tick().reminders == 1
    assert mail.wait_for(1)[0]["Subject"] == "[Chấm công] 1 đơn đang chờ anh/chị duyệt"


def test_the_reminders_minutes_after_the_start_are_configurable(tmp_path, office, mail, clock) -> None:
    file_request(office, clock, LATE_25)
    sooner = QUIET + "\n[notify.reminders]\nminutes_after_start = 0\n"
    clock.now = at(2026, 11, 30, 7, 30)
    assert Notifier(office_config(tmp_path, office, port=mail.port, more=sooner), now=clock).tick().reminders == 1
    with pytest.raises(MonitorError, match="minutes_after_start"):
        office_config(tmp_path, office, port=mail.port, more=QUIET + "\n[notify.reminders]\nminutes_after_start = -5\n")
