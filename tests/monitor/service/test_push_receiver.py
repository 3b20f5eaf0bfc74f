"""The push receiver over real HTTP on 127.0.0.1, with a real SQLite file: the §9.8
conversation, onboarding, the simulated clock with every fault, security limits."""

from __future__ import annotations

import logging
import os
import signal
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from drivers.adms import parse_query
from drivers.adms.operlog import OpCode
from drivers.simulators.adms import Dialect, PushClock, PushDevice, PushFaults
from monitor.config import parse_config
from monitor.service import push_devices, push_receiver
from monitor.service.collector import Collector
from monitor.service.push_receiver import PushReceiver, ReceiverServer
from monitor.store import Store
from tests.conftest import ZONE
from tests.monitor.service.push_helpers import FaultyProxy, request

SN = "CQZ7230100001"
CONVERSATION_NOW = datetime(2025, 10, 14, 7, 52, 5, tzinfo=ZONE)


def push_config(db_path: Path, extra: str = ""):
    text = f'[storage]\ndatabase = "{db_path}"\n\n[push]\nhost = "127.0.0.1"\ndelay = 1\nerror_delay = 1\n{extra}'
    return parse_config(text)


@pytest.fixture
def office(store: Store) -> Store:
    """Two units and three people whose badges are 1001-1003 on every clock."""
    store.upsert_units([{"code": "UBND", "name": "UBND"}, {"code": "SNV", "name": "Sở Nội vụ", "parent_code": "UBND"}],
                       actor="test")
    store.upsert_employees([{"code": f"NV00{n}", "full_name": f"Nhân viên {n}", "unit_code": "SNV"} for n in (1, 2, 3)],
                           actor="test")
    store.upsert_enrollments([{"device_id": "*", "device_user_id": f"100{n}", "employee_code": f"NV00{n}"} for n in (1, 2, 3)],
                             actor="test")
    return store


@pytest.fixture
def receive(office: Store, db_path: Path, clock):
    """Start real receivers (waitress, a free port) on the test database; stopped at teardown."""
    started: list[ReceiverServer] = []

    def start(extra: str = "", port: int = 0) -> ReceiverServer:
        server = ReceiverServer(push_config(db_path, extra), now=clock, port=port).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def receiver(receive) -> ReceiverServer:
    return receive()


def accept(store: Store, sn: str = SN, device_id: str = "sanh", **kwargs):
    return push_devices.accept(store, push_config(store.path).push, sn, device_id, "SNV", comm_key=kwargs.pop("comm_key", None),
                               actor="admin", today=store.now().date(), **kwargs)


def call(url: str, method: str, target: str, body: str | None = None, **headers: str) -> tuple[int, str]:
    status, text, _ = request(url, method, target, body, headers or None)
    return status, text


# --- protocols.md §9.8 ----------------------------------------------------------------------


def test_the_conversation_of_protocols_9_8(receiver: ReceiverServer, office: Store, clock) -> None:
    clock.now = CONVERSATION_NOW
    url = receiver.url
    status, reply = call(url, "GET", f"/iclock/cdata?SN={SN}&options=all&pushver=2.4.1&language=69")
    assert status == 200 and reply.splitlines()[:3] == [f"GET OPTION FROM: {SN}", "ATTLOGStamp=0", "OPERLOGStamp=0"]
    assert office.push_device(SN)["state"] == "waiting"
    accept(office)

    status, reply = call(url, "GET", f"/iclock/cdata?SN={SN}&options=all&pushver=2.4.1&language=69")
    assert status == 200 and "TimeZone=+07:00" in reply.splitlines() and "Delay=1" in reply.splitlines()
    assert call(url, "GET", f"/iclock/getrequest?SN={SN}&INFO=Ver%206.60,120,118,5021,10.1.2.50,10,7,0,111") == (200, "OK")
    assert office.device_row("sanh")["firmware"] == "Ver 6.60"
    assert call(url, "POST", f"/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=2025-10-14T07:52:03",
                "1001\t2025-10-14 07:52:03\t0\t15\t0\t0\t0\n") == (200, "OK")
    stored = office.query("SELECT device_id, device_user_id, punched_at, employee_code, verify_mode, clock_suspect FROM punches")
    assert stored == [{"device_id": "sanh", "device_user_id": "1001", "punched_at": "2025-10-14T07:52:03+07:00",
                       "employee_code": "NV001", "verify_mode": 15, "clock_suspect": 0}]
    assert office.device_row("sanh")["clock_offset_seconds"] == -2

    command_id = push_devices.backfill(office, "sanh", date(2025, 10, 13), date(2025, 10, 13), actor="admin")
    status, reply = call(url, "GET", f"/iclock/getrequest?SN={SN}")
    assert (status, reply) == (200, f"C:{command_id}:DATA QUERY ATTLOG StartTime=2025-10-13T00:00:00\tEndTime=2025-10-13T23:59:59\n")
    assert call(url, "GET", f"/iclock/getrequest?SN={SN}") == (200, "OK")  # handed over once
    assert call(url, "POST", f"/iclock/devicecmd?SN={SN}", f"ID={command_id}&Return=0&CMD=DATA\n") == (200, "OK")
    assert office.device_commands("sanh")[0]["result"] == "done"

    status, reply = call(url, "GET", f"/iclock/cdata?SN={SN}&options=all&pushver=2.4.1&language=69")
    assert "ATTLOGStamp=2025-10-14T07:52:03" in reply.splitlines()
    assert call(url, "GET", f"/iclock/cdata?SN={SN}&type=time") == (200, "Time=2025-10-14T07:52:05+07:00")


