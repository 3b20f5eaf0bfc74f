"""Line-printing readers: the Wiegand-to-RS232 examples of protocols.md §4.3, the
configurable pattern, and the driver against the simulator over a real pseudo-terminal."""

from __future__ import annotations

from datetime import datetime

import pytest

from drivers.base import DriverError, FrameError
from drivers.lines import LineFormat, LineFramer, LineReader
from drivers.simulators.lines import LinePrinterSimulator
from drivers.simulators.serial_sim import Faults
from tests.drivers.serial_helpers import Listener, ManualClock, drain, eventually, settings


def lines_of(wire: bytes, line_format: LineFormat, **framer_options) -> list:
    framer = LineFramer(line_format, **framer_options)
    framer.feed(wire)
    frames, errors = drain(framer)
    assert errors == 0
    return frames


# --- vectors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form, badge",
    [("decimal", "0003887558"), ("facility", "059,20934"), ("hex", "003B51C6")],
)
def test_wiegand_hex_line(form, badge):
    [record] = lines_of(b"3B51C6\r", LineFormat("wiegand-hex", card_format=form))
    assert (record.badge, record.time, record.state, record.raw) == (badge, None, None, b"3B51C6")


def test_s4a_decimal_example():
    wire = bytes.fromhex("30 30 30 30 31 32 33 34 37 38 0D 0A")
    [record] = lines_of(wire, LineFormat("decimal"))
    assert record.badge == "0000123478" == f"{0x1E256:010d}"
    [record] = lines_of(wire, LineFormat("decimal", card_format="facility"))
    assert record.badge == "001,57942"


def test_noise_before_the_number_on_the_same_line_is_ignored():
    [record] = lines_of(b"\x00\xff~A3B51C6\r", LineFormat("wiegand-hex"))
    assert record.badge == "0003887558"


@pytest.mark.parametrize(
    "wire, problem",
    [(b"3B51CX\r", "does not match"), (b"12345\r\n", "does not match"), (b"9999999999\r\n", "larger than")],
    ids=["not hex", "too short", "over 32 bits"],
)
def test_unreadable_lines_raise_frame_error(wire, problem):
    line_format = LineFormat("decimal" if wire.endswith(b"\n") else "wiegand-hex")
    framer = LineFramer(line_format)
    framer.feed(wire)
    with pytest.raises(FrameError, match=problem):
        framer.next_frame()


def test_a_line_without_terminator_is_given_up_when_the_line_goes_quiet():
    framer = LineFramer(LineFormat("wiegand-hex"))
    framer.feed(b"3B51")
    assert framer.next_frame() is None
    with pytest.raises(FrameError, match="no terminator"):
        framer.expire()
    framer.feed(b"3B51C6\r")
    assert framer.next_frame().badge == "0003887558"


def test_an_endless_line_is_rejected():
    framer = LineFramer(LineFormat("decimal"))
    framer.feed(b"7" * 600)
    with pytest.raises(FrameError, match="no line terminator"):
        framer.next_frame()
    assert framer.pending == 0


# --- the configurable pattern ---------------------------------------------------------------

CLOCK_LINE = r"^(?P<badge>\w+)\s+(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+(?P<state>\S+)"


@pytest.mark.parametrize(
    "text, state",
    [("NV001 2026-11-26 07:58:12 0", 0), ("NV001 2026-11-26 07:58:12 OUT", 1), ("NV001 2026-11-26 07:58:12 vào", 0), ("NV001 2026-11-26 07:58:12 ?", None)],
    ids=["number", "out", "Vietnamese", "unknown word"],
)
def test_pattern_with_badge_time_and_state(text, state):
    [record] = lines_of((text + "\r\n").encode("utf-8"), LineFormat("pattern", pattern=CLOCK_LINE), encoding="utf-8")
    assert (record.badge, record.time, record.state) == ("NV001", datetime(2026, 11, 26, 7, 58, 12), state)


def test_pattern_with_own_terminator_encoding_and_time_format():
    line_format = LineFormat("pattern", pattern=r"(?P<badge>\d+)\|(?P<time>[\d/ :]+)", time_format="%d/%m/%Y %H:%M")
    wire = "Nguyễn Văn Hùng 00042|26/11/2026 13:31;00043|26/11/2026 13:32;".encode("utf-8")
    records = lines_of(wire, line_format, encoding="utf-8", terminator=";")
    assert [(r.badge, r.time) for r in records] == [("00042", datetime(2026, 11, 26, 13, 31)), ("00043", datetime(2026, 11, 26, 13, 32))]


