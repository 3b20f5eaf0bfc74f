"""A simulated R30x/AS608 fingerprint module on a pseudo-terminal.

Fingers have names. The module starts with ``enrolled`` templates in pages 0..N-1, each
holding the finger named after its page, so ``press 3`` puts the finger of page 3 on
the sensor; ``press unknown`` (or any name never enrolled) puts a finger that matches
nothing; ``release`` lifts it. ``tap NAME`` places a finger only until the module has
captured it once, then lifts it, and the next queued tap goes down only after the module
has seen the empty sensor: the way a person enrolls (two taps of the same finger).
"""

from __future__ import annotations

import struct
from collections import deque
from typing import Any

from drivers.base import FrameError
from drivers.fingerprint.packets import (
    COMMAND,
    DEFAULT_ADDRESS,
    DELETE_CHAR,
    EMPTY,
    ENROLL_MISMATCH,
    GEN_IMG,
    GET_ECHO,
    HI_SPEED_SEARCH,
    IMG2TZ,
    NO_FINGER,
    NOT_FOUND,
    OK,
    READ_INDEX_TABLE,
    READ_SYS_PARA,
    REG_MODEL,
    SEARCH,
    STORE,
    TEMPLATE_NUM,
    VFY_PWD,
    WRONG_PASSWORD,
    Packet,
    PacketFramer,
    ack,
)
from drivers.simulators.serial_sim import SerialSimulator

INVALID_IMAGE, BAD_PAGE, DELETE_FAILED, UNKNOWN_COMMAND, VERIFY_FIRST = 0x15, 0x0B, 0x10, 0x01, 0x21


