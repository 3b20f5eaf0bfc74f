"""Reading time-clock export files: the ZKTeco attlog.dat variants and plain CSV."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from drivers.attlog import PunchFile, parse_timestamp


def read(tmp_path: Path, data: bytes) -> tuple[list, PunchFile]:
    path = tmp_path / "1_attlog.dat"
    path.write_bytes(data)
    reader = PunchFile(path)
    return list(reader), reader


def test_sdk_line_order_pin_time_device_status_verify_workcode(tmp_path: Path) -> None:
    records, reader = read(tmp_path, b"        1\t2026-10-03 08:59:01\t1\t0\t1\t0\r\n")
    assert reader.summary.format == "zkteco"
    (machine, punch), = records
    assert machine == "1"
    assert punch.user_id == "1"  # space-padded PIN stripped
    assert punch.timestamp == datetime(2026, 10, 3, 8, 59, 1)
    assert (punch.state, punch.verify_mode, punch.work_code) == (0, 1, 0)
    assert punch.raw == "        1\t2026-10-03 08:59:01\t1\t0\t1\t0"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"1\t2026-10-03 08:59:01\t1\t0\t1\t0\n2\t2026-10-03 09:00:00\t1\t1\t1\t0\n", id="lf"),
        pytest.param(b"1\t2026-10-03 08:59:01\t1\t0\t1\t0\r\n2\t2026-10-03 09:00:00\t1\t1\t1\t0\r\n", id="crlf"),
        pytest.param(b"\xef\xbb\xbf1\t2026-10-03 08:59:01\t1\t0\t1\t0\r\n2\t2026-10-03 09:00:00\t1\t1\t1\t0", id="bom-no-final-newline"),
        pytest.param(b"\r\n1\t2026-10-03 08:59:01\t1\t0\t1\t0\r\n\r\n\n2\t2026-10-03 09:00:00\t1\t1\t1\t0\r\n\r\n", id="blank-lines"),
    ],
)
def test_tolerated_variants(tmp_path: Path, data: bytes) -> None:
    records, reader = read(tmp_path, data)
    assert [(p.user_id, p.timestamp.hour) for _, p in records] == [("1", 8), ("2", 9)]
    assert reader.summary.problems == []


def test_old_black_and_white_export_serial_and_checksum_lines(tmp_path: Path) -> None:
    records, reader = read(tmp_path, b"OGT2013061234\r\n1\t2026-10-03 08:59:01\t1\t0\t1\t0\r\n2\t2026-10-03 09:00:00\t1\t1\t1\t0\r\nA1B2C3D4\r\n")
    assert len(records) == 2
    assert reader.summary.serial_number == "OGT2013061234"
    assert reader.summary.checksum_line == "A1B2C3D4"
    assert reader.summary.problems == []


def test_bad_lines_are_reported_with_numbers_and_good_lines_still_come(tmp_path: Path) -> None:
    data = (
        b"1\t2026-10-03 08:59:01\t1\t0\t1\t0\r\n"
        b"2\t2026-13-03 09:00:00\t1\t0\t1\t0\r\n"
        b"\t2026-10-03 09:00:00\t1\t0\t1\t0\r\n"
        b"garbage\r\n"
        b"4\t2026-10-03 09:02:00\t1\tin\t1\t0\r\n"
        b"5\t2026-10-03 09:03:00\t1\t0\t1\t0\r\n"
        b"6\t2026-10-03 09:04:00\xff\t1\t0\t1\t0\r\n"
        b"7\t2026-10-03 09:05:00\t1\t0\t1\t0\r\n"
    )
    records, reader = read(tmp_path, data)
    assert [p.user_id for _, p in records] == ["1", "5", "7"]
    assert reader.summary.problems == [
        (2, "bad time '2026-13-03 09:00:00' (expected 2026-10-03 08:59:01)"),
        (3, "empty PIN (first field)"),
        (4, "not a punch record: 'garbage'"),
        (5, "status, verify and workcode must be numbers: ['in', '1', '0']"),
        (7, "not UTF-8 text"),
    ]


def test_plain_csv_with_header_and_states(tmp_path: Path) -> None:
    path = tmp_path / "punches.csv"
    path.write_text("badge,timestamp,state\n0003887558,2026-10-03 07:28:00,vào\n0003887558,03/10/2026 17:02,out\n12;2026-10-03 07:40:00;1\n", encoding="utf-8")
    reader = PunchFile(path)
    records = list(reader)
    assert reader.summary.format == "csv"
    assert [(p.user_id, p.timestamp, p.state) for _, p in records] == [
        ("0003887558", datetime(2026, 10, 3, 7, 28), 0),
        ("0003887558", datetime(2026, 10, 3, 17, 2), 1),
        ("12", datetime(2026, 10, 3, 7, 40), 1),
    ]


def test_csv_bad_state_and_missing_timestamp(tmp_path: Path) -> None:
    path = tmp_path / "punches.csv"
    path.write_text("77,2026-10-03 07:28:00,maybe\n78\n79,2026-10-03 07:29:00\n", encoding="utf-8")
    reader = PunchFile(path)
    assert [p.user_id for _, p in reader] == ["79"]
    assert reader.summary.problems == [
        (1, "unknown state 'maybe' (use a number, in/out or vào/ra)"),
        (2, "expected badge,timestamp[,state]"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-03 08:59:01", datetime(2026, 10, 3, 8, 59, 1)),
        ("2026-10-03T08:59:01", datetime(2026, 10, 3, 8, 59, 1)),
        ("03/10/2026 08:59", datetime(2026, 10, 3, 8, 59)),
        ("03/10/2026 08:59:07", datetime(2026, 10, 3, 8, 59, 7)),
    ],
)
def test_timestamp_forms(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


def test_timestamp_with_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="local time"):
        parse_timestamp("2026-10-03T08:59:01+07:00")
