"""The simulated push clock against a small test-only push server on 127.0.0.1.

The server records every request before it answers, so after a step of the clock
returns, what the server saw is settled: no sleeps, no polling. Only the ``run`` loop
tests wait, on a condition with a timeout.
"""

from __future__ import annotations

import http.server
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.adms import (
    Command,
    Endpoint,
    PushOptions,
    check_content_length,
    command_reply,
    endpoint,
    info,
    options_reply,
    parse_attlog,
    parse_command_results,
    parse_query,
    query_attlog,
    reboot,
    set_time,
    time_reply,
)
from drivers.adms.commands import CommandResult
from drivers.adms.operlog import OpCode, parse_operlog
from drivers.base import FrameError, Punch
from drivers.simulators.adms import (
    GARBAGE,
    Dialect,
    Profile,
    PushClock,
    PushDevice,
    PushFaults,
    run,
)

SN = "CQZ7230100001"
DEVICE_NOW = datetime(2025, 10, 14, 7, 52, 3)
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
from tests.http_helpers import RestartableServer

WAIT = 5.0  # seconds a test waits for the run loop before failing


# --- a push server for tests --------------------------------------------------------------


@dataclass
class Seen:
    method: str
    target: str  # as sent, percent-encoded
    body: str
    status: int

    @property
    def line(self) -> str:
        """The request line as protocols.md §9.8 writes it (decoded)."""
        return f"{self.method} {unquote(self.target)}"

    @property
    def endpoint(self) -> Endpoint:
        path, _, query = self.target.partition("?")
        return endpoint(self.method, path, parse_query(query))


class PushServer(RestartableServer):
    """Answers like a minimal push server, records everything, fails on demand.

    ``fail(*how)`` queues failures for the next requests: an HTTP status (500, 404),
    ``None`` (answer normally), ``"hang"`` (no answer until the test ends; the clock times out) or ``"reset"`` (the
    connection is closed without an answer). ``go_down()``/``come_back()`` stop and
    restart listening on the same port (connection refused in between)."""

    def __init__(self, options: PushOptions | None = None, now: datetime = datetime(2025, 10, 14, 8, 0, tzinfo=ZONE)):
        super().__init__()
        self.options = options or PushOptions(delay=1, error_delay=1)
        self.now = now
        self.seen: list[Seen] = []
        self.punches: dict[tuple[str, datetime], Punch] = {}  # identity dedupe, as a real server must
        self.refused_lines: list = []
        self.results: list[CommandResult] = []
        self.stamp = "0"
        self.pending: deque[tuple[int, Command]] = deque()
        self.raw_commands: list[str] = []  # lines a test forces into the next heartbeat reply
        self.failures: deque[int | str | None] = deque()
        self.changed = threading.Condition()


    def fail(self, *how: int | str | None) -> None:
        self.failures.extend(how)

    def queue(self, command_id: int, command: Command) -> None:
        self.pending.append((command_id, command))

    def wait_for(self, predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, timeout)

    def of(self, kind: Endpoint) -> list[Seen]:
        return [seen for seen in self.seen if seen.endpoint is kind]

    def _handle(self, request: http.server.BaseHTTPRequestHandler) -> None:
        try:
            length = check_content_length(request.headers.get("Content-Length"))
        except FrameError:
            length = 0
        body = request.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        failure = self.failures.popleft() if self.failures else None
        status, reply = (failure, "error") if isinstance(failure, int) else self._answer(request, body, failure is None)
        with self.changed:
            self.seen.append(Seen(request.command, request.path, body, status if failure is None or isinstance(failure, int) else 0))
            self.changed.notify_all()
        if failure == "hang":
            self.release.wait(WAIT)
            request.close_connection = True
            return
        if failure == "reset":
            request.close_connection = True
            return
        data = reply.encode("utf-8")
        request.send_response(status)
        request.send_header("Content-Type", "text/plain")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _answer(self, request, body: str, store: bool) -> tuple[int, str]:
        path, _, query_text = request.path.partition("?")
        try:
            query = parse_query(query_text)
        except FrameError as exc:
            return 400, str(exc)
        kind = endpoint(request.command, path, query)
        if kind is Endpoint.INIT:
            return 200, options_reply(query.sn, self.options, attlog_stamp=self.stamp)
        if kind is Endpoint.TIME:
            return 200, time_reply(self.now)
        if not store:  # the request failed on its way: nothing is kept
            return 200, "OK"
        if kind is Endpoint.UPLOAD and query.table == "ATTLOG":
            batch = parse_attlog(body, states="legacy", years=(2000, 2099))
            for punch in batch.punches:
                self.punches.setdefault((punch.user_id, punch.timestamp), punch)
            self.refused_lines.extend(batch.errors)
            self.stamp = query.stamp or self.stamp
            return 200, "OK"
        if kind is Endpoint.HEARTBEAT:
            if self.raw_commands:
                lines, self.raw_commands = self.raw_commands, []
                return 200, "".join(f"{line}\n" for line in lines)
            reply = command_reply(list(self.pending))
            for _ in reply.sent:
                self.pending.popleft()
            return 200, reply.text
        if kind is Endpoint.COMMAND_RESULT:
            self.results.extend(parse_command_results(body).results)
            return 200, "OK"
        if kind is Endpoint.REGISTRY:
            return 200, "RegistryCode=R123"
        return 200, "OK"


