"""125 kHz card readers: the fixtures of protocols.md §4.1-4.2, card number forms, and
the driver against the simulated reader over a real pseudo-terminal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drivers.base import Disconnected, DriverError, FrameError
from drivers.cards import format_card, parse_card
from drivers.rfid import CardFramer, CardReader, ascii_frame, binary_frame
from drivers.simulators.rfid import CardReaderSimulator
from drivers.simulators.serial_sim import Faults
from tests.drivers.serial_helpers import Listener, ManualClock, eventually, settings

# --- fixtures from protocols.md ---------------------------------------------------------


def ascii_wire(text: str) -> bytes:
    return b"\x02" + text.encode("ascii") + b"\x03"


@pytest.mark.parametrize(
    "text, card_id, prefix",
    [
        ("67003B51C6CB", 0x003B51C6, 0x67),
        ("67003BA86C98", 0x003BA86C, 0x67),
        ("67003BA86793", 0x003BA867, 0x67),
        ("307E4DE5C224", 0x7E4DE5C2, 0x30),
    ],
    ids=["python-rdm6300 3887558", "fixture 2", "fixture 3", "electrothing module"],
)
def test_valid_rdm6300_frames(text, card_id, prefix):
    framer = CardFramer()
    framer.feed(ascii_wire(text))
    frame = framer.next_frame()
    assert (frame.card_id, frame.prefix, frame.variant) == (card_id, prefix, "ascii")
    assert ascii_frame(bytes.fromhex(text[:10])) == ascii_wire(text)


def test_rdm6300_fixture_bytes_and_number():
    wire = bytes.fromhex("02 36 37 30 30 33 42 35 31 43 36 43 42 03")
    framer = CardFramer()
    framer.feed(wire)
    assert format_card(framer.next_frame().card_id, "decimal") == "0003887558"


@pytest.mark.parametrize(
    "wire, problem",
    [
        (ascii_wire("68003B51C6CB"), "check CB != C4"),
        (ascii_wire("67003B51C6CB")[:-1] + b"\x04", "not 03"),
        (b"\x02\x36\x37\x30\x30\x33\x47", "not a hex digit"),
        (bytes.fromhex("02 0A 02 06 00 8E 6D 5D B1 03"), "BCC"),
        (bytes.fromhex("02 04 02 06 03"), "length byte"),
    ],
    ids=["invalid fixture 68003B51C6CB", "wrong end byte", "non-hex character", "binary bad BCC", "binary short length"],
)
def test_invalid_frames_raise_frame_error(wire, problem):
    framer = CardFramer()
    framer.feed(wire)
    with pytest.raises(FrameError, match=problem):
        framer.next_frame()


def test_binary_em_variant_vector():
    wire = bytes.fromhex("02 0A 02 06 00 8E 6D 5D B0 03")
    framer = CardFramer()
    framer.feed(wire)
    frame = framer.next_frame()
    assert (frame.variant, frame.prefix, frame.card_id) == ("binary", 0x06, 0x008E6D5D)
    assert format_card(frame.card_id, "decimal") == "0009334109"
    assert binary_frame(bytes.fromhex("06 00 8E 6D 5D")) == wire


# --- card number forms --------------------------------------------------------------------


@pytest.mark.parametrize(
    "form, printed",
    [("decimal", "0003887558"), ("facility", "059,20934"), ("hex", "003B51C6")],
)
def test_card_forms_of_the_rdm6300_fixture(form, printed):
    assert format_card(0x003B51C6, form) == printed


@pytest.mark.parametrize(
    "text",
    ["0003887558", "3887558", "059,20934", "59,20934", "0x003B51C6", "003b51c6", "67003B51C6"],
    ids=["decimal", "decimal unpadded", "facility", "facility unpadded", "0x hex", "hex letters", "whole EM id"],
)
def test_every_printed_form_reads_back(text):
    assert parse_card(text) == 0x003B51C6


@pytest.mark.parametrize("text", ["", "12,345678", "300,1", "99999999999", "card"])
def test_unreadable_card_numbers(text):
    with pytest.raises(ValueError):
        parse_card(text)


def test_unknown_card_form():
    with pytest.raises(ValueError, match="unknown card number form"):
        format_card(1, "octal")


# --- the driver against the simulator ---------------------------------------------------


def open_reader(sim: CardReaderSimulator, now=None, **options) -> CardReader:
    reader = CardReader(settings("rfid", sim.path, **options), now=now or ManualClock())
    reader.open()
    return reader


@pytest.mark.parametrize("variant", ["ascii", "binary"])
def test_a_held_card_is_one_punch(variant):
    clock = ManualClock()
    with CardReaderSimulator(variant=variant, interval=0, seed=5) as sim:
        reader = open_reader(sim, now=clock)
        with Listener(reader) as listener:
            sim.card("0003887558", hold=8)
            sim.card("059,20935", hold=1)  # the next card proves the repeats were read and dropped
            first, second = listener.get(), listener.get()
            assert eventually(lambda: reader.frames_seen == 9)
            assert listener.stop() == []
        reader.close()
    assert [(p.user_id, p.verify_mode, p.timestamp) for p in (first, second)] == [
        ("0003887558", 2, clock.now),
        ("0003887559", 2, clock.now),
    ]
    assert first.raw == sim.frame(0x003B51C6)


def test_repeat_seconds_counts_from_the_last_sighting():
    clock = ManualClock()
    with CardReaderSimulator(interval=0) as sim:
        reader = open_reader(sim, now=clock, repeat_seconds=30)
        with Listener(reader) as listener:
            sim.card("0003887558", hold=1)
            first = listener.get()
            for seen in (2, 3):  # shown again every 20 s: always within 30 s of the last sighting
                clock.advance(20)
                sim.card("0003887558", hold=1)
                assert eventually(lambda: reader.frames_seen == seen)
            clock.advance(30)
            sim.card("0003887558", hold=1)
            second = listener.get()
        reader.close()
    assert second.timestamp - first.timestamp == timedelta(seconds=70)


def test_debouncing_off():
    with CardReaderSimulator(interval=0) as sim:
        reader = open_reader(sim, repeat_seconds=0)
        with Listener(reader) as listener:
            sim.card("0003887558", hold=3)
            assert [listener.get().user_id for _ in range(3)] == ["0003887558"] * 3
        reader.close()


@pytest.mark.parametrize("form, printed", [("decimal", "0003887558"), ("facility", "059,20934"), ("hex", "003B51C6")])
def test_card_format_option(form, printed):
    with CardReaderSimulator(interval=0) as sim:
        reader = open_reader(sim, card_format=form)
        with Listener(reader) as listener:
            sim.card("0x003B51C6")
            assert listener.get().user_id == printed
        reader.close()


@pytest.mark.parametrize(
    "faults",
    [Faults(corrupt_every=2), Faults(truncate_every=2), Faults(garbage_every=1)],
    ids=["corrupt checksum", "truncated frame", "garbage between frames"],
)
def test_bad_frames_are_dropped_and_counted(faults):
    with CardReaderSimulator(interval=0, faults=faults, seed=11) as sim:
        reader = open_reader(sim)
        with Listener(reader) as listener:
            sim.card("0003887558", hold=4)
            sim.card("0009334109", hold=4)
            assert [listener.get().user_id, listener.get().user_id] == ["0003887558", "0009334109"]
            if faults.garbage_every:
                assert eventually(lambda: reader.frames_seen == 8)
            else:  # every other frame spoiled: the last one is given up when the line goes quiet
                assert eventually(lambda: (reader.frames_seen, reader.bad_frames) == (4, 4))
            assert listener.stop() == []
        reader.close()


def test_frames_sent_before_open_are_not_punches():
    with CardReaderSimulator(interval=0) as sim:
        sim.card("0003887558")  # nobody listening yet
        reader = open_reader(sim)
        with Listener(reader) as listener:
            sim.card("0009334109")
            assert listener.get().user_id == "0009334109"
            assert listener.stop() == []
        reader.close()


def test_unplugging_raises_disconnected():
    with CardReaderSimulator(interval=0) as sim:
        reader = open_reader(sim)
        with Listener(reader) as listener:
            sim.unplug()
            assert listener.done.wait(5)
            listener.stop(raise_error=False)
        reader.close()
    assert isinstance(listener.error, Disconnected)


def test_output_only_readers_cannot_be_probed_or_asked():
    assert CardReader.probe("/dev/null") is None
    reader = CardReader(settings("rfid", "loop://"))
    info = reader.info()
    assert info.protocol == "rfid" and info.extra["frames_seen"] == 0
    with pytest.raises(DriverError):
        reader.read_clock()


def test_bad_card_format_option():
    with pytest.raises(DriverError, match="card_format = 'octal'"):
        CardReader(settings("rfid", "loop://", card_format="octal"))


def test_simulator_commands():
    with CardReaderSimulator(interval=0) as sim:
        assert sim.execute("card 059,20934") == "card 0003887558 (059,20934, 003B51C6) presented"
        assert sim.execute("card") == "error: usage: card NUMBER"
        assert sim.execute("card nonsense").startswith("error:")
        assert sim.execute("fly").startswith("unknown command 'fly'")