# --- onboarding -------------------------------------------------------------------------------


def waiting_clock(url: str, sn: str = SN, records: int = 40, **options) -> PushClock:
    device = PushDevice(sn, users=3, records=records, seed=4, now=lambda: datetime(2026, 11, 26, 9, 0), **options)
    clock = PushClock(url, device, timeout=2.0)
    assert clock.init() and clock.heartbeat() == []
    return clock


def test_an_unknown_clock_waits_and_what_it_sent_is_stored_on_acceptance(receiver: ReceiverServer, office: Store) -> None:
    assert office.push_device(SN) is None  # unknown
    clock = waiting_clock(receiver.url)
    assert clock.upload_pending() == 40
    device = clock.device
    device.operation(OpCode.DELETE_ATTENDANCE, admin="1")
    assert clock.upload_operlog() == 1
    waiting = office.push_devices("waiting")
    assert [(row["sn"], row["held_uploads"]) for row in waiting] == [(SN, 2)]
    assert office.punch_count() == 0 and office.tamper_signals() == []  # nothing attributed while waiting

    done = accept(office)
    assert (done.held_uploads, done.stored.new, done.stored.operations, done.stored.tamper) == (2, 40, 1, 1)
    assert office.push_devices("waiting") == [] and office.held_push_uploads(SN) == []
    assert office.punch_count() == 40
    assert {row["employee_code"] for row in office.query("SELECT employee_code FROM punches")} == {"NV001", "NV002", "NV003"}
    actions = [(row["action"], row["entity_key"]) for row in office.audit_log()]
    assert ("accept", SN) in actions and ("tamper:delete_attendance", "sanh") in actions
    # the clock carries on as an accepted one: a resend of everything adds nothing
    device.forget_uploads()
    assert clock.upload_pending() == 40 and office.punch_count() == 40
    clock.punch("1002")
    assert clock.upload_pending() == 1 and office.punch_count() == 41


def test_a_rejected_clock_loses_what_it_held_and_is_refused(receiver: ReceiverServer, office: Store) -> None:
    clock = waiting_clock(receiver.url)
    assert clock.upload_pending() == 40
    assert push_devices.reject(office, SN, reason="không phải máy của cơ quan", actor="admin") == 1
    assert office.push_device(SN)["state"] == "rejected" and office.held_push_uploads(SN) == []
    audit = office.audit_log("push-device", SN)[0]
    assert (audit["action"], audit["reason"]) == ("reject", "không phải máy của cơ quan")
    clock.device.forget_uploads()
    assert clock.upload_pending() == 0 and clock.last_error.endswith("HTTP 403")
    assert not clock.init()
    assert office.punch_count() == 0


def test_acceptance_refuses_what_cannot_be(receiver: ReceiverServer, office: Store) -> None:
    from monitor.errors import NotFound, Refused

    with pytest.raises(NotFound, match="no clock with serial number NOPE"):
        accept(office, "NOPE")
    waiting_clock(receiver.url)
    with pytest.raises(NotFound, match="no unit 'XX'"):
        push_devices.accept(office, push_config(office.path).push, SN, "sanh", "XX", comm_key=None, actor="a",
                            today=date(2026, 11, 26))
    with pytest.raises(push_devices.BadRequest, match="not a valid device id"):
        accept(office, device_id="bad id")
    office.ensure_device("gate", protocol="zkteco")
    with pytest.raises(Refused, match="'gate' is already used"):
        accept(office, device_id="gate")
    accept(office)
    with pytest.raises(Refused, match="already accepted as sanh"):
        accept(office, device_id="other")
    with pytest.raises(Refused, match="accepted as sanh"):
        push_devices.reject(office, SN, reason="late", actor="a")