@pytest.fixture
def server() -> Iterator[PushServer]:
    server = PushServer().come_back()
    yield server
    server.stop()


@pytest.fixture
def push_clock(server: PushServer) -> Callable[..., PushClock]:
    """``push_clock(**device options)``: a simulated clock pointed at ``server``."""

    def build(*, timeout: float = 2.0, batch_size: int = 100, **options) -> PushClock:
        options.setdefault("now", lambda: DEVICE_NOW)
        options.setdefault("users", 5)
        options.setdefault("records", 0)
        return PushClock(server.url, PushDevice(options.pop("sn", SN), **options), timeout=timeout, batch_size=batch_size)

    return build


def server_keys(server: PushServer) -> list[tuple[str, datetime]]:
    return sorted(server.punches)


def device_keys(records) -> list[tuple[str, datetime]]:
    return sorted((record.pin, record.timestamp) for record in records)


# --- §9.8 -------------------------------------------------------------------------------


def test_the_minimal_conversation_of_section_9_8(server: PushServer, push_clock) -> None:
    clock = push_clock(users=120, records=5020, history_uploaded=True, batch_size=500,
                       profile=Profile(firmware="Ver 6.60", ip="10.1.2.50", fingerprints=118, faces=0))
    assert clock.init()
    clock.punch("1001", state=0, verify=15)
    clock.heartbeat()
    assert clock.upload_pending() == 1
    server.queue(101, query_attlog(datetime(2025, 10, 13), datetime(2025, 10, 13, 23, 59, 59)))
    (result,) = clock.heartbeat()

    lines = [seen.line for seen in server.seen]
    assert lines[:4] == [
        f"GET /iclock/cdata?SN={SN}&options=all&pushver=2.4.1&language=69",
        f"GET /iclock/getrequest?SN={SN}&INFO=Ver 6.60,120,118,5021,10.1.2.50,10,7,0,111",
        f"POST /iclock/cdata?SN={SN}&table=ATTLOG&Stamp=2025-10-14T07:52:03",
        f"GET /iclock/getrequest?SN={SN}",
    ]
    assert server.seen[2].body == "1001\t2025-10-14 07:52:03\t0\t15\t0\t0\t0\n"
    assert server.seen[3].status == 200
    # §9.8 leaves out the re-post itself: it comes before the result
    assert lines[-2].startswith(f"POST /iclock/cdata?SN={SN}&table=ATTLOG&Stamp=2025-10-13T")
    assert lines[-1] == f"POST /iclock/devicecmd?SN={SN}"
    assert server.seen[-1].body == "ID=101&Return=0&CMD=DATA\n"
    assert result == CommandResult(101, 0, "DATA")
    october_13 = [r for r in clock.device.log if r.timestamp.date() == date(2025, 10, 13)]
    assert device_keys(october_13) == sorted(k for k in server.punches if k[1].date() == date(2025, 10, 13))
    assert all(seen.status == 200 for seen in server.seen)


# --- init, time, heartbeat ----------------------------------------------------------------


@pytest.mark.parametrize("style", ["hh:mm", "hours", "minutes"])
def test_init_options_and_time_sync_in_every_timezone_format(server: PushServer, push_clock, style: str) -> None:
    server.options = PushOptions(delay=7, realtime=False, timezone_format=style)
    clock = push_clock(clock_offset=-600)
    assert clock.init() and clock.option("Delay", 30) == 7 and clock.option("Realtime", 1) == 0
    assert clock.device.time() == DEVICE_NOW - timedelta(minutes=10)
    assert clock.sync_time()
    assert clock.device.time() == datetime(2025, 10, 14, 8, 0)  # the server's 08:00 +07:00


