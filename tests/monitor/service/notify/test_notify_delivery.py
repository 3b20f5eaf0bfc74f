"""Delivery: SMTP with STARTTLS or SSL and a login, retries with back-off, alerts when a
send fails, never a second copy after a restart, and the signed webhook."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.service.notify.notifier import Notifier
from monitor.store import Store
from tests.conftest import ZONE
from tests.monitor.service.notify.notify_helpers import (
    SMTP_SECRET,
    SMTP_USER,
    MailSink,
    free_port,
    office_config,
)

ROOT = Path(__file__).resolve().parents[4]


def log_rows(office: Path, **filters) -> list[dict]:
    with Store(office, zone=ZONE) as store:
        return store.notification_log(**filters)


def tls_context(certificate):
    import ssl

    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    return context


@pytest.mark.parametrize(("password", "sent", "failed"), [(SMTP_SECRET, 3, 0), ("sai-mat-khau", 0, 4)],
                         ids=["right password", "wrong password"])
def test_starttls_with_a_login_whose_password_comes_from_the_environment(
        tmp_path, office, clock, certificate, monkeypatch, caplog, password, sent, failed) -> None:
    sink = MailSink(tls=tls_context(certificate), auth=(SMTP_USER, SMTP_SECRET)).start()
    try:
        monkeypatch.setenv("MONITOR_SMTP_PASSWORD", password)
        extra = f'username = "{SMTP_USER}"\npassword_env = "MONITOR_SMTP_PASSWORD"\nca_file = "{certificate[0]}"'
        config = office_config(tmp_path, office, port=sink.port, security="starttls", extra=extra)
        with caplog.at_level(logging.DEBUG):
            report = Notifier(config, now=clock).tick()
        # a refused login is not retried: the three digests and the alert about them fail
        assert (report.sent.sent, report.sent.failed, report.sent.retry) == (sent, failed, 0)
        received = sink.wait_for(sent)
        assert {str(m["To"]).split("<")[1][:-1] for m in received} == (
            {"hung@snv.gov.vn", "khoa@stc.gov.vn", "duc@ubnd.gov.vn"} if sent else set())
        if failed:
            error = log_rows(office, kind="digest")[0]["error"]
            assert error.startswith(f"127.0.0.1:{sink.port} (STARTTLS) refused the login of '{SMTP_USER}': 535")
            assert password not in error
        else:
            assert sink.envelopes[0][0] == "chamcong@snv.gov.vn"
        assert password not in caplog.text
    finally:
        sink.stop()


def test_ssl_with_the_password_in_a_file(tmp_path, office, clock, certificate) -> None:
    sink = MailSink(tls=tls_context(certificate), implicit_tls=True, auth=(SMTP_USER, SMTP_SECRET)).start()
    try:
        secret = tmp_path / "smtp-password"
        secret.write_text(f"{SMTP_SECRET}\n", encoding="utf-8")
        extra = f'username = "{SMTP_USER}"\npassword_file = "{secret}"\nca_file = "{certificate[0]}"'
        config = office_config(tmp_path, office, port=sink.port, security="ssl", extra=extra)
        assert Notifier(config, now=clock).tick().sent.sent == 3
        assert len(sink.wait_for(3)) == 3
    finally:
        sink.stop()


def test_an_smtp_outage_is_retried_with_back_off_then_alerted(tmp_path, office, mail, clock) -> None:
    config = office_config(tmp_path, office, port=mail.port)
    mail.reply = "451 4.3.0 Mail server temporarily rejected message"
    start = clock.now
    steps = []
    for minutes in (0, 1, 2, 3, 4):  # attempts at +0, +1 (60 s), +3 (120 s more); 3 attempts in all
        clock.now = start + timedelta(minutes=minutes)
        report = Notifier(config, now=clock).tick()
        steps.append((minutes, report.sent.retry, report.sent.failed, report.alerts))
    # the alert about the three is refused too, and retried on its own back-off (+4, +6)
    assert steps == [(0, 3, 0, 0), (1, 3, 0, 0), (2, 0, 0, 0), (3, 1, 3, 1), (4, 1, 0, 0)]
    digest = log_rows(office, kind="digest")[0]
    assert (digest["status"], digest["attempts"]) == ("failed", 3)
    assert "451 4.3.0 Mail server temporarily rejected message" in digest["error"]
    mail.reply = None  # the server is back: the alert goes out at its next retry
    clock.now = start + timedelta(minutes=6)
    Notifier(config, now=clock).tick()
    (alert,) = mail.wait_for(1)
    assert str(alert["To"]) == "admin <it@ubnd.gov.vn>"
    assert alert["Subject"] == "[Chấm công] UBND tỉnh (mẫu) · Cảnh báo: 3 vấn đề cần xử lý"
    assert "sau 3 lần: 127.0.0.1" in alert.get_body(("plain",)).get_content()
    clock.now = start + timedelta(minutes=30)
    assert Notifier(config, now=clock).tick().alerts == 0  # a failure is told once


def test_an_unknown_mailbox_fails_at_once(tmp_path, office, mail, clock) -> None:
    mail.reply = "550 5.1.1 No such user"
    report = Notifier(office_config(tmp_path, office, port=mail.port), now=clock).tick()
    assert (report.sent.failed, report.sent.retry) == (4, 0)  # three digests, then the alert about them
    assert {row["attempts"] for row in log_rows(office)} == {1}


def test_the_server_down_is_retried_not_waited_on_for_each_message(tmp_path, office, clock) -> None:
    port = free_port()  # nothing listens there
    report = Notifier(office_config(tmp_path, office, port=port), now=clock).tick()
    assert report.sent.retry == 3
    errors = {row["error"] for row in log_rows(office, kind="digest")}
    assert errors == {f"cannot reach the mail server 127.0.0.1:{port} (NONE): Connection refused"}


@pytest.mark.parametrize("restarts", [[0, 0, 1, 5, 30, 90, 119], [2, 2, 2], [119, 119]],
                         ids=["through the morning", "many runs in one minute", "last minute twice"])
def test_restarting_at_any_time_never_sends_a_digest_twice(tmp_path, office, mail, clock, restarts) -> None:
    config = office_config(tmp_path, office, port=mail.port)
    first = clock.now.replace(hour=7, minute=45)
    for minutes in restarts:
        clock.now = first + timedelta(minutes=minutes)
        Notifier(config, now=clock).tick()  # a new process each time
    assert sorted(str(m["To"]).split("<")[-1] for m in mail.wait_for(3)) == [
        "duc@ubnd.gov.vn>", "hung@snv.gov.vn>", "khoa@stc.gov.vn>"]


def test_a_process_killed_while_sending_never_sends_that_message_again(tmp_path, office, mail, clock) -> None:
    """The collector is killed inside the SMTP conversation of the first digest, after
    the message went over the wire and before the server's answer. Nobody can know
    whether it arrived, so it is never sent again (a duplicate is worse): the next
    process sends the others once, and after ten minutes IT is told that one may be
    missing."""
    import threading

    office_config(tmp_path, office, port=mail.port)
    mail.hold = threading.Event()
    env = dict(os.environ, PYTHONPATH=str(ROOT), MONITOR_NOW="2026-11-26T07:50:00")
    env.pop("MONITOR_DATABASE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(tmp_path / "config.toml"), "notify", "run-due"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        assert mail.entered.wait(30), "the digest never reached the server"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        mail.hold.set()
    statuses = {row["address"]: row["status"] for row in log_rows(office, kind="digest")}
    assert sorted(statuses.values()) == ["queued", "queued", "sending"]
    (held,) = [address for address, status in statuses.items() if status == "sending"]
    config = office_config(tmp_path, office, port=mail.port)
    Notifier(config, now=clock).tick()  # the restarted collector, the same minute
    others = mail.wait_for(2)
    assert sorted(str(m["To"]).split("<")[-1][:-1] for m in others) == sorted(a for a in statuses if a != held)
    clock.now += timedelta(minutes=11)
    report = Notifier(config, now=clock).tick()
    assert report.sent.uncertain == 1 and report.alerts == 1
    alert = mail.wait_for(3)[-1]
    assert str(alert["To"]) == "admin <it@ubnd.gov.vn>"
    assert f"Việc gửi digest tới {held} bị ngắt giữa chừng; có thể chưa tới" in alert.get_body(("plain",)).get_content()
    clock.now += timedelta(hours=3)
    Notifier(config, now=clock).tick()
    assert [str(m["To"]) for m in mail.messages].count(held) == 0 and len(mail.messages) == 3


def test_a_signed_webhook_gets_counts_and_a_link_not_names(tmp_path, office, mail, clock, receiver, monkeypatch) -> None:
    monkeypatch.setenv("MONITOR_HOOK_SECRET", "khoa-ky-webhook")
    more = f'\n[[notify.webhooks]]\nid = "zalo"\nurl = "{receiver.url}"\nsecret_env = "MONITOR_HOOK_SECRET"\nkinds = ["digest"]\n'
    config = office_config(tmp_path, office, port=mail.port, more=more)
    Notifier(config, now=clock).tick()
    assert len(receiver.requests) == 3  # one per unit with a head, not one per head
    by_unit = {receiver.json(i)["unit"]: receiver.requests[i] for i in range(3)}
    request = by_unit["SNV"]
    headers = request["headers"]
    expected = hmac.new(b"khoa-ky-webhook", headers["X-Monitor-Timestamp"].encode() + b"." + request["body"],
                        hashlib.sha256).hexdigest()
    assert headers["X-Monitor-Signature"] == f"sha256={expected}"
    assert headers["X-Monitor-Timestamp"] == str(int(clock.now.timestamp()))
    assert headers["X-Monitor-Delivery"] == "digest:morning:2026-11-26:SNV"
    body = receiver.json(list(by_unit).index("SNV"))
    assert body["counts"] == {"required": 4, "present": 2, "late": 1, "early": 0, "leave": 1, "absent": 0,
                              "missing": 0, "pending": 1}
    assert body["link"] == "https://chamcong.example.gov.vn/?unit=SNV&date=2026-11-26"
    assert "Nguyễn" not in request["body"].decode("utf-8")
    Notifier(config, now=clock).tick()
    assert len(receiver.requests) == 3


@pytest.mark.parametrize(("status", "outcome"), [(503, "retry"), (400, "failed")])
def test_a_webhook_error_is_retried_or_not(tmp_path, office, mail, clock, receiver, monkeypatch, status, outcome) -> None:
    monkeypatch.setenv("MONITOR_HOOK_SECRET", "k")
    receiver.status = status
    more = f'\n[[notify.webhooks]]\nid = "sms"\nurl = "{receiver.url}"\nsecret_env = "MONITOR_HOOK_SECRET"\nkinds = ["digest"]\n'
    Notifier(office_config(tmp_path, office, port=mail.port, more=more), now=clock).tick()
    rows = [row for row in log_rows(office) if row["channel"] == "webhook:sms"]
    assert {row["status"] for row in rows} == {outcome}
    assert f"answered {status}" in rows[0]["error"]


def test_notify_test_from_the_command_line(tmp_path, office, mail, run) -> None:
    office_config(tmp_path, office, port=mail.port)
    result = run("--config", tmp_path / "config.toml", "notify", "test", "--to", "it@ubnd.gov.vn")
    assert result.exit_code == 0, result.output
    assert result.output == f"Sent a test message to it@ubnd.gov.vn through 127.0.0.1:{mail.port} (none).\n"
    (message,) = mail.wait_for(1)
    assert message["Subject"] == "[Chấm công] Thư thử · UBND tỉnh (mẫu)"
    assert "đã nhận thư này lúc 26/11/2026 07:50:00" in message.get_body(("plain",)).get_content()
    log = run("--config", tmp_path / "config.toml", "notify", "log")
    assert "sent      test" in log.output and "it@ubnd.gov.vn" in log.output


def test_notify_test_when_the_server_is_down_is_one_line(tmp_path, office, run) -> None:
    port = free_port()
    office_config(tmp_path, office, port=port)
    result = run("--config", tmp_path / "config.toml", "notify", "test", "--to", "it@ubnd.gov.vn")
    assert result.exit_code == 2
    assert result.output == ("Error: the test message to it@ubnd.gov.vn was not sent: cannot reach the mail server"
                             f" 127.0.0.1:{port} (NONE): Connection refused\n")