def test_pattern_time_that_does_not_parse():
    framer = LineFramer(LineFormat("pattern", pattern=CLOCK_LINE))
    framer.feed(b"NV001 2026-13-26 07:58:12 0\n")
    with pytest.raises(FrameError, match="does not match '%Y-%m-%d %H:%M:%S'"):
        framer.next_frame()


@pytest.mark.parametrize(
    "options, problem",
    [
        ({"line_format": "pattern"}, "needs a pattern"),
        ({"line_format": "pattern", "pattern": "(?P<who>x)"}, "no \\(\\?P<badge>"),
        ({"line_format": "pattern", "pattern": "(?P<badge>"}, "not a valid regular expression"),
        ({"line_format": "csv"}, "line_format = 'csv'"),
        ({"encoding": "klingon"}, "unknown encoding"),
        ({"terminator": ""}, "terminator is empty"),
    ],
    ids=["no pattern", "no badge group", "bad regex", "unknown format", "unknown encoding", "empty terminator"],
)
def test_bad_options_are_refused_with_a_hint(options, problem):
    with pytest.raises(DriverError, match=problem) as caught:
        LineReader(settings("lines", "loop://", **options))
    assert caught.value.hint


# --- the driver against the simulator -------------------------------------------------------


def open_reader(sim: LinePrinterSimulator, now=None, **options) -> LineReader:
    reader = LineReader(settings("lines", sim.path, **options), now=now or ManualClock())
    reader.open()
    return reader


@pytest.mark.parametrize("line_format", ["wiegand-hex", "decimal"])
def test_converter_cards_become_punches_stamped_by_the_host(line_format):
    clock = ManualClock()
    with LinePrinterSimulator(line_format=line_format) as sim:
        reader = open_reader(sim, now=clock, line_format=line_format, card_format="facility")
        with Listener(reader) as listener:
            sim.card("0003887558")
            sim.card("0003887558")  # repeated read of the same card: debounced
            sim.card("0x1E256")
            punches = [listener.get(), listener.get()]
            assert eventually(lambda: reader.frames_seen == 3)
            assert listener.stop() == []
        reader.close()
    assert [(p.user_id, p.timestamp, p.verify_mode) for p in punches] == [
        ("059,20934", clock.now, 2),
        ("001,57942", clock.now, 2),
    ]


def test_a_printing_clock_keeps_its_own_time_and_state():
    with LinePrinterSimulator(line_format="decimal", terminator="\r\n", encoding="utf-8") as sim:
        reader = open_reader(sim, line_format="pattern", pattern=CLOCK_LINE, encoding="utf-8", repeat_seconds=0)
        with Listener(reader) as listener:
            sim.line("Trần Thị Mai")  # a banner line: dropped, not fatal
            sim.line("NV017 2026-11-26 17:02:45 ra")
            punch = listener.get()
            assert eventually(lambda: reader.bad_frames == 1)
        reader.close()
    assert (punch.user_id, punch.timestamp, punch.state, punch.verify_mode) == ("NV017", datetime(2026, 11, 26, 17, 2, 45), 1, None)
    assert punch.raw == b"NV017 2026-11-26 17:02:45 ra"


@pytest.mark.parametrize(
    "faults, read, bad",
    [
        # lines 2 and 4 garbled: both dropped as unreadable
        (Faults(corrupt_every=2), ["000001", "000003"], 2),
        # half of line 2 runs into line 3, whose digits end the joined line; the half
        # of line 4 is given up when the line goes quiet
        (Faults(truncate_every=2), ["000001", "000003"], 1),
        # noise before every line (seed 2 draws no line end): the digits at the end still read
        (Faults(garbage_every=1), ["000001", "000002", "000003", "000004"], 0),
    ],
    ids=["corrupt line", "truncated line", "garbage between lines"],
)
def test_faulty_lines(faults, read, bad):
    with LinePrinterSimulator(faults=faults, seed=2) as sim:
        reader = open_reader(sim, repeat_seconds=0, card_format="hex")
        with Listener(reader) as listener:
            for number in ("000001", "000002", "000003", "000004"):
                sim.line(number)
            got = [listener.get().user_id[2:] for _ in read]
            assert eventually(lambda: (reader.frames_seen, reader.bad_frames) == (len(read), bad))
            assert listener.stop() == []
        reader.close()
    assert got == read
