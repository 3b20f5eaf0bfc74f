"""How much CPU the serial framers need, against the time their frames take on the wire.

For each framer: a stream of valid frames is fed in 64-byte reads (what a serial read
typically returns) and decoded; the script prints frames decoded per second and the CPU
time per frame as a percentage of that frame's wire time at the protocol's default baud
rate (10 bits per byte: start, 8 data, stop). Target: under 1% for every protocol, so the
host is never the bottleneck of a serial line. ZKTeco's framing is included when the
``drivers.zkteco`` package is present.

Run: .venv/bin/python benchmarks/bench_framers.py [--frames N]
"""

from __future__ import annotations

import argparse
import platform
import struct
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.anviz.frames import DOWNLOAD, GET_TIME, AnvizFramer, decode_records, encode_record, encode_time, reply  # noqa: E402
from drivers.cards import format_card  # noqa: E402
from drivers.fingerprint.packets import GEN_IMG, PacketFramer, ack, command  # noqa: E402
from drivers.lines import LineFormat, LineFramer  # noqa: E402
from drivers.rfid import CardFramer, ascii_frame, binary_frame  # noqa: E402

READ_SIZE = 64


def cases() -> list[tuple[str, Callable[[], Any], bytes, int, Callable[[Any], Any] | None]]:
    """(name, framer factory, one frame's bytes, default baud, per-frame decoding)."""
    records = b"".join(encode_record(1000 + i, 845_000_000 + 60 * i, 0, i % 2, 0) for i in range(25))
    clock_line = "NV017 2026-11-26 17:02:45 1\r\n".encode()
    return [
        ("fingerprint search reply", PacketFramer, ack(0, struct.pack(">HH", 5, 100)).encode(), 57600, None),
        ("fingerprint GenImg command", PacketFramer, command(GEN_IMG).encode(), 57600, None),
        ("rfid RDM6300 ascii", CardFramer, ascii_frame(bytes.fromhex("67003B51C6")), 9600, lambda f: format_card(f.card_id, "decimal")),
        ("rfid binary EM", CardFramer, binary_frame(bytes.fromhex("06008E6D5D")), 9600, lambda f: format_card(f.card_id, "decimal")),
        ("lines wiegand-hex", lambda: LineFramer(LineFormat("wiegand-hex")), b"3B51C6\r", 9600, None),
        ("lines decimal", lambda: LineFramer(LineFormat("decimal")), b"0000123478\r\n", 9600, None),
        (
            "lines pattern with time",
            lambda: LineFramer(LineFormat("pattern", pattern=r"^(?P<badge>\w+)\s+(?P<time>\S+ \S+)\s+(?P<state>\S+)")),
            clock_line,
            9600,
            None,
        ),
        ("anviz get-time reply", AnvizFramer, reply(1, GET_TIME, encode_time(datetime(2026, 11, 26, 8, 0))), 9600, None),
        ("anviz 25-record download", AnvizFramer, reply(1, DOWNLOAD, bytes([25]) + records), 9600, lambda f: decode_records(f.data)),
    ]


class _ZkAdapter:
    """ZK's stream framing (feed / next_payload) seen as a framer (feed / next_frame)."""

    def __init__(self, framing: Any):
        self.framing = framing

    def feed(self, data: bytes) -> None:
        self.framing.feed(data)

    def next_frame(self) -> bytes | None:
        return self.framing.next_payload()


def zkteco_cases() -> list[tuple[str, Callable[[], Any], bytes, int, Callable[[Any], Any] | None]]:
    """ZKTeco's serial framing, when that driver is present in this checkout."""
    try:
        from drivers.zkteco.framing import TcpFraming
        from drivers.zkteco.protocol import ACK_OK, CMD_DATA, Packet
    except ImportError:
        return []
    framing = TcpFraming()
    ack = framing.encode(Packet(ACK_OK, session=1, reply=7).encode())
    chunk = framing.encode(Packet(CMD_DATA, session=1, reply=8, data=bytes(range(256)) * 4).encode())
    return [
        ("zkteco ack (tcp framing)", lambda: _ZkAdapter(TcpFraming()), ack, 115200, Packet.decode),
        ("zkteco 1 KiB data chunk", lambda: _ZkAdapter(TcpFraming()), chunk, 115200, Packet.decode),
    ]


def measure(factory: Callable[[], Any], frame: bytes, count: int, decode: Callable[[Any], Any] | None) -> tuple[float, float]:
    """Wall and CPU seconds to decode ``count`` frames fed in serial-sized reads."""
    stream = frame * count
    reads = [stream[i : i + READ_SIZE] for i in range(0, len(stream), READ_SIZE)]
    framer = factory()
    decoded = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for chunk in reads:
        framer.feed(chunk)
        while (found := framer.next_frame()) is not None:
            if decode is not None:
                decode(found)
            decoded += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if decoded != count:
        raise SystemExit(f"decoded {decoded} frames, expected {count}")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20000, help="frames per framer (default 20000)")
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {READ_SIZE}-byte reads, {args.frames} frames each")
    header = f"{'framer':<28} {'bytes':>5} {'baud':>6} {'frames/s':>10} {'CPU us/frame':>13} {'wire ms':>8} {'CPU/wire':>9}"
    print(header)
    print("-" * len(header))
    worst = 0.0
    for name, factory, frame, baud, decode in cases() + zkteco_cases():
        count = args.frames if len(frame) < 100 else max(1, args.frames // 10)
        measure(factory, frame, min(count, 500), decode)  # warm up
        wall, cpu = measure(factory, frame, count, decode)
        per_frame = cpu / count
        wire = len(frame) * 10 / baud
        share = per_frame / wire * 100
        worst = max(worst, share)
        print(f"{name:<28} {len(frame):>5} {baud:>6} {count / wall:>10,.0f} {per_frame * 1e6:>13.2f} {wire * 1e3:>8.2f} {share:>8.3f}%")
    verdict = "OK" if worst < 1 else "OVER TARGET"
    print(f"worst CPU/wire: {worst:.3f}% (target < 1%): {verdict}")


if __name__ == "__main__":
    main()