# --- the simulated clock with every fault ---------------------------------------------------


@pytest.mark.parametrize(
    "dialect",
    [
        pytest.param(Dialect(), id="tab-lf"),
        pytest.param(Dialect(line_ending="\r\n", separator="  ", fields=4), id="crlf-spaces-short"),
        pytest.param(Dialect(epoch_timestamps=True, stamp="sequence", fields=10), id="epoch-sequence-long"),
    ],
)
def test_resends_after_every_fault_store_each_punch_once(receive, office: Store, dialect: Dialect) -> None:
    receiver = receive()
    proxy = FaultyProxy(receiver.url).come_back()
    try:
        faults = PushFaults(duplicate_uploads=True, garbage_every=9, zero_stamp_resends_all=True)
        clock = waiting_clock(proxy.url, records=300, dialect=dialect, faults=faults)
        accept(office)
        clock.timeout = 0.5
        clock.batch_size = 50
        proxy.fail("500-before", "500-after", "reset-after", "hang-after")
        for _ in range(20):  # bounded: every failure costs one step
            clock.upload_pending()
            if not clock.device.pending():
                break
        assert clock.stats.failures >= 4
        proxy.go_down()  # the server is down: nothing gets through, nothing is lost
        clock.punch("1003")
        assert clock.upload_pending() == 0 and "ConnectionRefusedError" in clock.last_error
        proxy.come_back()
        assert clock.init()  # ATTLOGStamp=0 is never sent back once stored, but a resend of all is harmless
        assert clock.upload_pending() == 1
        # the whole log again (as after a zero stamp), through a 500 that follows the commit
        clock.device.forget_uploads()
        proxy.fail("500-after")
        clock.upload_pending()
        clock.upload_pending()
    finally:
        proxy.stop()
    device = clock.device
    assert device.lost == 0 and not device.pending()
    assert office.punch_count() == len(device.log) == 301
    assert office.verify_chain().ok
    row = office.push_device(SN)
    assert row["lines_refused"] >= device.garbage_sent > 0
    assert "refused" in row["last_refusal"]


def test_a_backfill_and_a_time_set_through_heartbeats(receiver: ReceiverServer, office: Store) -> None:
    clock = waiting_clock(receiver.url, records=120, history_uploaded=True, clock_offset=-900)
    accept(office)
    backfill_id = push_devices.backfill(office, "sanh", date(2026, 11, 1), date(2026, 11, 25), actor="admin")
    sync_id = push_devices.ask(office, "sanh", "sync-time", actor="admin")
    info_id = push_devices.ask(office, "sanh", "info", actor="admin")
    shell_id = office.queue_device_command("sanh", "SHELL rm -rf /", requested_by="intruder")
    results = clock.heartbeat()
    assert sorted(result.id for result in results) == [backfill_id, sync_id, info_id]
    receiver.store_held_uploads()  # the re-post was one batch, answered once held
    assert office.punch_count() == 120  # the backfill re-posted the period
    assert clock.device.time() == datetime(2026, 11, 26, 9, 0)  # set from the server's clock
    commands = {row["id"]: row for row in office.device_commands("sanh")}
    assert commands[backfill_id]["result"] == "done" and commands[sync_id]["result"] == "done"
    assert "DeviceName=SpeedFace (simulated)" in commands[info_id]["result"]
    assert commands[shell_id]["result"].startswith("failed: not sent")
    assert office.device_row("sanh")["model"] == "SpeedFace (simulated)"
    assert office.audit_log("device", "sanh")[0]["action"] == "sync-time"
    # the collector leaves a push clock's requests to its heartbeats
    config = push_config(office.path)
    office.queue_device_command("sanh", "sync-time", requested_by="admin")
    assert Collector(config, now=office.now).run_commands() == 0
    assert office.unsent_device_commands("sanh")


def test_a_clock_off_time_is_flagged_and_its_punches_are_suspect(receiver: ReceiverServer, office: Store) -> None:
    clock = waiting_clock(receiver.url, records=0, clock_offset=600)
    accept(office)
    clock.heartbeat()
    clock.punch("1001")
    assert clock.upload_pending() == 1
    row = office.device_row("sanh")
    assert row["clock_offset_seconds"] == 600
    assert row["status"] == "online" and row["status_reason"] == "clock +600 s off the server"
    assert office.scalar("SELECT clock_suspect FROM punches") == 1


