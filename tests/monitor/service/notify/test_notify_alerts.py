"""Alerts to IT: a device offline or off in time, told once after its delay, repeated
at most every repeat_minutes, and followed by one "back to normal"."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from drivers.base import Punch
from monitor.service.collector import Collector, schedule
from monitor.service.notify.contracts import Condition
from monitor.service.notify.notifier import Notifier
from monitor.service.notify.sources import ALERT_CHECKS
from monitor.store import Store
from tests.conftest import ZONE
from tests.monitor.service.notify.notify_helpers import office_config

DEVICE = '\n[[devices]]\nid = "gate"\nname = "Cổng chính"\nprotocol = "zkteco"\nport = "tcp://127.0.0.1:9"\nunit = "UBND"\n'
QUIET = "\n[notify.digest]\nmorning = false\nweekly = false\n"


def set_device(office, clock, status: str, *, offset: float | None = None, pulled: bool = False) -> None:
    with Store(office, zone=ZONE, now=clock) as store:
        if pulled:
            store.save_cursor("gate", {"position": 1})
        store.set_device_status("gate", status, "no answer from tcp://127.0.0.1:9" if status != "online" else None)
        if offset is not None:
            store.record_clock_offset("gate", offset)


def test_offline_is_told_after_the_delay_repeated_rarely_and_ends_with_one_back_to_normal(tmp_path, office, mail, clock) -> None:
    config = office_config(tmp_path, office, port=mail.port, more=QUIET + "\n[notify.alerts]\noffline_minutes = 30\n"
                           "repeat_minutes = 120\n" + DEVICE)
    start = clock.now
    set_device(office, clock, "online", pulled=True)
    told = []
    for minutes, status in [(5, "offline"), (20, "offline"), (36, "offline"), (40, "offline"), (100, "offline"),
                            (157, "offline"), (160, "online"), (170, "online")]:
        clock.now = start + timedelta(minutes=minutes)
        set_device(office, clock, status)
        told.append((minutes, Notifier(config, now=clock).tick().alerts))
    # offline since the last download at +0: told at +36, again at +157 (120 minutes on), back at +160
    assert told == [(5, 0), (20, 0), (36, 1), (40, 0), (100, 0), (157, 1), (160, 1), (170, 0)]
    first, again, back = mail.wait_for(3)
    assert first["Subject"] == "[Chấm công] UBND tỉnh (mẫu) · Cảnh báo: 1 vấn đề cần xử lý"
    assert "Cổng chính (gate) mất kết nối: no answer from tcp://127.0.0.1:9" in first.get_body(("plain",)).get_content()
    assert "(vẫn còn) Cổng chính (gate) mất kết nối" in again.get_body(("plain",)).get_content()
    assert back["Subject"] == "[Chấm công] UBND tỉnh (mẫu) · Đã trở lại bình thường"


def test_a_short_outage_is_never_told(tmp_path, office, mail, clock) -> None:
    config = office_config(tmp_path, office, port=mail.port, more=QUIET + DEVICE)
    start = clock.now
    for minutes, status in [(0, "offline"), (10, "offline"), (20, "online"), (40, "online")]:
        clock.now = start + timedelta(minutes=minutes)
        set_device(office, clock, status)
        assert Notifier(config, now=clock).tick().alerts == 0
    assert mail.messages == []


def test_clock_skew_goes_to_the_configured_address_in_english(tmp_path, office, mail, clock) -> None:
    config = office_config(tmp_path, office, port=mail.port,
                           more=QUIET + '\n[notify.alerts]\nto = ["tin-hoc@ubnd.gov.vn"]\n' + DEVICE)
    set_device(office, clock, "online", offset=305)
    assert Notifier(config, now=clock).tick().alerts == 1
    (message,) = mail.wait_for(1)
    assert str(message["To"]) == "tin-hoc@ubnd.gov.vn"
    assert "Cổng chính (gate) lệch giờ +5 phút (giới hạn 120 giây); chỉnh giờ: monitor devices sync-time gate" in \
        message.get_body(("plain",)).get_content()


def test_the_devices_line_of_the_digest(tmp_path, office, mail, clock) -> None:
    config = office_config(tmp_path, office, port=mail.port, more=DEVICE)
    set_device(office, clock, "online", offset=-200)
    Notifier(config, now=clock).tick()
    text = mail.to("hung@snv.gov.vn")[0].get_body(("plain",)).get_content()
    assert "Thiết bị: 1/1 trực tuyến · Cổng chính lệch giờ -3 phút" in text


def test_a_filled_alert_hook_is_told(tmp_path, office, mail, clock) -> None:
    def backlog(ctx):
        yield Condition(key="spool_backlog:door", summary=("door: 12 lượt chấm chờ trong spool", "door: 12 punches spooled"))

    wired = ALERT_CHECKS.slots["spool_backlog"].provider  # monitor.service.hooks fills it
    ALERT_CHECKS.provide("spool_backlog", backlog)
    try:
        report = Notifier(office_config(tmp_path, office, port=mail.port, more=QUIET), now=clock).tick()
    finally:
        ALERT_CHECKS.provide("spool_backlog", wired)
    assert report.alerts == 1
    assert "door: 12 lượt chấm chờ trong spool" in mail.wait_for(1)[0].get_body(("plain",)).get_content()
    assert ALERT_CHECKS.hooks() == []  # every hook is filled (monitor.service.hooks)


# the collector's own jobs (device requests, its heartbeat, the nightly backup) run either way
@pytest.mark.parametrize(("section", "jobs"), [("", {"commands", "heartbeat", "backup"}),
                                                ("notify", {"commands", "heartbeat", "backup", "notify"})])
def test_the_collector_schedules_the_notify_job(tmp_path, office, mail, clock, section, jobs) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    config = office_config(tmp_path, office, port=mail.port)
    if not section:
        from dataclasses import replace

        from monitor.config import NotifyConfig

        config = replace(config, notify=NotifyConfig())
    scheduler = BackgroundScheduler(timezone=ZONE)
    schedule(Collector(config, now=clock), scheduler)
    assert {job.id for job in scheduler.get_jobs()} == jobs
    if "notify" in jobs:
        job = scheduler.get_job("notify")
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 300)


def test_the_collector_job_judges_then_sends(tmp_path, office, mail, clock) -> None:
    from monitor.service.evaluation import Evaluation

    config = office_config(tmp_path, office, port=mail.port)
    with Store(office, zone=ZONE, now=clock) as store:
        store.add_punches("gate", [Punch(user_id="4", timestamp=datetime(2026, 11, 26, 7, 46))], source="file")
    judged = []

    def evaluate(store):
        judged.append(Evaluation(store, config.policy, clock.now).run().judged)

    Collector(config, now=clock, evaluate=evaluate).notify()
    assert judged and judged[0] > 0
    text = mail.to("hung@snv.gov.vn")[0].get_body(("plain",)).get_content()
    assert "Có mặt 3/4" in text and "Chưa chấm công: " not in text  # Anh's 07:46 punch was judged first


def test_filled_reminder_hooks_reach_users_staff_and_a_role_once(tmp_path, office, mail, clock) -> None:
    from monitor.service.notify.contracts import RecipientRef, Reminder
    from monitor.service.notify.sources import REMINDERS

    with Store(office, zone=ZONE, now=clock) as store:
        store.upsert_employees([{"code": "NV001", "full_name": "Nguyễn Thị Lan", "unit_code": "SNV",
                                 "email": "lan@snv.gov.vn"}], actor="test")
        store.add_user("nhansu", "mat-khau-dai-du", role="hr", actor="test")
        store.set_user_contact("nhansu", email="nhansu@ubnd.gov.vn", actor="test")

    def explanations(ctx):
        yield Reminder(key=f"explain:NV001:2026-11-25:{ctx.notify.days_before_deadline}d", to=RecipientRef("employee", "NV001"),
                       title=("Nhắc giải trình đi muộn ngày 25/11/2026", "Explain your late arrival of 2026-11-25"),
                       lines=(("Hạn nộp giải trình: 27/11/2026.", "Deadline: 2026-11-27."),))

    def month(ctx):
        yield Reminder(key="month:2026-11:SNV", to=RecipientRef("role", "hr"),
                       title=("Tháng 11/2026 của Sở Nội vụ có thể trình duyệt", "November 2026 of SNV can be submitted"),
                       link="https://chamcong.example.gov.vn/month?unit=SNV")

    wired = {name: REMINDERS.slots[name].provider for name in ("unexplained_violations", "month_submittable")}
    REMINDERS.provide("unexplained_violations", explanations)
    REMINDERS.provide("month_submittable", month)
    try:
        config = office_config(tmp_path, office, port=mail.port, more=QUIET)
        assert Notifier(config, now=clock).tick().reminders == 2
        clock.now += timedelta(minutes=1)
        assert Notifier(config, now=clock).tick().reminders == 0  # each occasion once
    finally:
        for name, provider in wired.items():
            REMINDERS.provide(name, provider)
    lan, hr = mail.wait_for(2)
    assert (str(lan["To"]), lan["Subject"]) == ("Nguyễn Thị Lan <lan@snv.gov.vn>", "[Chấm công] Nhắc giải trình đi muộn ngày 25/11/2026")
    assert "Hạn nộp giải trình: 27/11/2026." in lan.get_body(("plain",)).get_content()
    assert str(hr["To"]).endswith("<nhansu@ubnd.gov.vn>")
    assert "https://chamcong.example.gov.vn/month?unit=SNV" in hr.get_body(("plain",)).get_content()
    assert REMINDERS.hooks() == []  # every hook is filled (monitor.service.hooks)