class FingerprintSimulator(SerialSimulator):
    kind = "fingerprint module"

    def __init__(self, *, enrolled: int = 0, library: int = 200, password: int = 0, address: int = DEFAULT_ADDRESS, **kwargs: Any):
        super().__init__(**kwargs)
        if not 0 <= enrolled <= library:
            raise ValueError(f"--enrolled must be 0-{library}")
        self.library = library
        self.password = password
        self.address = address
        self.templates: dict[int, str] = {page: str(page) for page in range(enrolled)}
        self.finger: str | None = None
        self.taps: deque[str] = deque()
        self._tap_down = False
        self._lift_seen = True
        self._image: str | None = None
        self._buffers: dict[int, str | None] = {1: None, 2: None}
        self._verified = password == 0
        self.captures = 0  # GenImg calls that found a finger
        self.empty_polls = 0  # GenImg calls that found none
        self._framer = PacketFramer()

    # --- what a person does -------------------------------------------------------------

    def press(self, finger: str) -> None:
        """Put a finger on the sensor and keep it there."""
        with self._lock:
            self.finger = finger
            self._tap_down = False
        self._notify()

    def release(self) -> None:
        with self._lock:
            self.finger = None
            self._tap_down = False
        self._notify()

    def tap(self, finger: str) -> None:
        """Queue a touch that lasts one capture."""
        with self._lock:
            self.taps.append(finger)
        self._notify()

    def do_press(self, rest: str) -> str:
        """press PAGE|unknown|NAME — put a finger on the sensor (held until release)"""
        finger = _one_word(rest, "press PAGE|unknown|NAME")
        self.press(finger)
        page = self._page_of(finger)
        return f"finger {finger} on the sensor ({'page ' + str(page) if page is not None else 'not enrolled'})"

    def do_release(self, rest: str) -> str:
        """release — lift the finger"""
        self.release()
        return "sensor empty"

    def do_tap(self, rest: str) -> str:
        """tap NAME — touch the sensor once (queued; for enrollment)"""
        finger = _one_word(rest, "tap NAME")
        self.tap(finger)
        return f"tap of finger {finger} queued"

    def do_enrolled(self, rest: str) -> str:
        """enrolled — list the stored templates"""
        with self._lock:
            pages = sorted(self.templates.items())
        return f"{len(pages)} template(s): " + ", ".join(f"{page}={name}" for page, name in pages)

    # --- the module -------------------------------------------------------------------

    def received(self, data: bytes) -> None:
        self._framer.feed(data)
        while True:
            try:
                packet = self._framer.next_frame()
            except FrameError:
                continue  # a module ignores a garbled command; the host asks again
            if packet is None:
                return
            if packet.kind == COMMAND and packet.address == self.address:
                with self._lock:
                    confirmation, results = self._answer(packet)
                self.send(ack(confirmation, results, self.address).encode())
                self._notify()

    def _answer(self, packet: Packet) -> tuple[int, bytes]:
        code, params = packet.code, packet.params
        if code == VFY_PWD:
            self._verified = params[:4] == self.password.to_bytes(4, "big")
            return (OK if self._verified else WRONG_PASSWORD), b""
        if code == GET_ECHO:
            return 0x55, b""
        if not self._verified:
            return VERIFY_FIRST, b""
        handler = self._handlers().get(code)
        if handler is None:
            return UNKNOWN_COMMAND, b""
        return handler(params)

    def _handlers(self) -> dict[int, Any]:
        return {
            GEN_IMG: self._gen_img,
            IMG2TZ: self._img2tz,
            SEARCH: self._search,
            HI_SPEED_SEARCH: self._search,
            REG_MODEL: self._reg_model,
            STORE: self._store,
            DELETE_CHAR: self._delete,
            EMPTY: self._empty,
            READ_SYS_PARA: self._sys_para,
            TEMPLATE_NUM: lambda params: (OK, struct.pack(">H", len(self.templates))),
            READ_INDEX_TABLE: self._index_table,
        }

    def _gen_img(self, params: bytes) -> tuple[int, bytes]:
        if self.finger is None and self.taps and self._lift_seen:
            self.finger = self.taps.popleft()
            self._tap_down = True
        if self.finger is None:
            self._lift_seen = True
            self.empty_polls += 1
            return NO_FINGER, b""
        self._image = self.finger
        self.captures += 1
        if self._tap_down:  # a tap lasts one capture
            self.finger = None
            self._tap_down = False
            self._lift_seen = False
        return OK, b""

    def _img2tz(self, params: bytes) -> tuple[int, bytes]:
        buffer = params[0] if params else 1
        if self._image is None or buffer not in self._buffers:
            return INVALID_IMAGE, b""
        self._buffers[buffer] = self._image
        return OK, b""

    def _search(self, params: bytes) -> tuple[int, bytes]:
        buffer, start, count = struct.unpack(">BHH", params[:5])
        finger = self._buffers.get(buffer)
        if finger is None:
            return INVALID_IMAGE, b""
        for page in range(start, min(start + count, self.library)):
            if self.templates.get(page) == finger:
                # the score is fixed per finger so a run repeats exactly
                score = 50 + sum(finger.encode()) % 200
                return OK, struct.pack(">HH", page, score)
        return NOT_FOUND, struct.pack(">HH", 0, 0)

    def _reg_model(self, params: bytes) -> tuple[int, bytes]:
        first, second = self._buffers[1], self._buffers[2]
        if first is None or first != second:
            return ENROLL_MISMATCH, b""
        return OK, b""

    def _store(self, params: bytes) -> tuple[int, bytes]:
        buffer, page = struct.unpack(">BH", params[:3])
        finger = self._buffers.get(buffer)
        if page >= self.library:
            return BAD_PAGE, b""
        if finger is None:
            return INVALID_IMAGE, b""
        self.templates[page] = finger
        return OK, b""

    def _delete(self, params: bytes) -> tuple[int, bytes]:
        page, count = struct.unpack(">HH", params[:4])
        if page + count > self.library:
            return DELETE_FAILED, b""
        for gone in range(page, page + count):
            self.templates.pop(gone, None)
        return OK, b""

    def _empty(self, params: bytes) -> tuple[int, bytes]:
        self.templates.clear()
        return OK, b""

    def _sys_para(self, params: bytes) -> tuple[int, bytes]:
        # status, system id, library size, security level, address, packet size 128, 57600 baud
        return OK, struct.pack(">HHHHIHH", 0, 0, self.library, 3, self.address, 2, 6)

    def _index_table(self, params: bytes) -> tuple[int, bytes]:
        table = params[0] if params else 0
        bits = bytearray(32)
        for page in self.templates:
            offset = page - table * 256
            if 0 <= offset < 256:
                bits[offset // 8] |= 1 << (offset % 8)
        return OK, bytes(bits)

    def _page_of(self, finger: str) -> int | None:
        with self._lock:
            return next((page for page, name in self.templates.items() if name == finger), None)


def _one_word(rest: str, usage: str) -> str:
    words = rest.split()
    if len(words) != 1:
        raise ValueError(f"usage: {usage}")
    return words[0]