def test_tamper_signals_are_stored_once_and_audited(receiver: ReceiverServer, office: Store) -> None:
    clock = waiting_clock(receiver.url, records=0)
    accept(office)
    device = clock.device
    for code in (OpCode.POWER_ON, OpCode.SET_TIME, OpCode.CLEAR_DATA, OpCode.FACTORY_RESET, OpCode.DELETE_ATTENDANCE):
        device.operation(code, admin="1", objects=(str(code), "0", "0", "0"))
    lines = list(device.operations)
    assert clock.upload_operlog() == 5
    device.operations.extend(lines)  # the clock sends the same log again
    assert clock.upload_operlog() == 5
    assert len(office.device_operations("sanh")) == 5
    assert sorted(row["code"] for row in office.tamper_signals("sanh")) == [13, 21, 22, 23]
    assert len([row for row in office.audit_log("device", "sanh") if row["action"].startswith("tamper:")]) == 4


# --- limits ---------------------------------------------------------------------------------


def test_comm_key_size_caps_text_bodies_and_unknown_paths(receive, office: Store) -> None:
    receiver = receive("max_body_bytes = 1000\n")
    url = receiver.url
    waiting_clock(url, records=0)
    accept(office, comm_key="s3cret")
    upload = f"/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=1"
    line = "1001\t2026-11-26 08:00:00\t0\t1\t0\n"
    assert call(url, "POST", upload, line)[0] == 401
    assert call(url, "POST", upload + "&ComKey=wrong", line)[0] == 401
    assert call(url, "POST", upload + "&ComKey=s3cret", line * 100)[0] == 413
    assert call(url, "POST", upload + "&ComKey=s3cret", line, **{"Content-Type": "image/jpeg"})[0] == 400
    assert office.punch_count() == 0
    assert call(url, "POST", upload + "&ComKey=s3cret", line) == (200, "OK")
    assert office.punch_count() == 1
    assert call(url, "GET", "/iclock/nothing?SN=X")[0] == 404
    assert call(url, "GET", "/other/cdata?SN=X&options=all")[0] == 404
    assert call(url, "GET", "/iclock/cdata?SN=bad%20sn&options=all")[0] == 400
    assert call(url, "POST", f"/iclock/querydata?SN={SN}&ComKey=s3cret", "x")[0] == 501
    assert call(url, "GET", f"/iclock/ping?SN={SN}") == (200, "OK")


def test_no_answer_reveals_stored_data(receiver: ReceiverServer, office: Store) -> None:
    clock = waiting_clock(receiver.url, records=10)
    accept(office)
    clock.upload_pending()
    status, reply = call(receiver.url, "GET", "/iclock/cdata?SN=STRANGER1&options=all")
    assert status == 200 and "ATTLOGStamp=0" in reply and "sanh" not in reply and SN not in reply
    for target in ("/iclock/getrequest?SN=STRANGER1", "/iclock/cdata?SN=STRANGER1&type=time", "/iclock/ping?SN=STRANGER1"):
        status, reply = call(receiver.url, "GET", target)
        assert status == 200 and ("OK" == reply or reply.startswith("Time="))
    status, reply = call(receiver.url, "POST", "/iclock/registry?SN=STRANGER1", "DeviceType=att,~DeviceName=X")
    assert status == 200 and reply.startswith("RegistryCode=") and len(reply) == len("RegistryCode=") + 16


def test_waiting_clocks_and_what_they_hold_are_capped(receive, office: Store) -> None:
    receiver = receive("max_waiting_devices = 1\nheld_bytes_per_device = 600\n")
    clock = waiting_clock(receiver.url, records=40)
    clock.batch_size = 10
    assert 0 < clock.upload_pending() < 40 and clock.last_error.endswith("HTTP 503")
    assert clock.device.pending()  # the clock keeps what the server would not hold
    assert call(receiver.url, "GET", "/iclock/cdata?SN=SECOND1&options=all")[0] == 503
    assert office.push_device("SECOND1") is None