def test_first_heartbeat_after_init_carries_info_and_a_comkey_goes_everywhere(server: PushServer, push_clock) -> None:
    clock = push_clock(comkey="88888888")
    clock.heartbeat()  # inits first
    clock.heartbeat()
    heartbeats = server.of(Endpoint.HEARTBEAT)
    assert "INFO=" in heartbeats[0].target and "INFO=" not in heartbeats[1].target
    assert all("ComKey=88888888" in seen.target for seen in server.seen)
    assert server.seen[0].endpoint is Endpoint.INIT


def test_registry_of_newer_firmware(server: PushServer, push_clock) -> None:
    assert push_clock().register() == "R123"
    assert "DeviceType=att" in server.of(Endpoint.REGISTRY)[0].body


# --- uploads and resends ------------------------------------------------------------------


@pytest.mark.parametrize("failure", [500, 404, 503, "hang", "reset", "down"])
def test_a_failed_upload_is_resent_and_nothing_is_lost(server: PushServer, push_clock, failure) -> None:
    clock = push_clock(timeout=0.5)
    assert clock.init()
    punches = [clock.punch(at=DEVICE_NOW + timedelta(seconds=n)) for n in range(3)]
    if failure == "down":
        server.go_down()
    else:
        server.fail(failure)
    assert clock.upload_pending() == 0
    assert clock.stats.failures == 1 and clock.last_error
    assert len(clock.device.pending()) == 3 and server.punches == {}
    if failure == "down":
        server.come_back()
    assert clock.upload_pending() == 3
    assert clock.last_error is None and clock.device.pending() == []
    assert server_keys(server) == device_keys(punches)


def test_a_lost_answer_means_the_server_sees_the_upload_twice(server: PushServer, push_clock) -> None:
    """The clock judges by the status line: a reply that never arrives is a failure
    even when the server stored the records, so servers must dedupe."""
    clock = push_clock(timeout=0.5)
    clock.init()
    clock.punch()
    server.failures.append("hang")
    clock.upload_pending()
    clock.upload_pending()
    uploads = server.of(Endpoint.UPLOAD)
    assert len(uploads) == 2 and uploads[0].body == uploads[1].body


def test_batches_stop_at_the_first_failure_and_resume_in_order(server: PushServer, push_clock) -> None:
    clock = push_clock(batch_size=2)
    clock.init()
    records = [clock.punch(at=DEVICE_NOW + timedelta(seconds=n)) for n in range(5)]
    server.fail(None, 500)  # the first batch passes, the second fails
    assert clock.upload_pending() == 2
    assert [r.seq for r in clock.device.pending()] == [r.seq for r in records[2:]]
    assert clock.upload_pending() == 3
    assert [seen.status for seen in server.of(Endpoint.UPLOAD)] == [200, 500, 200, 200]
    assert server_keys(server) == device_keys(records)


def test_full_fifo_drops_the_oldest_and_counts_them(server: PushServer, push_clock) -> None:
    clock = push_clock(buffer_size=5)
    clock.init()
    server.go_down()
    records = [clock.punch(at=DEVICE_NOW + timedelta(minutes=n)) for n in range(8)]
    assert clock.upload_pending() == 0
    assert (clock.device.dropped, clock.device.lost) == (3, 3)
    assert device_keys(clock.device.pending()) == device_keys(records[3:])
    server.come_back()
    assert clock.upload_pending() == 5
    assert server_keys(server) == device_keys(records[3:])


def test_dropping_sent_records_loses_nothing(server: PushServer, push_clock) -> None:
    clock = push_clock(buffer_size=3)
    clock.init()
    for n in range(3):
        clock.punch(at=DEVICE_NOW + timedelta(minutes=n))
    clock.upload_pending()
    clock.punch(at=DEVICE_NOW + timedelta(minutes=9))
    assert (clock.device.dropped, clock.device.lost) == (1, 0)


def test_duplicate_uploads_fault(server: PushServer, push_clock) -> None:
    clock = push_clock(faults=PushFaults(duplicate_uploads=True))
    clock.init()
    records = [clock.punch(at=DEVICE_NOW + timedelta(seconds=n)) for n in range(4)]
    assert clock.upload_pending() == 4
    uploads = server.of(Endpoint.UPLOAD)
    assert len(uploads) == 2 and uploads[0].body == uploads[1].body and uploads[0].target == uploads[1].target
    assert server_keys(server) == device_keys(records)


