"""The push (ADMS / iclock) protocol: queries, upload bodies, replies and commands,
against protocols.md §9 and the variants seen in the wild."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.adms.attlog import STATE_TABLES, read_attlog
from drivers.adms import (
    BadQuery,
    BadSerialNumber,
    BodyTooLarge,
    Command,
    CommandResult,
    DeviceStatus,
    Endpoint,
    OpCode,
    PushFrameError,
    PushOptions,
    UnsafeCommand,
    check,
    check_body,
    check_content_length,
    command_reply,
    endpoint,
    info,
    ok_reply,
    options_reply,
    parse_attlog,
    parse_command_results,
    parse_device_status,
    parse_operlog,
    parse_query,
    parse_registry,
    query_attlog,
    reboot,
    set_time,
    time_reply,
)
from drivers.adms.attlog import STATE_TABLES, format_attlog_line
from drivers.adms.commands import format_command_result, parse_command_reply
from drivers.adms.limits import MAX_COMMANDS_PER_REPLY, MAX_REPLY_BYTES
from drivers.adms.operlog import TAMPER_CODES, format_oplog_line, format_user_line
from drivers.adms.replies import format_timezone, parse_options_reply, parse_time_reply, parse_timezone
from drivers.adms.text import excerpt
from drivers.base import DeviceUser, DriverError, FrameError, Punch

SN = "CQZ7230100001"


# --- §9.8: the minimal conversation ---------------------------------------------------


@pytest.fixture
def conversation() -> list[dict]:
    """protocols.md §9.8, exchange by exchange: request line, body, expected reply
    (``None`` where §9.8 elides it)."""
    return [
        {"request": f"GET /iclock/cdata?SN={SN}&options=all&pushver=2.4.1&language=69", "body": "",
         "endpoint": Endpoint.INIT, "reply": None},
        {"request": f"GET /iclock/getrequest?SN={SN}&INFO=Ver 6.60,120,118,5021,10.1.2.50,10,7,0,111", "body": "",
         "endpoint": Endpoint.HEARTBEAT, "reply": "OK"},
        {"request": f"POST /iclock/cdata?SN={SN}&table=ATTLOG&Stamp=2025-10-14T07:52:03",
         "body": "1001\t2025-10-14 07:52:03\t0\t15\t0\t0\t0\n", "endpoint": Endpoint.UPLOAD, "reply": "OK"},
        {"request": f"GET /iclock/getrequest?SN={SN}", "body": "", "endpoint": Endpoint.HEARTBEAT,
         "reply": "C:101:DATA QUERY ATTLOG StartTime=2025-10-13T00:00:00\tEndTime=2025-10-13T23:59:59\n"},
        {"request": f"POST /iclock/devicecmd?SN={SN}", "body": "ID=101&Return=0&CMD=DATA\n",
         "endpoint": Endpoint.COMMAND_RESULT, "reply": "OK"},
    ]


def split_request(line: str) -> tuple[str, str, str]:
    method, target = line.split(" ", 1)
    path, _, query = target.partition("?")
    return method, path, query.replace(" ", "%20")


def test_conversation_requests_are_read_as_their_endpoints(conversation: list[dict]) -> None:
    for exchange in conversation:
        method, path, query = split_request(exchange["request"])
        parsed = parse_query(query)
        assert parsed.sn == SN
        assert endpoint(method, path, parsed) is exchange["endpoint"], exchange["request"]


def test_conversation_replies_are_built_exactly(conversation: list[dict]) -> None:
    init, hello, upload, heartbeat, result = conversation
    reply = options_reply(SN, PushOptions())
    assert reply.splitlines()[0] == f"GET OPTION FROM: {SN}"
    assert reply.endswith("\n") and "\r" not in reply
    assert hello["reply"] == ok_reply() == upload["reply"] == result["reply"]
    command = query_attlog(datetime(2025, 10, 13), datetime(2025, 10, 13, 23, 59, 59))
    assert command_reply([(101, command)]).text == heartbeat["reply"]


def test_conversation_bodies_and_info_are_read(conversation: list[dict]) -> None:
    _, hello, upload, _, result = conversation
    status = parse_query(split_request(hello["request"])[2]).info
    assert status == DeviceStatus("Ver 6.60", 120, 118, 5021, "10.1.2.50", "10", "7", 0, "111")
    assert status.to_device_info(SN).record_count == 5021
    assert parse_query(split_request(upload["request"])[2]).stamp == "2025-10-14T07:52:03"
    batch = parse_attlog(upload["body"])
    assert batch.errors == []
    assert batch.punches == [Punch("1001", datetime(2025, 10, 14, 7, 52, 3), 15, 0, 0, "1001\t2025-10-14 07:52:03\t0\t15\t0\t0\t0")]
    assert parse_command_results(result["body"]).results == [CommandResult(101, 0, "DATA")]


# --- queries ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "value"),
    [
        pytest.param(f"SN={SN}&options=all&pushver=2.4.1&language=69", "pushver", "2.4.1", id="init"),
        pytest.param(f"SN={SN}&type=time", "type", "time", id="time"),
        pytest.param(f"SN={SN}&table=ATTLOG&Stamp=9999", "stamp", "9999", id="numeric-stamp"),
        pytest.param(f"SN={SN}&table=OPERLOG&Stamp=2025-10-14T07:52:03", "table", "OPERLOG", id="operlog"),
        pytest.param(f"SN={SN}&ComKey=88888888", "comkey", "88888888", id="comkey"),
        pytest.param(f"SN={SN}&SN={SN}", "sn", SN, id="same-sn-twice"),
        pytest.param({"SN": SN, "table": ["ATTLOG"]}, "table", "ATTLOG", id="mapping"),
        pytest.param("SN=a-b_C9", "sn", "a-b_C9", id="sn-dash-underscore"),
    ],
)
def test_queries_read(query, field: str, value: str) -> None:
    assert getattr(parse_query(query), field) == value


@pytest.mark.parametrize(
    ("query", "error", "words"),
    [
        pytest.param("table=ATTLOG", BadSerialNumber, "no SN", id="no-sn"),
        pytest.param("SN=", BadSerialNumber, "no SN", id="empty-sn"),
        pytest.param("SN=" + "A" * 33, BadSerialNumber, "not a serial number", id="sn-too-long"),
        pytest.param("SN=CQZ%0A723", BadSerialNumber, "not a serial number", id="sn-newline"),
        pytest.param("SN=CQZ%20723", BadSerialNumber, "not a serial number", id="sn-space"),
        pytest.param("SN=CQZ723%27%3B--", BadSerialNumber, "not a serial number", id="sn-sql"),
        pytest.param("SN=%C4%90", BadSerialNumber, "not a serial number", id="sn-non-ascii"),
        pytest.param("SN=A&SN=B", BadQuery, "given 2 times", id="two-sns"),
        pytest.param("SN=A&table=ATT%0ALOG", BadQuery, "not a table name", id="table-newline"),
        pytest.param("SN=A&Stamp=1%0A2", BadQuery, "not a stamp", id="stamp-newline"),
        pytest.param("SN=A&INFO=" + "x" * 300, BadQuery, "at most", id="info-too-long"),
        pytest.param("SN=A&INFO=Ver%016", BadQuery, "control", id="info-control"),
        pytest.param("SN=%FF", BadQuery, "cannot be read", id="not-utf8"),
        pytest.param("&".join(f"k{i}=1" for i in range(40)) + "&SN=A", BadQuery, "cannot be read", id="too-many-fields"),
    ],
)
def test_bad_queries_are_refused_with_a_clear_message(query: str, error: type, words: str) -> None:
    with pytest.raises(error, match=words) as caught:
        parse_query(query)
    assert isinstance(caught.value, FrameError) and isinstance(caught.value, DriverError)


@pytest.mark.parametrize(
    ("method", "path", "query", "expected"),
    [
        pytest.param("GET", "/iclock/cdata", "options=all", Endpoint.INIT, id="init"),
        pytest.param("GET", "/iclock/cdata.aspx", "options=all", Endpoint.INIT, id="init-aspx"),
        pytest.param("GET", "/iclock/cdata", "type=time", Endpoint.TIME, id="time"),
        pytest.param("POST", "/iclock/cdata", "table=ATTLOG", Endpoint.UPLOAD, id="upload"),
        pytest.param("POST", "/adms/iclock/cdata/", "table=ATTLOG", Endpoint.UPLOAD, id="prefixed"),
        pytest.param("GET", "/iclock/getrequest", "", Endpoint.HEARTBEAT, id="heartbeat"),
        pytest.param("POST", "/iclock/devicecmd", "", Endpoint.COMMAND_RESULT, id="devicecmd"),
        pytest.param("POST", "/iclock/registry", "", Endpoint.REGISTRY, id="registry"),
        pytest.param("GET", "/iclock/ping", "", Endpoint.PING, id="ping"),
        pytest.param("POST", "/iclock/querydata", "tablename=ATTLOG", Endpoint.QUERY_DATA, id="querydata"),
        pytest.param("GET", "/iclock/cdata", "", Endpoint.UNKNOWN, id="cdata-without-purpose"),
        pytest.param("DELETE", "/iclock/getrequest", "", Endpoint.UNKNOWN, id="wrong-method"),
    ],
)
def test_endpoints(method: str, path: str, query: str, expected: Endpoint) -> None:
    assert endpoint(method, path, parse_query(f"SN=A1&{query}")) is expected


# --- ATTLOG -----------------------------------------------------------------------------

WHEN = datetime(2025, 10, 14, 7, 52, 3)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("982\t2008-02-25 12:08:21\t1\t0\t9001", [("982", datetime(2008, 2, 25, 12, 8, 21), 0, 1, 9001)],
                     id="document-example"),
        pytest.param("11\t2025-08-27 10:57:49\t0\t25\t0\t0\t0\t0\t0\t0", [("11", datetime(2025, 8, 27, 10, 57, 49), 25, 0, 0)],
                     id="ten-fields-palm"),
        pytest.param("1001\t2025-10-14 07:52:03\t0\t15\t0\t0\t0\r\n1002\t2025-10-14 07:52:03\t1\t1\t0\t0\t0\r\n",
                     [("1001", WHEN, 15, 0, 0), ("1002", WHEN, 1, 1, 0)], id="crlf"),
        pytest.param("1001  2025-10-14 07:52:03    0   15  0", [("1001", WHEN, 15, 0, 0)], id="runs-of-spaces"),
        pytest.param("1001 2025-10-14 07:52:03 1 1", [("1001", WHEN, 1, 1, None)], id="single-spaces-short"),
        pytest.param("1001\t2025-10-14 07:52:03   0   15 \t 0", [("1001", WHEN, 15, 0, 0)], id="tabs-and-spaces-mixed"),
        pytest.param("1001\t2025-10-14\t07:52:03\t0\t15", [("1001", WHEN, 15, 0, None)], id="tab-between-date-and-time"),
        pytest.param("1001\t2025-10-14 07:52:03", [("1001", WHEN, None, None, None)], id="pin-and-time-only"),
        pytest.param("1001\t2025-10-14 07:52:03\t0", [("1001", WHEN, None, 0, None)], id="no-verify"),
        pytest.param("1001\t2025-10-14 07:52:03\t0\t1\t\t\t", [("1001", WHEN, 1, 0, None)], id="empty-trailing"),
        pytest.param("1001\t2025-10-14 07:52:03\t0\t1\t0\t0\t0\t255\t7\tjob\ttip", [("1001", WHEN, 1, 0, 0)],
                     id="extra-trailing-fields"),
        pytest.param("1001\t1760428323\t0\t1\t0", [("1001", WHEN, 1, 0, 0)], id="epoch-seconds"),
        pytest.param("1001\t2025-10-14T07:52:03\t0\t1", [("1001", WHEN, 1, 0, None)], id="iso-t"),
        pytest.param("1001\t2025-10-14 07:52\t0\t1", [("1001", WHEN.replace(second=0), 1, 0, None)], id="no-seconds"),
        pytest.param("1001\t2025-10-14 7:52:03\t0\t1", [("1001", WHEN, 1, 0, None)], id="one-digit-hour"),
        pytest.param("   1001\t2025-10-14 07:52:03\t0\t1", [("1001", WHEN, 1, 0, None)], id="space-padded-pin"),
        pytest.param("\n\r\n1001\t2025-10-14 07:52:03\t0\t1\n\n", [("1001", WHEN, 1, 0, None)], id="blank-lines"),
        pytest.param("1001\t2025-10-14 07:52:03\t0\t1\t0\r1002\t2025-10-14 07:52:03\t0\t1\t0",
                     [("1001", WHEN, 1, 0, 0), ("1002", WHEN, 1, 0, 0)], id="lone-cr"),
        pytest.param("1001\t2025-10-14 07:52:03\t0\t1\tA7", [("1001", WHEN, 1, 0, None)], id="letter-work-code"),
        pytest.param("AB-12\t2025-10-14 07:52:03\t1\t1", [("AB-12", WHEN, 1, 1, None)], id="letters-in-pin"),
        pytest.param(b"\xef\xbb\xbf1001\t2025-10-14 07:52:03\t0\t1", [("1001", WHEN, 1, 0, None)], id="bytes-with-bom"),
    ],
)
def test_attlog_variants(body: str | bytes, expected: list[tuple]) -> None:
    batch = parse_attlog(body, years=(2000, 2099))  # the document's example is from 2008
    assert batch.errors == []
    assert [(p.user_id, p.timestamp, p.verify_mode, p.state, p.work_code) for p in batch.punches] == expected


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        pytest.param("1001\t2026-02-30 08:00:00\t0\t1", "no such date or time '2026-02-30 08:00:00'", id="february-30"),
        pytest.param("1001\t2026-10-14 25:00:00\t0\t1", "no such date or time", id="hour-25"),
        pytest.param("1001\t2026-10-14 08:60:00\t0\t1", "no such date or time", id="minute-60"),
        pytest.param("1001\t2026-13-01 08:00:00\t0\t1", "no such date or time", id="month-13"),
        pytest.param("1001\t2026-00-10 08:00:00\t0\t1", "no such date or time", id="month-0"),
        pytest.param("1001\t1999-12-31 08:00:00\t0\t1", "year 1999 outside 2010-2099", id="year-too-early"),
        pytest.param("1001\t2100-01-01 08:00:00\t0\t1", "year 2100 outside", id="year-too-late"),
        pytest.param("1001\t0\t0\t1", "bad time", id="epoch-zero-is-not-a-time"),
        pytest.param("1001\t1000000000\t0\t1", "year 2001 outside", id="epoch-2001"),
        pytest.param("1001\tyesterday\t0\t1", "bad time 'yesterday'", id="words-for-time"),
        pytest.param("1001\t14/10/2025 07:52:03\t0\t1", "bad time", id="day-first-date"),
        pytest.param("10\x0001\t2025-10-14 07:52:03\t0\t1", "control character", id="nul-in-pin"),
        pytest.param("1001\x1b[2J\t2025-10-14 07:52:03\t0\t1", "control character", id="escape-in-pin"),
        pytest.param("1001\t2025-10-14 07:52:03\t0\t1\x07", "control character", id="bell-at-end"),
        pytest.param("1" * 25 + "\t2025-10-14 07:52:03\t0\t1", "PIN longer than 24", id="pin-too-long"),
        pytest.param("\t2025-10-14 07:52:03\t0\t1", "empty PIN", id="empty-pin"),
        pytest.param("1001", "no time", id="pin-only"),
        pytest.param("1001\t\t0\t1", "no time", id="empty-time"),
        pytest.param("1001\t2025-10-14 07:52:03\tIN\t1", "State is not a number", id="state-word"),
        pytest.param("1001\t2025-10-14 07:52:03\t-1\t1", "State is not a number", id="state-negative"),
        pytest.param("1001\t2025-10-14 07:52:03\t0\tfinger", "Verify is not a number", id="verify-word"),
        pytest.param("1001\t2025-10-14 07:52:03\t0\t1\t" + "0" * 600, "longer than 512", id="line-too-long"),
        pytest.param("100\ufffd1\t2025-10-14 07:52:03\t0\t1", "not UTF-8", id="replacement-char"),
        pytest.param("\u0110001\t2025-10-14 07:52:03\t0\t1", None, id="non-ascii-pin-accepted"),
    ],
)
def test_attlog_refusals(line: str, reason: str | None) -> None:
    good = "2002\t2025-10-14 08:00:00\t0\t1"
    batch = parse_attlog(f"{good}\n{line}\n{good}\n")
    if reason is None:
        assert batch.errors == [] and len(batch.punches) == 3
        return
    assert [p.user_id for p in batch.punches] == ["2002", "2002"]  # the neighbours still count
    (error,) = batch.errors
    assert error.line == 2
    assert reason in error.reason
    assert len(error.excerpt) <= 41 and "\x00" not in error.excerpt and "\x1b" not in error.excerpt


def test_bytes_that_are_not_utf8_spoil_only_their_line() -> None:
    batch = parse_attlog(b"1001\t2025-10-14 07:52:03\t0\t1\n10\xff02\t2025-10-14 07:52:03\t0\t1\n")
    assert [p.user_id for p in batch.punches] == ["1001"]
    assert [(e.line, e.reason) for e in batch.errors] == [(2, "not UTF-8 text")]
    assert batch.lines == 2


def test_an_excerpt_never_holds_the_whole_long_line() -> None:
    line = "1001\t2025-10-14 07:52:03\t0\t1\t" + "x" * 1000
    (error,) = parse_attlog(line).errors
    assert error.excerpt == excerpt(line) and error.excerpt.endswith("…")
    assert "\\t" in error.excerpt  # TAB shown escaped, readable in a log
    assert str(error).startswith("line 1: line longer than 512 characters (1001\\t")


def test_window_of_plausible_years_is_a_parameter() -> None:
    body = "1\t2003-01-01 08:00:00\t0\t1\n2\t2025-10-14 08:00:00\t0\t1\n"
    assert len(parse_attlog(body).errors) == 1
    assert len(parse_attlog(body, years=(2000, 2099)).punches) == 2
    assert [p.user_id for p in parse_attlog(body, years=(2025, 2026)).punches] == ["2"]


def test_epoch_seconds_are_wall_seconds_unless_a_zone_is_given() -> None:
    line = "1001\t1760403123\t0\t1"  # 2025-10-14 00:52:03 UTC
    assert parse_attlog(line).punches[0].timestamp == datetime(2025, 10, 14, 0, 52, 3)
    hanoi = parse_attlog(line, epoch_zone=ZoneInfo("Asia/Ho_Chi_Minh")).punches[0].timestamp
    assert hanoi == datetime(2025, 10, 14, 7, 52, 3) and hanoi.tzinfo is None


@pytest.mark.parametrize(
    ("table", "device_states", "ours"),
    [
        pytest.param("push-3.2.0", [0, 1, 2, 3, 4, 5, 9], [0, 1, 3, 2, 3, 2, None], id="push-3.2.0-meal-is-a-break"),
        pytest.param("legacy", [0, 1, 2, 3, 4, 5, 9], [0, 1, 2, 3, 4, 5, None], id="legacy-pyzk"),
        pytest.param({0: 1, 1: 0}, [0, 1, 2], [1, 0, None], id="custom-mapping"),
    ],
)
def test_state_tables(table, device_states: list[int], ours: list[int | None]) -> None:
    body = "".join(f"1\t2025-10-14 08:00:{n:02d}\t{state}\t1\n" for n, state in enumerate(device_states))
    batch = parse_attlog(body, states=table)
    assert [p.state for p in batch.punches] == ours
    assert batch.punches[-1].raw.endswith(f"\t{device_states[-1]}\t1")  # the device's code survives in raw


def test_default_state_table_is_the_3_2_0_one_and_names_are_checked() -> None:
    assert parse_attlog("1\t2025-10-14 08:00:00\t2\t1").punches[0].state == STATE_TABLES["push-3.2.0"][2]
    with pytest.raises(ValueError, match="push-3.2.0, legacy"):
        parse_attlog("", states="pyzk")


def test_verify_modes_map_configured_codes_and_pass_the_rest() -> None:
    body = "1\t2025-10-14 08:00:00\t0\t128\n1\t2025-10-14 08:00:01\t0\t15\n"
    assert [p.verify_mode for p in parse_attlog(body, verify_modes={128: 1}).punches] == [1, 15]


def test_a_body_over_the_cap_is_refused_whole() -> None:
    with pytest.raises(BodyTooLarge, match="more than the 100 allowed"):
        parse_attlog("1\t2025-10-14 08:00:00\t0\t1\n" * 10, max_body=100)


# --- OPERLOG ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kind", "value"),
    [
        pytest.param("USER PIN=982\tName=Richard\tPasswd=9822\tCard=13375590\tGrp=1\tTZ=", "users",
                     DeviceUser("982", "Richard", "13375590", None), id="user-document-example"),
        pytest.param("USER PIN=1001\tName=Nguyễn Văn An\tPri=14\tPasswd=\tCard=0\tGrp=1\tTZ=", "users",
                     DeviceUser("1001", "Nguyễn Văn An", None, 14), id="user-vietnamese-admin-no-card"),
        pytest.param("USER PIN=7\tName=A=B\tCard=[0000000000]", "users", DeviceUser("7", "A=B", None, None),
                     id="user-equals-in-value-bracket-card"),
        pytest.param("FP PIN=982\tFID=6\tSize=1024\tValid=1\tTMP=ocoRgZPRAAAAAA==", "fingerprints", ("982", 6, 1024, True),
                     id="fingerprint"),
        pytest.param("OPLOG 21\t0\t2025-10-14 07:41:09\t0\t0\t0\t0", "operations", (21, "0", datetime(2025, 10, 14, 7, 41, 9), True),
                     id="oplog-set-time-tamper"),
        pytest.param("OPLOG 4\t1001\t2025-10-14 07:41:09", "operations", (4, "1001", datetime(2025, 10, 14, 7, 41, 9), False),
                     id="oplog-menu-short"),
    ],
)
def test_operlog_lines(line: str, kind: str, value) -> None:
    batch = parse_operlog(line + "\r\n")
    assert batch.errors == []
    (record,) = getattr(batch, kind)
    if kind == "fingerprints":
        record = (record.user_id, record.finger, record.size, record.valid)
    elif kind == "operations":
        record = (record.code, record.admin, record.timestamp, record.tamper)
    assert record == value


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        pytest.param("USER pin=1\tName=x", "no PIN= field", id="field-names-are-case-sensitive"),
        pytest.param("user PIN=1", "no record tag", id="tag-is-case-sensitive"),
        pytest.param("USER PIN=1\tPIN=2", "given twice", id="repeated-field"),
        pytest.param("USER PIN=1\tName", "is not Field=Value", id="pair-without-equals"),
        pytest.param("USER PIN=" + "9" * 30, "not a clock user id", id="pin-too-long"),
        pytest.param("USER PIN=1\tPri=admin", "Pri is not a number", id="privilege-word"),
        pytest.param("FP PIN=1\tSize=10", "no FID", id="fingerprint-without-finger"),
        pytest.param("OPLOG x\t0\t2025-10-14 07:41:09", "code is not a number", id="oplog-code-word"),
        pytest.param("OPLOG 21\t0", "needs code, admin and time", id="oplog-short"),
        pytest.param("OPLOG 21\t0\t2025-02-30 07:41:09", "no such date", id="oplog-impossible-date"),
        pytest.param("OPLOG 21\t0\t1999-02-03 07:41:09", "year 1999", id="oplog-implausible-year"),
        pytest.param("USER PIN=1\x00\tName=x", "control character", id="control-character"),
        pytest.param("garbage", "no record tag", id="garbage"),
    ],
)
def test_operlog_refusals(line: str, reason: str) -> None:
    batch = parse_operlog(f"OPLOG 0\t0\t2025-10-14 07:00:00\n{line}\nOPLOG 1\t0\t2025-10-14 18:00:00\n")
    assert [op.code for op in batch.operations] == [0, 1]
    (error,) = batch.errors
    assert error.line == 2 and reason in error.reason


def test_operlog_skips_tables_it_does_not_read_and_lists_tamper() -> None:
    body = "\n".join([
        "BIODATA Pin=1\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=5\tTmp=AAAA",
        "USERPIC PIN=1\tFileName=1.jpg\tSize=10\tContent=AAAA",
        format_oplog_line(OpCode.DELETE_ATTENDANCE, "1", datetime(2025, 10, 14, 7, 0)),
        format_oplog_line(OpCode.ENTER_MENU, "1", datetime(2025, 10, 14, 7, 0)),
    ])
    batch = parse_operlog(body)
    assert batch.errors == [] and dict(batch.skipped) == {"BIODATA": 1, "USERPIC": 1}
    assert [op.name for op in batch.tamper] == ["delete_attendance"]
    assert TAMPER_CODES == {13, 21, 22, 23}


# --- replies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "style", "text"),
    [
        pytest.param(timedelta(hours=7), "hh:mm", "+07:00", id="hanoi-hh:mm"),
        pytest.param(timedelta(hours=7), "hours", "7", id="hanoi-hours"),
        pytest.param(timedelta(hours=7), "minutes", "420", id="hanoi-minutes"),
        pytest.param(timedelta(hours=5, minutes=30), "hours", "5.5", id="india-hours"),
        pytest.param(timedelta(hours=5, minutes=30), "minutes", "330", id="india-minutes"),
        pytest.param(timedelta(hours=-3, minutes=-30), "hh:mm", "-03:30", id="newfoundland-hh:mm"),
        pytest.param(timedelta(hours=-5), "hours", "-5", id="negative-hours"),
        pytest.param(timedelta(0), "hh:mm", "+00:00", id="utc"),
    ],
)
def test_timezone_formats(offset: timedelta, style: str, text: str) -> None:
    assert format_timezone(offset, style) == text
    assert parse_timezone(text) == offset
    assert f"TimeZone={text}\n" in options_reply(SN, PushOptions(utc_offset=offset, timezone_format=style))


def test_options_reply_lines_and_crlf() -> None:
    reply = options_reply(SN, PushOptions(delay=10, realtime=False, extra={"PushComKey": "123"}),
                          attlog_stamp="2025-10-14T07:52:03", operlog_stamp="77", line_ending="crlf")
    lines = reply.split("\r\n")
    assert lines[0] == f"GET OPTION FROM: {SN}" and lines[-1] == ""
    assert "\n" not in "".join(lines)
    options = parse_options_reply(reply)
    assert options["ATTLOGStamp"] == "2025-10-14T07:52:03" and options["OPERLOGStamp"] == "77"
    assert (options["Delay"], options["Realtime"], options["PushComKey"]) == ("10", "0", "123")
    assert options["TransFlag"] == "TransData AttLog\tOpLog" and options["TransTimes"] == "00:00;14:05"
    assert {"ErrorDelay", "TransInterval", "Encrypt", "TimeZone", "Timeout", "SyncTime", "ServerVer"} <= set(options)


@pytest.mark.parametrize(
    ("build", "words"),
    [
        pytest.param(lambda: options_reply("bad sn"), "not a serial number", id="sn"),
        pytest.param(lambda: options_reply(SN, attlog_stamp="1\nDelay=0"), "a stamp is", id="stamp-injection"),
        pytest.param(lambda: PushOptions(extra={"Delay\nX": "1"}), "extra option", id="option-name-injection"),
        pytest.param(lambda: PushOptions(extra={"A": "1\nDelay=0"}), "extra option", id="option-value-injection"),
        pytest.param(lambda: PushOptions(trans_times=("25:00",)), "trans_times", id="bad-trans-time"),
        pytest.param(lambda: PushOptions(trans_times=("00:00",) * 11), "trans_times", id="too-many-trans-times"),
        pytest.param(lambda: PushOptions(trans_flag="x" * 91), "90 characters", id="long-trans-flag"),
        pytest.param(lambda: PushOptions(timezone_format="iana"), "timezone_format", id="timezone-format"),
        pytest.param(lambda: options_reply(SN, line_ending="cr"), "line_ending", id="line-ending"),
    ],
)
def test_options_reply_refuses_what_would_break_it(build, words: str) -> None:
    with pytest.raises((ValueError, BadSerialNumber), match=words):
        build()


def test_time_and_ok_replies() -> None:
    moment = datetime(2025, 10, 14, 7, 41, 9, 500, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert time_reply(moment) == "Time=2025-10-14T07:41:09+07:00"
    assert parse_time_reply(time_reply(moment)) == moment.replace(microsecond=0)
    with pytest.raises(ValueError, match="aware"):
        time_reply(datetime(2025, 10, 14))
    assert (ok_reply(), ok_reply(3)) == ("OK", "OK: 3")


# --- commands ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "text", "verb"),
    [
        pytest.param(query_attlog(datetime(2025, 10, 13), datetime(2025, 10, 13, 23, 59, 59)),
                     "DATA QUERY ATTLOG StartTime=2025-10-13T00:00:00\tEndTime=2025-10-13T23:59:59", "DATA", id="query"),
        pytest.param(info(), "INFO", "INFO", id="info"),
        pytest.param(check(), "CHECK", "CHECK", id="check"),
        pytest.param(reboot(), "REBOOT", "REBOOT", id="reboot"),
        pytest.param(set_time(datetime(2025, 10, 14, 7, 41, 9)), "SET OPTION DateTime=828776469", "SET OPTION",
                     id="set-time-encoded"),
        pytest.param(set_time(datetime(2025, 10, 14, 7, 41, 9), style="text"), "SET OPTION DateTime=2025-10-14 07:41:09",
                     "SET OPTION", id="set-time-text"),
    ],
)
def test_whitelisted_commands(command: Command, text: str, verb: str) -> None:
    assert (command.text, command.verb) == (text, verb)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("SHELL reboot", id="shell"),
        pytest.param("Shell cat /etc/passwd", id="shell-mixed-case"),
        pytest.param("INFO\nC:2:SHELL ls", id="line-injection"),
        pytest.param("REBOOT ", id="trailing-space"),
        pytest.param("CLEAR LOG", id="clear-log"),
        pytest.param("DATA DELETE USERINFO PIN=1", id="delete-user"),
        pytest.param("DATA UPDATE USERINFO PIN=1\tName=x", id="update-user"),
        pytest.param("SET OPTION Delay=0", id="other-option"),
        pytest.param("SET OPTION DateTime=1;SHELL ls", id="set-time-injection"),
        pytest.param("DATA QUERY ATTLOG StartTime=2025-10-13T00:00:00\tEndTime=x", id="query-bad-end"),
        pytest.param("", id="empty"),
    ],
)
def test_commands_outside_the_whitelist_cannot_be_built(text: str) -> None:
    with pytest.raises(UnsafeCommand, match="not a command this server sends"):
        Command(text)


def test_command_reply_rejects_anything_but_commands_and_checks_ids() -> None:
    with pytest.raises(UnsafeCommand):
        command_reply([(1, "SHELL ls")])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="command id 0"):
        command_reply([(0, info())])
    with pytest.raises(ValueError, match="end is before start"):
        query_attlog(datetime(2025, 10, 14), datetime(2025, 10, 13))
    with pytest.raises(ValueError, match="2000-2099"):
        set_time(datetime(1999, 1, 1))


def test_command_reply_puts_reboot_last_and_only_once() -> None:
    reply = command_reply([(1, reboot()), (2, info()), (3, check()), (4, reboot())])
    assert reply.text == "C:2:INFO\nC:3:CHECK\nC:1:REBOOT\n"
    assert (reply.sent, reply.deferred) == ([2, 3, 1], [4])
    assert parse_command_reply(reply.text) == [(2, "INFO"), (3, "CHECK"), (1, "REBOOT")]


def test_command_reply_caps_count_and_bytes() -> None:
    many = command_reply([(n, check()) for n in range(1, 301)])
    assert len(many.sent) == MAX_COMMANDS_PER_REPLY and many.deferred == list(range(201, 301))
    query = query_attlog(datetime(2025, 1, 1), datetime(2025, 1, 1, 23, 59, 59))
    big = command_reply([(n, query) for n in range(1, 1000)], max_commands=10_000)
    assert len(big.text.encode()) <= MAX_REPLY_BYTES < len(big.text.encode()) + 90
    assert big.sent + big.deferred == list(range(1, 1000))
    assert command_reply([]) == ("OK", [], [])
    assert command_reply([(1, info())], line_ending="\r\n").text == "C:1:INFO\r\n"


@pytest.mark.parametrize(
    ("body", "results", "errors"),
    [
        pytest.param("ID=101&Return=0&CMD=DATA\n", [(101, 0, "DATA", {})], 0, id="one"),
        pytest.param("ID=1&Return=0&CMD=DATA\r\nID=2&Return=0&CMD=DATA\r\nID=3&Return=-1002&CMD=USER\r\n",
                     [(1, 0, "DATA", {}), (2, 0, "DATA", {}), (3, -1002, "USER", {})], 0, id="batched-crlf"),
        pytest.param("ID=5&Return=0&CMD=INFO\n~DeviceName=K40\nFWVersion=Ver 6.60\n",
                     [(5, 0, "INFO", {"DeviceName": "K40", "FWVersion": "Ver 6.60"})], 0, id="info-details"),
        pytest.param("ID=32\nReturn=0\nCMD=Shell\nContent=Tue Mar 24 16:12:26 GMT 2026\n",
                     [(32, 0, "Shell", {"Content": "Tue Mar 24 16:12:26 GMT 2026"})], 0, id="one-field-a-line"),
        pytest.param("Return=0\nID=7&Return=x&CMD=DATA\nID=8&Return=0&CMD=CHECK\n", [(8, 0, "CHECK", {})], 2,
                     id="orphan-and-bad-return"),
        pytest.param("ID=abc&Return=0&CMD=DATA\n!!!\n", [], 2, id="bad-id-and-garbage"),
    ],
)
def test_command_results(body: str, results: list[tuple], errors: int) -> None:
    parsed = parse_command_results(body)
    assert [(r.id, r.return_code, r.cmd, dict(r.details)) for r in parsed.results] == results
    assert len(parsed.errors) == errors


def test_command_result_meanings() -> None:
    assert CommandResult(1, -1002, "USER").meaning == "not supported"
    assert CommandResult(1, 0, "INFO").ok and not CommandResult(1, -4, "DATA").ok


# --- device status, registry ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Ver 6.60,120,118,5021,10.1.2.50,10,7,0,111",
                     DeviceStatus("Ver 6.60", 120, 118, 5021, "10.1.2.50", "10", "7", 0, "111"), id="full"),
        pytest.param("Ver 8.0.4,5,3", DeviceStatus("Ver 8.0.4", 5, 3), id="short"),
        pytest.param("ZAM180,x,,12", DeviceStatus("ZAM180", None, None, 12), id="counts-not-numbers"),
        pytest.param("", DeviceStatus(""), id="empty"),
    ],
)
def test_device_status(text: str, expected: DeviceStatus) -> None:
    assert parse_device_status(text) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("DeviceType=att,~DeviceName=SpeedFace-V5L,FirmVer=ZAM180-NF-Ver1.1.17",
                     {"DeviceType": "att", "DeviceName": "SpeedFace-V5L", "FirmVer": "ZAM180-NF-Ver1.1.17"}, id="plain"),
        pytest.param("~DeviceName=K40,Pro,MAC=00:17:61:12:f8:db,", {"DeviceName": "K40,Pro", "MAC": "00:17:61:12:f8:db"},
                     id="comma-in-value"),
        pytest.param("A=1,\nB=2", {"A": "1", "B": "2"}, id="lines"),
    ],
)
def test_registry(body: str, expected: dict[str, str]) -> None:
    assert parse_registry(body) == expected


def test_registry_refuses_what_is_not_pairs() -> None:
    with pytest.raises(PushFrameError, match="not Key=Value"):
        parse_registry("hello, world")


# --- size caps --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "size", "error"),
    [
        pytest.param(None, 0, None, id="absent"),
        pytest.param("", 0, None, id="empty"),
        pytest.param(" 512 ", 512, None, id="spaces"),
        pytest.param(str(2 * 1024 * 1024), 2 * 1024 * 1024, None, id="at-the-cap"),
        pytest.param(str(2 * 1024 * 1024 + 1), None, "more than", id="over-the-cap"),
        pytest.param("-1", None, "not a byte count", id="negative"),
        pytest.param("1e6", None, "not a byte count", id="float"),
        pytest.param("١٢", None, "not a byte count", id="arabic-digits"),
    ],
)
def test_content_length(value: str | None, size: int | None, error: str | None) -> None:
    if error is None:
        assert check_content_length(value) == size
    else:
        with pytest.raises(BodyTooLarge, match=error):
            check_content_length(value)


def test_check_body_counts_bytes_not_characters() -> None:
    check_body("đ" * 50, limit=100)
    with pytest.raises(BodyTooLarge):
        check_body("đ" * 51, limit=100)


# --- properties -------------------------------------------------------------------------

junk = st.one_of(st.binary(max_size=400), st.text(max_size=400))
attlog_ish = st.lists(
    st.one_of(
        st.text(alphabet="0123456789 \t:-T\r\n", max_size=40),
        st.builds(lambda a, b, c: f"{a}\t{b}\t{c}", st.text(max_size=8), st.text(alphabet="0123456789-: T", max_size=22),
                  st.text(max_size=5)),
    ),
    max_size=8,
).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(junk, attlog_ish))
def test_any_input_gives_punches_and_line_errors_never_another_exception(body: bytes | str) -> None:
    for parser in (parse_attlog, parse_operlog, parse_command_results):
        try:
            batch = parser(body)
        except FrameError:
            continue
        for error in getattr(batch, "errors", []):
            assert error.line >= 1 and len(error.excerpt) <= 41


@settings(max_examples=300, deadline=None)
@given(junk)
def test_any_query_or_registry_raises_only_frame_errors(data: bytes | str) -> None:
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    for parser in (parse_query, parse_registry):
        try:
            parser(text)
        except FrameError:
            pass


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=5), st.lists(st.text(max_size=60), max_size=5))
def test_a_good_line_stays_good_whatever_surrounds_it(before: list[str], after: list[str]) -> None:
    good = "1001\t2025-10-14 07:52:03\t0\t15\t0"
    batch = parse_attlog("\n".join([*before, good, *after]))
    assert any(p.raw == good and p.timestamp == WHEN for p in batch.punches)


pins = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=24)
moments = st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59)).map(
    lambda d: d.replace(microsecond=0))


@given(pins, moments, st.integers(0, 5), st.integers(0, 255), st.integers(0, 999_999), st.integers(5, 10),
       st.sampled_from(["\t", " ", "   "]), st.booleans(), st.sampled_from(["\n", "\r\n"]))
def test_attlog_format_parse_round_trip(pin, moment, state, verify, work_code, fields, separator, epoch, ending) -> None:
    line = format_attlog_line(pin, moment, state, verify, work_code, fields=fields, separator=separator, epoch=epoch)
    batch = parse_attlog(line + ending + line + ending, states="legacy")
    assert batch.errors == []
    assert [p[:5] for p in batch.punches] == [Punch(pin, moment, verify, state, work_code)[:5]] * 2


@given(pins, moments, st.integers(0, 5), st.integers(0, 255), st.integers(0, 999_999))
def test_the_plain_form_reads_as_the_general_path_does(pin, moment, state, verify, work_code) -> None:
    # the plain form (TAB, zero-padded time, small numbers) has a fast path; spaces beside
    # the TABs, an unpadded time and zero-padded numbers take the general one
    plain = f"{pin}\t{moment:%Y-%m-%d %H:%M:%S}\t{state}\t{verify}\t{work_code}"
    general = (f"{pin} \t {moment.year}-{moment.month}-{moment.day} {moment.hour}:{moment:%M:%S} \t"
               f"{state:03d}\t{verify:04d}\t{work_code:06d}")
    fast, slow = parse_attlog(plain, states="legacy"), parse_attlog(general, states="legacy")
    assert fast.errors == slow.errors == []
    assert fast.punches[0][:5] == slow.punches[0][:5] == (pin, moment, verify, state, work_code)


# pieces of ATTLOG lines: mostly the plain form, with every way a piece can leave it
_pin_piece = st.one_of(pins, pins, st.sampled_from(["", " 1001", "1001 ", "10 01", "x" * 25, "nguyễn", "10\x0101", "\ufffd"]))
_stamp_piece = st.one_of(
    moments.map(lambda d: f"{d:%Y-%m-%d %H:%M:%S}"), moments.map(lambda d: f"{d:%Y-%m-%dT%H:%M:%S}"),
    st.sampled_from(["2026-02-30 08:00:00", "2026-10-14 24:00:00", "2026-10-14 08:60:00", "2026-13-01 08:00:00",
                     "1999-12-31 23:59:59", "2100-01-01 00:00:00", "2026-10-14 7:52:03", "2026-10-14 07:52",
                     "1760400000", "", "2026-10-14  07:52:03"]),
)
_number_piece = st.one_of(st.integers(0, 16).map(str), st.integers(0, 999).map(str), st.sampled_from(["", "01", "000", "1000", "999999", "1a", " 1", "1 ", "-1"]))
_extra_piece = st.one_of(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=8),
                         st.sampled_from(["a  b", " ", "ý", "\x7f"]))
_separator = st.sampled_from(["\t"] * 8 + [" \t", "\t ", "  ", " "])


@st.composite
def _attlog_lines(draw) -> str:
    fields = [draw(_pin_piece), draw(_stamp_piece)]
    fields += [draw(_number_piece) for _ in range(draw(st.integers(0, 3)))]
    fields += [draw(_extra_piece) for _ in range(draw(st.integers(0, 3)))]
    line = fields[0]
    for field in fields[1:]:
        line += draw(_separator) + field
    return line


@settings(max_examples=1000)
@given(st.lists(_attlog_lines(), min_size=1, max_size=6), st.sampled_from(["\n", "\r\n"]),
       st.sampled_from(["push-3.2.0", "legacy"]), st.sampled_from([None, {15: 9, 1: 2}]), st.sampled_from([40, 512]))
def test_the_plain_line_path_reads_every_line_as_the_general_path(lines, ending, states, verify_modes, max_line) -> None:
    text = ending.join(lines) + ending
    options = (STATE_TABLES[states], verify_modes, (2010, 2099), None, max_line)
    fast, general = read_attlog(text, *options), read_attlog(text, *options, plain_path=False)
    assert fast.punches == general.punches
    assert fast.errors == general.errors
    assert fast.lines == general.lines


# whole bodies mostly of plain lines, so that the whole-body path is taken often and
# left for the line-by-line one by any single line that is not plain
_plain_lines = st.builds(lambda pin, moment, numbers, extra: "\t".join([pin, f"{moment:%Y-%m-%d %H:%M:%S}", *numbers, *extra]),
                         pins, moments, st.lists(st.integers(0, 999).map(str), max_size=3),
                         st.lists(st.sampled_from(["0", "", "ab c"]), max_size=2))
_body_lines = st.one_of(*[_plain_lines] * 12, _attlog_lines(), st.sampled_from(["", "   ", "\t", "x" * 600]))


@settings(max_examples=500)
@given(st.lists(_body_lines, min_size=1, max_size=12), st.sampled_from(["\n", "\r\n", "\r"]),
       st.sampled_from(["push-3.2.0", "legacy"]), st.sampled_from([None, {15: 9, 1: 2}]), st.sampled_from([(2010, 2099), (2020, 2030)]))
def test_the_whole_body_path_reads_a_body_as_line_by_line(lines, ending, states, verify_modes, years) -> None:
    text = ending.join(lines) + ending
    options = (STATE_TABLES[states], verify_modes, years, None, 512)
    whole = read_attlog(text, *options)
    by_line = read_attlog(text, *options, whole_body=False)
    general = read_attlog(text, *options, plain_path=False)
    assert whole.punches == by_line.punches == general.punches
    assert whole.errors == by_line.errors == general.errors
    assert whole.lines == by_line.lines == general.lines


def test_a_plain_body_is_read_whole_and_one_line_off_form_sends_it_line_by_line(monkeypatch) -> None:
    body = "1001\t2026-10-14 07:52:03\t0\t1\t0\t0\t0\r\n\r\n1002\t2026-10-14 07:53:04\t1\t15\r\n"
    options = (STATE_TABLES["legacy"], {15: 9}, (2020, 2030), None, 512)
    batch = read_attlog(body, *options)
    assert [p[:5] for p in batch.punches] == [("1001", datetime(2026, 10, 14, 7, 52, 3), 1, 0, 0),
                                              ("1002", datetime(2026, 10, 14, 7, 53, 4), 9, 1, None)]
    assert batch.punches[1].raw == "1002\t2026-10-14 07:53:04\t1\t15" and batch.lines == 2
    from drivers.adms import attlog

    calls = []
    real = attlog._punch
    monkeypatch.setattr(attlog, "_punch", lambda line, *rest: calls.append(line) or real(line, *rest))
    assert read_attlog(body, *options).punches == batch.punches and calls == []  # whole, no line read alone
    off_form = body + "1003 \t2026-10-14 07:54:05\r\n"  # a space beside the TAB
    assert len(read_attlog(off_form, *options).punches) == 3 and calls == ["1003 \t2026-10-14 07:54:05"]


@pytest.mark.parametrize("stamp", ["2026-02-30 08:00:00", "2026-10-14 24:00:00", "2026-10-14 08:60:00",
                                   "2026-13-01 08:00:00", "0000-01-01 00:00:00"])
def test_the_plain_form_of_no_real_moment_is_refused_as_before(stamp: str) -> None:
    (error,) = parse_attlog(f"1001\t{stamp}\t0\t1", years=(0, 9999)).errors
    assert error.reason == f"no such date or time {stamp!r}"


@given(st.integers(-12 * 60, 14 * 60).map(lambda m: timedelta(minutes=m)), st.sampled_from(["hh:mm", "minutes", "hours"]))
def test_timezone_round_trip(offset: timedelta, style: str) -> None:
    text = format_timezone(offset, style)
    if style == "minutes" and abs(offset) <= timedelta(minutes=14):
        return  # 0-14 minutes read as hours: no real zone is that close to UTC without being on it
    if style == "hours" and offset.total_seconds() % 900:
        return  # hours are written with %g; only quarter-hour zones exist
    assert parse_timezone(text) == offset


@given(st.lists(st.tuples(st.integers(1, 2**31 - 1), st.sampled_from([info(), check(), reboot()])), max_size=30, unique_by=lambda c: c[0]))
def test_command_reply_round_trip(pending) -> None:
    reply = command_reply(pending)
    assert [command_id for command_id, _ in parse_command_reply(reply.text)] == reply.sent
    assert sorted(reply.sent + reply.deferred) == sorted(command_id for command_id, _ in pending)
    texts = [text for _, text in parse_command_reply(reply.text)]
    assert "REBOOT" not in texts[:-1]


details = st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,8}", fullmatch=True).filter(lambda k: k not in ("ID", "Return", "CMD")),
                          st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20).map(str.strip),
                          max_size=4)


@given(st.lists(st.builds(CommandResult, st.integers(1, 10**9), st.integers(-99999, 99999),
                          st.sampled_from(["DATA", "INFO", "CHECK", "REBOOT"]), details), max_size=5))
def test_command_results_round_trip(results: list[CommandResult]) -> None:
    body = "".join(format_command_result(result) for result in results)
    parsed = parse_command_results(body)
    assert parsed.errors == [] and parsed.results == results


@given(st.builds(DeviceStatus, st.text(alphabet="ABCVer .0123456789-", max_size=12).map(str.strip), st.integers(0, 10**6),
                 st.integers(0, 10**6), st.integers(0, 10**6), st.just("10.1.2.50"), st.just("10"), st.just("7"),
                 st.integers(0, 999), st.just("111")))
def test_device_status_round_trip(status: DeviceStatus) -> None:
    assert parse_device_status(status.format()) == status


@given(st.builds(DeviceUser, pins, st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=24).map(str.strip),
                 st.one_of(st.none(), st.integers(1, 2**32 - 1).map(str)), st.sampled_from([0, 14])))
def test_user_line_round_trip(user: DeviceUser) -> None:
    (parsed,) = parse_operlog(format_user_line(user)).users
    assert parsed == user


def test_naive_time_is_refused_but_utc_works() -> None:
    assert time_reply(datetime(2025, 10, 14, tzinfo=timezone.utc)) == "Time=2025-10-14T00:00:00+00:00"