def test_the_rate_limit_is_per_clock(office: Store, db_path: Path, clock) -> None:
    moment = [0.0]
    receiver = PushReceiver(push_config(db_path, "requests_per_minute = 2\n"), now=clock, monotonic=lambda: moment[0])
    replies = []

    def get(sn: str) -> int:
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/iclock/getrequest", "QUERY_STRING": f"SN={sn}"}
        receiver(environ, lambda status, headers: replies.append((status, dict(headers))))
        return int(replies[-1][0].split()[0])

    try:
        assert [get("A1"), get("A1"), get("A1"), get("B1")] == [200, 200, 503, 200]
        assert replies[2][1]["Retry-After"] == "30"
        moment[0] = 30.0
        assert get("A1") == 200
    finally:
        receiver.close()


# --- the upload workers ---------------------------------------------------------------------


def stored_identities(store: Store) -> list[tuple[str, str]]:
    return [(row["device_user_id"], row["punched_at"][:19]) for row in
            store.query("SELECT device_user_id, punched_at FROM punches WHERE device_id = 'sanh' ORDER BY id")]


def held_identities(clock: PushClock) -> list[tuple[str, str]]:
    return [(record.pin, record.timestamp.isoformat()) for record in clock.device.log]


@pytest.mark.parametrize("workers", [1, 0], ids=["in an upload worker", "in the receiver's threads"])
def test_a_backlog_and_realtime_punches_are_stored_once_either_way(receive, office: Store, clock, workers: int) -> None:
    server = receive(f"upload_workers = {workers}\n")
    assert (server.workers is not None) == bool(workers)
    backlog = waiting_clock(server.url, records=1200)
    accept(office)
    backlog.batch_size = 500  # three batches: two of them bigger than a realtime body
    assert backlog.upload_pending() == 1200
    for pin in ("1", "2"):
        backlog.punch(pin)
        assert backlog.upload_pending() == 1
    server.store_held_uploads()  # the batches were answered once held; stored by the worker
    assert office.spooled_uploads() == (0, 0)
    assert sorted(stored_identities(office)) == sorted(held_identities(backlog))
    # the worker used the receiver's clock, not its own
    assert {row["received_at"] for row in office.query("SELECT DISTINCT received_at FROM punches")} == {
        clock.now.isoformat(timespec="seconds")}
    assert office.verify_chain().ok
    if workers:
        assert server.workers.pids() and os.getpid() not in server.workers.pids()


def test_a_killed_upload_worker_is_replaced_and_the_resent_batch_is_stored_once(receive, office: Store) -> None:
    server = receive()
    backlog = waiting_clock(server.url, records=900)
    accept(office)
    backlog.batch_size = 300
    assert backlog.upload_pending() == 900
    (victim,) = server.workers.pids()
    os.kill(victim, signal.SIGKILL)
    server.workers._generation.processes[0].join(10)
    # the clock did not hear the last answer and sends everything again, plus a new punch
    backlog.device.uploaded_seq = 0
    backlog.punch("3")
    assert backlog.upload_pending() == 901
    server.store_held_uploads()
    assert sorted(stored_identities(office)) == sorted(held_identities(backlog))
    assert server.workers.restarts == 1 and victim not in server.workers.pids()
    assert office.verify_chain().ok


def test_what_an_upload_worker_refuses_is_logged_by_the_receiver(receiver: ReceiverServer, office: Store,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    waiting_clock(receiver.url, records=0)
    accept(office)
    body = "1001\t2025-10-14 07:52:03\t0\t1\n" + "garbage without a time\n"
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="monitor.service.push_receiver"):
        assert call(receiver.url, "POST", f"/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=5", body) == (200, "OK")
    warnings = [r.getMessage() for r in caplog.records if r.name == "monitor.service.push_receiver"]
    assert len(warnings) == 1 and warnings[0].startswith(f"sanh (SN {SN}): 1 line(s) refused: line 2"), warnings
    assert office.punch_count() == 1


# --- batches held, then stored by the worker ----------------------------------------------

BATCH_LINES = [f"100{1 + n % 3}\t2026-11-2{n // 100} 0{7 + n % 3}:{n % 60:02d}:{n % 59:02d}\t0\t1" for n in range(300)]


@pytest.fixture
def in_process_worker(office: Store, db_path: Path):
    """The upload worker's jobs run in this process (as the worker runs them), so that
    what is held before the worker stores it can be looked at; ``extra`` goes to ``[push]``."""

    def start(extra: str = "") -> PushReceiver:
        push_receiver.start_upload_worker(push_config(db_path, extra))  # its clock: each job's server time
        return push_receiver._worker_receiver

    yield start
    if push_receiver._worker_receiver is not None:
        push_receiver._worker_receiver.close()
        push_receiver._worker_receiver = None