def test_garbage_lines_are_refused_by_the_parser_and_the_good_ones_arrive(server: PushServer, push_clock) -> None:
    clock = push_clock(faults=PushFaults(garbage_every=1))
    clock.init()
    records = [clock.punch(at=DEVICE_NOW + timedelta(seconds=n)) for n in range(len(GARBAGE))]
    clock.upload_pending()
    assert server_keys(server) == device_keys(records)
    assert len(server.refused_lines) == len(GARBAGE) == clock.device.garbage_sent


@pytest.mark.parametrize(
    "dialect",
    [
        pytest.param(Dialect(), id="document"),
        pytest.param(Dialect(line_ending="\r\n"), id="crlf"),
        pytest.param(Dialect(separator="   "), id="runs-of-spaces"),
        pytest.param(Dialect(epoch_timestamps=True), id="epoch"),
        pytest.param(Dialect(fields=3), id="missing-trailing-fields"),
        pytest.param(Dialect(fields=10), id="extra-trailing-fields"),
        pytest.param(Dialect(stamp="sequence"), id="sequence-stamp"),
    ],
)
def test_every_dialect_reaches_the_server_intact(server: PushServer, push_clock, dialect: Dialect) -> None:
    clock = push_clock(records=40, seed=4, dialect=dialect)
    clock.init()
    assert clock.upload_pending() == 40
    assert server.refused_lines == []
    assert server_keys(server) == device_keys(clock.device.log)
    assert {p.state for p in server.punches.values()} <= {0, 1}


def test_zero_stamp_makes_a_clock_with_that_fault_upload_everything_again(server: PushServer, push_clock) -> None:
    plain, faulty = push_clock(records=10), push_clock(records=10, sn="FAULTY1", faults=PushFaults(zero_stamp_resends_all=True))
    for clock in (plain, faulty):
        clock.init()
        assert clock.upload_pending() == 10
    server.stamp = "0"
    for clock in (plain, faulty):
        clock.init()
    assert (plain.upload_pending(), faulty.upload_pending()) == (0, 10)


def test_operation_log_upload(server: PushServer, push_clock) -> None:
    clock = push_clock()
    clock.init()
    clock.device.operation(OpCode.SET_TIME, admin="1001")
    server.fail(500)
    assert clock.upload_operlog() == 0
    assert clock.upload_operlog() == 1 and clock.upload_operlog() == 0
    batch = parse_operlog(server.of(Endpoint.UPLOAD)[-1].body)
    assert [(op.code, op.admin, op.tamper) for op in batch.operations] == [(21, "1001", True)]


# --- commands -----------------------------------------------------------------------------


def test_info_command_posts_the_description(server: PushServer, push_clock) -> None:
    clock = push_clock(records=12)
    server.queue(7, info())
    clock.heartbeat()
    (result,) = server.results
    assert (result.id, result.return_code, result.cmd) == (7, 0, "INFO")
    assert result.details["AttLogCount"] == "12" and result.details["SerialNumber"] == SN


def test_set_time_command_sets_the_clock(server: PushServer, push_clock) -> None:
    clock = push_clock()
    for n, style in enumerate(["encoded", "text"], start=1):
        target = datetime(2025, 10, 14, 9, 30, n)
        server.queue(n, set_time(target, style=style))
        clock.heartbeat()
        assert clock.device.time() == target
    assert [(r.return_code, r.cmd) for r in server.results] == [(0, "SET OPTION")] * 2


def test_reboot_comes_back_through_init_with_info(server: PushServer, push_clock) -> None:
    clock = push_clock()
    server.queue(1, reboot())
    server.queue(2, info())
    clock.heartbeat()
    assert clock.stats.reboots == 1 and not clock.initialized
    assert [r.id for r in server.results] == [2, 1]  # REBOOT went last
    clock.heartbeat()
    kinds = [seen.endpoint for seen in server.seen]
    assert kinds[-2:] == [Endpoint.INIT, Endpoint.HEARTBEAT] and "INFO=" in server.seen[-1].target


@pytest.mark.parametrize(
    ("line", "code", "verb"),
    [
        pytest.param("C:5:SHELL cat /etc/passwd", -1002, "SHELL", id="shell-refused"),
        pytest.param("C:5:DATA DELETE USERINFO PIN=1", -1002, "DATA", id="delete-user-refused"),
        pytest.param("C:5:DATA QUERY ATTLOG StartTime=2020-01-01T00:00:00\tEndTime=2020-01-02T00:00:00", -1, "DATA",
                     id="query-of-an-empty-period"),
        pytest.param("C:5:SET OPTION DateTime=808790400", -1, "SET OPTION", id="set-time-february-31"),
        pytest.param("C:5:CHECK", 0, "CHECK", id="check"),
    ],
)
def test_command_answers(server: PushServer, push_clock, line: str, code: int, verb: str) -> None:
    clock = push_clock()
    clock.init()
    server.raw_commands.append(line)
    clock.heartbeat()
    assert [(r.id, r.return_code, r.cmd) for r in server.results] == [(5, code, verb)]


