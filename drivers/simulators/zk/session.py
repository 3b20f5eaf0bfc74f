"""The device side of the ZK protocol: one :class:`DeviceSession` per connected host.

It answers each request the way a ZK clock does (protocols.md §1.6): connect and
comm-key authentication, sizes, options, clock, the buffered chunked transfer (one
DATA packet per chunk on streams, 1 KiB DATA packets over UDP), live events, and the
faults the tests inject.
"""

from __future__ import annotations

import itertools
import struct
import threading
from collections.abc import Callable

from drivers.base import FrameError, Punch
from drivers.simulators.zk.device import VirtualClock
from drivers.zkteco import protocol as zk
from drivers.zkteco.protocol import Packet
from drivers.zkteco.records import Sizes, encode_event

DIRECT_LIMIT = 1016  # data sets up to this size come as one DATA reply, larger ones staged
UDP_DATA_SIZE = 1024
_session_ids = itertools.count(0x6BA0)


class HangUp(Exception):
    """The simulated clock drops the connection (fault injection)."""


class DeviceSession:
    """One host's session. ``send`` writes one payload to that host."""

    def __init__(
        self,
        clock: VirtualClock,
        send: Callable[[bytes], None],
        *,
        datagram: bool = False,
        stop: threading.Event | None = None,
    ):
        self.clock = clock
        self._send = send
        self.datagram = datagram
        self.stop = stop or threading.Event()
        self.session_id = 0
        self.authenticated = False
        self.staged: bytes | None = None
        self.staged_attendance = False
        self.chunks: dict[int, int] = {}  # start offset -> chunk number
        self.events = 0
        self.send_lock = threading.Lock()

    def close(self) -> None:
        """The host is gone: no more live events. (Like a real clock, a disabled one
        stays disabled until a host enables it.)"""
        self.clock.listeners.discard(self._on_punch)

    # --- dispatch ---------------------------------------------------------------------

    def handle(self, payload: bytes) -> None:
        """Answer one request; :class:`HangUp` when the connection must be dropped."""
        try:
            packet = Packet.decode(payload)
        except FrameError:
            with self.clock.lock:
                self.clock.bad_packets += 1
            return
        if packet.command == zk.ACK_OK:
            return  # a host acknowledging a live event
        if self.clock.faults.slow and self.stop.wait(self.clock.faults.slow):
            return
        if packet.command == zk.CMD_CONNECT:
            self._connect(packet)
        elif packet.command == zk.CMD_AUTH:
            self._auth(packet)
        elif not self.authenticated:
            self.reply(packet, zk.ACK_UNAUTH)
        else:
            handler = self.HANDLERS.get(packet.command)
            if handler is None:
                self.reply(packet, zk.ACK_UNKNOWN)
            else:
                handler(self, packet)

    def reply(self, request: Packet, code: int, data: bytes = b"") -> None:
        self.send(Packet(code, self.session_id, request.reply, data).encode())

    def send(self, payload: bytes) -> None:
        with self.send_lock:
            self._send(payload)

    # --- session ----------------------------------------------------------------------

    def _connect(self, packet: Packet) -> None:
        self.session_id = next(_session_ids) & 0xFFFF
        self.authenticated = not self.clock.comm_key
        self.reply(packet, zk.ACK_OK if self.authenticated else zk.ACK_UNAUTH)

    def _auth(self, packet: Packet) -> None:
        data = packet.data
        # the third byte of the hash is the host's tick byte itself
        good = len(data) == 4 and data == zk.comm_key_hash(self.clock.comm_key, self.session_id, data[2])
        self.authenticated = good
        self.reply(packet, zk.ACK_OK if good else zk.ACK_UNAUTH)

    def _exit(self, packet: Packet) -> None:
        self.reply(packet, zk.ACK_OK)
        self.authenticated = False
        self.close()

    def _ok(self, packet: Packet) -> None:
        self.reply(packet, zk.ACK_OK)

    def _enable(self, packet: Packet) -> None:
        self.clock.enabled = packet.command == zk.CMD_ENABLEDEVICE
        self.reply(packet, zk.ACK_OK)

    # --- queries ----------------------------------------------------------------------

    def _sizes(self, packet: Packet) -> None:
        clock = self.clock
        with clock.lock:
            sizes = Sizes(users=len(clock.users), records=len(clock.log), fingers=len(clock.users),
                          user_capacity=3000, record_capacity=200000)
        self.reply(packet, zk.ACK_OK, sizes.encode())

    def _options(self, packet: Packet) -> None:
        name = packet.data.split(b"\x00", 1)[0].decode("ascii", errors="replace")
        values = {
            "~SerialNumber": self.clock.serial_number,
            "~DeviceName": self.clock.model,
            "~Platform": self.clock.platform,
            "~ZKFPVersion": "10",
            "~ExtendFmt": "1" if self.clock.record_size == 40 else "0",
        }
        if name not in values:
            self.reply(packet, zk.ACK_ERROR)
            return
        self.reply(packet, zk.ACK_OK, f"{name}={values[name]}".encode("ascii") + b"\x00")

    def _version(self, packet: Packet) -> None:
        self.reply(packet, zk.ACK_OK, self.clock.firmware.encode("ascii") + b"\x00")

    def _get_time(self, packet: Packet) -> None:
        self.reply(packet, zk.ACK_OK, struct.pack("<I", zk.encode_time(self.clock.time())))

    def _set_time(self, packet: Packet) -> None:
        if len(packet.data) < 4:
            self.reply(packet, zk.ACK_ERROR)
            return
        self.clock.set_time(zk.decode_time(struct.unpack_from("<I", packet.data)[0]))
        self.reply(packet, zk.ACK_OK)

    def _clear_log(self, packet: Packet) -> None:
        self.clock.clear_log()
        self.reply(packet, zk.ACK_OK)

    # --- buffered transfer ----------------------------------------------------------------

    def _prepare_buffer(self, packet: Packet) -> None:
        if len(packet.data) < 11:
            self.reply(packet, zk.ACK_ERROR)
            return
        _one, command, fct, _ext = struct.unpack_from("<bhii", packet.data)
        if command == zk.CMD_ATTLOG_RRQ:
            dataset = self.clock.attendance_dataset()
        elif command == zk.CMD_USERTEMP_RRQ and fct == zk.FCT_USER:
            dataset = self.clock.user_dataset()
        else:
            self.reply(packet, zk.ACK_ERROR)
            return
        attendance = command == zk.CMD_ATTLOG_RRQ
        if len(dataset) <= DIRECT_LIMIT:
            self.reply(packet, zk.CMD_DATA, dataset)
            if attendance:
                self.clock.download_completed()
            return
        self.staged, self.staged_attendance, self.chunks = dataset, attendance, {}
        self.reply(packet, zk.ACK_OK, b"\x00" + struct.pack("<II", len(dataset), len(dataset)) + bytes(4))

    def _read_buffer(self, packet: Packet) -> None:
        if self.staged is None or len(packet.data) < 8:
            self.reply(packet, zk.ACK_ERROR)
            return
        start, size = struct.unpack_from("<ii", packet.data)
        if start < 0 or size <= 0 or start + size > len(self.staged):
            self.reply(packet, zk.ACK_ERROR)
            return
        faults = self.clock.faults
        # chunks are numbered by where they start, so a retried chunk keeps its number
        chunk = self.chunks.setdefault(start, len(self.chunks) + 1)
        if self.staged_attendance:
            if faults.fires("disconnect_chunk", chunk):
                raise HangUp(f"fault: disconnected at chunk {chunk}")
            if faults.fires("drop_chunk", chunk):
                return
        corrupt = self.staged_attendance and faults.fires("corrupt_chunk", chunk)
        data = self.staged[start : start + size]
        self.reply(packet, zk.CMD_PREPARE_DATA, struct.pack("<II", size, 0))
        pieces = [data[i : i + UDP_DATA_SIZE] for i in range(0, size, UDP_DATA_SIZE)] if self.datagram else [data]
        for index, piece in enumerate(pieces):
            encoded = Packet(zk.CMD_DATA, self.session_id, packet.reply, piece).encode()
            if corrupt and index == 0:
                damaged = bytearray(encoded)
                damaged[-1] ^= 0x5A  # a flipped byte the checksum no longer covers
                encoded = bytes(damaged)
            self.send(encoded)
        self.reply(packet, zk.ACK_OK)

    def _free_data(self, packet: Packet) -> None:
        completed = self.staged is not None and self.staged_attendance
        self.staged = None
        self.reply(packet, zk.ACK_OK)
        if completed:
            self.clock.download_completed()

    # --- live events ------------------------------------------------------------------

    def _reg_event(self, packet: Packet) -> None:
        self.events = struct.unpack_from("<I", packet.data.ljust(4, b"\x00"))[0]
        if self.events & zk.EF_ATTLOG:
            self.clock.listeners.add(self._on_punch)
            self.clock.listening.set()
        else:
            self.clock.listeners.discard(self._on_punch)
        self.reply(packet, zk.ACK_OK)

    def _on_punch(self, punch: Punch, uid: int) -> None:
        event = encode_event(punch, self.clock.record_size, uid)
        try:
            self.send(Packet(zk.CMD_REG_EVENT, zk.EF_ATTLOG, 0, event).encode())
        except OSError:
            self.close()

    HANDLERS: dict[int, Callable[[DeviceSession, Packet], None]] = {
        zk.CMD_EXIT: _exit,
        zk.CMD_ENABLEDEVICE: _enable,
        zk.CMD_DISABLEDEVICE: _enable,
        zk.CMD_GET_FREE_SIZES: _sizes,
        zk.CMD_OPTIONS_RRQ: _options,
        zk.CMD_OPTIONS_WRQ: _ok,
        zk.CMD_GET_VERSION: _version,
        zk.CMD_GET_TIME: _get_time,
        zk.CMD_SET_TIME: _set_time,
        zk.CMD_REFRESHDATA: _ok,
        zk.CMD_CLEAR_ATTLOG: _clear_log,
        zk.CMD_PREPARE_BUFFER: _prepare_buffer,
        zk.CMD_READ_BUFFER: _read_buffer,
        zk.CMD_FREE_DATA: _free_data,
        zk.CMD_REG_EVENT: _reg_event,
        zk.CMD_CANCELCAPTURE: _ok,
        60: _ok,  # STARTVERIFY, which pyzk's live capture sends
    }