def called_in_and_accepted(office: Store) -> None:
    assert office.register_push_contact(SN, address="127.0.0.1", push_version="2.4.1", max_waiting=10)["state"] == "waiting"
    accept(office)


def hold(office: Store, body: str, stamp: str = "300"):
    row = office.push_device(SN)
    settings = push_config(office.path).push.settings(row["device_id"])
    return push_receiver._hold_upload(row, parse_query(f"SN={SN}&table=ATTLOG&Stamp={stamp}"), body.encode(), settings,
                                      "127.0.0.1", office.now())


def test_a_batch_is_answered_once_held_and_stored_once_after(in_process_worker, office: Store, clock) -> None:
    in_process_worker()
    called_in_and_accepted(office)
    body = "\n".join(BATCH_LINES) + "\n"
    assert hold(office, body) == (200, "OK", ())
    assert hold(office, body) == (200, "OK", ())  # the clock did not hear the answer and sent it again
    assert office.spooled_uploads() == (2, 2 * len(body)) and office.punch_count() == 0
    assert office.push_device(SN)["attlog_stamp"] == "300"  # held is kept: the clock may forget it
    received = clock.now
    clock.now = received + timedelta(minutes=5)  # stored later, with the time it came
    assert push_receiver._store_next_held() and push_receiver._store_next_held() and not push_receiver._store_next_held()
    assert office.spooled_uploads() == (0, 0)
    assert office.punch_count() == 300 and office.verify_chain().ok
    assert {row["received_at"] for row in office.query("SELECT DISTINCT received_at FROM punches")} == {
        received.isoformat(timespec="seconds")}


def test_a_held_batch_is_stored_and_let_go_in_one_transaction(in_process_worker, office: Store, monkeypatch) -> None:
    in_process_worker()
    called_in_and_accepted(office)
    hold(office, "\n".join(BATCH_LINES))
    real_drop = Store.drop_held_push_upload
    crashes = []

    def crash_once(self: Store, held_id: int) -> None:
        if not crashes:
            crashes.append(held_id)
            raise RuntimeError("the worker died here")
        real_drop(self, held_id)

    monkeypatch.setattr(Store, "drop_held_push_upload", crash_once)
    with pytest.raises(RuntimeError, match="died here"):
        push_receiver._store_next_held()
    assert office.punch_count() == 0 and office.spooled_uploads()[0] == 1  # rolled back together
    assert push_receiver._store_next_held() and not push_receiver._store_next_held()
    assert office.punch_count() == 300 and office.spooled_uploads() == (0, 0)


def test_a_clock_holding_its_share_has_its_batch_stored_before_the_answer(in_process_worker, office: Store) -> None:
    in_process_worker("held_bytes_per_device = 4000\n")
    called_in_and_accepted(office)
    first, second = "\n".join(BATCH_LINES[:100]), "\n".join(BATCH_LINES[100:])
    hold(office, first)
    assert office.spooled_uploads()[0] == 1 and office.punch_count() == 0
    assert hold(office, second) == (200, "OK", ())  # over 4000 characters held: stored at once
    assert office.spooled_uploads()[0] == 1 and office.punch_count() == 200


def test_what_an_earlier_run_held_is_stored_when_the_receiver_starts(receive, office: Store) -> None:
    called_in_and_accepted(office)
    office.hold_push_upload(SN, "ATTLOG", "9", "\n".join(BATCH_LINES), max_bytes=10**6)
    server = receive()
    deadline = time.monotonic() + 10  # a bound for a failing test, never reached when it passes
    while office.spooled_uploads()[0] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert office.spooled_uploads() == (0, 0) and office.punch_count() == 300
    assert server.store_held_uploads() == 0


def test_what_a_held_batch_refuses_is_logged_by_the_receiver(receiver: ReceiverServer, office: Store,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    waiting_clock(receiver.url, records=0)
    accept(office)
    body = "\n".join(BATCH_LINES[:200] + ["garbage without a time"]) + "\n"
    with caplog.at_level(logging.WARNING, logger="monitor.service.push_receiver"):
        assert call(receiver.url, "POST", f"/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=5", body) == (200, "OK")
        receiver.store_held_uploads()
        receiver.stop()  # its own thread may have stored it: stopped, it has said all it had to
    warnings = [r.getMessage() for r in caplog.records if r.name == "monitor.service.push_receiver"]
    assert any(w.startswith(f"sanh (SN {SN}): 1 line(s) refused: line 201") for w in warnings), warnings
    assert office.punch_count() == 200
    assert office.push_device(SN)["lines_refused"] == 1