def test_results_the_server_did_not_take_are_posted_again(server: PushServer, push_clock) -> None:
    clock = push_clock()
    clock.init()
    server.queue(3, info())
    server.fail(None, 500)  # the heartbeat passes, the devicecmd post fails
    clock.heartbeat()
    assert server.results == [] and len(clock.pending_results) == 1
    clock.heartbeat()
    assert [r.id for r in server.results] == [3] and clock.pending_results == []


def test_reject_commands_fault(server: PushServer, push_clock) -> None:
    clock = push_clock(faults=PushFaults(reject_commands=True))
    server.queue(9, info())
    clock.heartbeat()
    assert [(r.id, r.return_code) for r in server.results] == [(9, -1002)]


# --- determinism --------------------------------------------------------------------------


def test_same_seed_same_clock_and_other_seed_other_clock() -> None:
    def build(seed: int) -> PushDevice:
        return PushDevice(SN, users=10, records=200, seed=seed, now=lambda: DEVICE_NOW)

    first, again, other = build(3), build(3), build(4)
    assert list(first.log) == list(again.log) and first.users == again.users
    assert list(first.log) != list(other.log)
    assert len(first.log) == 200 and all(r.timestamp < DEVICE_NOW.replace(hour=0) for r in first.log)
    assert first.attlog_body(list(first.log)) == again.attlog_body(list(again.log))


@settings(max_examples=60, deadline=None)
@given(
    buffer_size=st.integers(1, 6),
    steps=st.lists(st.one_of(st.just("punch"), st.just("forget"), st.integers(0, 8)), max_size=30),
    limit=st.one_of(st.none(), st.integers(1, 5)),
)
def test_pending_is_the_records_after_the_acknowledged_one(buffer_size: int, steps: list, limit: int | None) -> None:
    """``pending`` finds the first waiting record by its sequence number; it must give
    what a scan of the whole log gives, whatever the FIFO dropped meanwhile."""
    device = PushDevice(SN, users=3, records=2, seed=1, now=lambda: DEVICE_NOW, buffer_size=buffer_size)
    for step in steps:
        if step == "punch":
            device.punch()
        elif step == "forget":
            device.forget_uploads()
        else:  # the server acknowledges the first ``step`` records waiting
            device.acknowledge(device.pending(step))
        scanned = [record for record in device.log if record.seq > device.uploaded_seq]
        assert device.pending(limit) == (scanned if limit is None else scanned[:limit])


# --- the run loop ---------------------------------------------------------------------------


def start_run(server: PushServer, **options) -> tuple[threading.Event, threading.Thread, dict]:
    stop, outcome = threading.Event(), {}
    options.setdefault("now", lambda: DEVICE_NOW)
    options.setdefault("pace", 50.0)
    options.setdefault("timeout", 1.0)

    def target() -> None:
        outcome["clock"] = run(server.url, SN, stop, **options)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return stop, thread, outcome


def test_run_uploads_history_heartbeats_and_punches_until_stopped(server: PushServer) -> None:
    reports: list[str] = []
    stop, thread, outcome = start_run(server, users=4, records=30, seed=2, punch_every=5.0, report=reports.append)
    try:
        assert server.wait_for(lambda: len(server.punches) >= 32 and len(server.of(Endpoint.HEARTBEAT)) >= 3)
    finally:
        stop.set()
        thread.join(WAIT)
    assert not thread.is_alive()
    clock = outcome["clock"]
    assert clock.stats.records_acknowledged >= 32 and clock.stats.failures == 0
    assert server.of(Endpoint.TIME) and any(line.startswith("init:") for line in reports)
    assert any(line.startswith("punch ") for line in reports)


def test_run_waits_for_a_server_that_is_down(server: PushServer) -> None:
    server.go_down()
    reports: list[str] = []
    refused = threading.Event()

    def report(line: str) -> None:
        reports.append(line)
        if line.startswith("server unreachable"):
            refused.set()

    stop, thread, outcome = start_run(server, users=2, records=5, punch_every=0, report=report)
    try:
        assert refused.wait(WAIT)
        server.come_back()
        assert server.wait_for(lambda: len(server.punches) == 5)
    finally:
        stop.set()
        thread.join(WAIT)
    assert not thread.is_alive() and outcome["clock"].stats.failures >= 1
    assert reports[0].startswith("server unreachable")
