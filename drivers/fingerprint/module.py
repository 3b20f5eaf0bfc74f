"""The fingerprint module driver: password check, identify loop, enrollment, deletion.

The module has no clock and keeps no log: it only recognises fingers. Each recognised
finger becomes a punch for its template page (``user_id`` is the page number; pages map
to employees through enrollments), stamped with the host clock when the module's search
reply was complete. A finger must be lifted before it counts again, and the same page
within ``repeat_seconds`` (default 30) is one punch. A finger that matches no template is
counted (``info().extra["unrecognised"]``) and logged, never stored as a punch.
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from drivers.base import (
    DeviceInfo,
    DeviceRefused,
    DeviceSettings,
    DeviceTimeout,
    DeviceUser,
    DriverError,
    FrameError,
    Punch,
    TimeClock,
)
from drivers.fingerprint.packets import (
    DEFAULT_ADDRESS,
    DELETE_CHAR,
    GEN_IMG,
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
)
from drivers.fingerprint.probe import probe_module
from drivers.fingerprint.session import ModuleSession
from drivers.readers import Debouncer, local_now, resolve_options

log = logging.getLogger(__name__)

MODEL = "R30x/AS608-family fingerprint module"
VERIFY_FINGER = 1  # Punch.verify_mode of a fingerprint (the ZK numbering)


@dataclass(frozen=True, slots=True)
class Identification:
    """The outcome of one capture-and-search cycle."""

    outcome: str  # "no finger", "unclear", "found", "unknown"
    page: int | None = None
    score: int | None = None
    raw: bytes = b""


class FingerprintModule(TimeClock):
    """An R305/R307/R503/AS608-family module on a serial line (57,600 baud default)."""

    protocol = "fingerprint"
    capabilities = frozenset({"live", "users", "enroll"})
    default_baudrate = 57600
    options = {
        "password": (int, 0),
        "address": (int, DEFAULT_ADDRESS),
        "repeat_seconds": (int, 30),
        "poll_interval": (float, 0.2),
    }

    @classmethod
    def probe(cls, port: str, *, timeout: float = 1.0) -> DeviceInfo | None:
        return probe_module(port, timeout=timeout, baudrate=cls.default_baudrate, model=MODEL)

    def __init__(self, settings: DeviceSettings, *, now: Callable[[], datetime] = datetime.now):
        super().__init__(settings, now=now)
        self.config = resolve_options(type(self), settings)
        for name in ("password", "address"):
            if not 0 <= self.config[name] <= 0xFFFFFFFF:
                raise DriverError(f"option {name} must be 0-4294967295", device=settings.id, hint=f"fix '{name}' in the config")
        self.address = self.config["address"]
        self.poll_interval = max(self.config["poll_interval"], 0.0)
        self.debouncer = Debouncer(self.config["repeat_seconds"])
        self.library_size = 0
        self.unrecognised = 0  # fingers that matched no template, one per presentation
        self.unclear = 0  # captures too poor to search
        self._session: ModuleSession | None = None
        self._pause = threading.Event()  # waited on between polls when no stop event is given

    # --- lifecycle ------------------------------------------------------------------

    @property
    def connected_port(self) -> str | None:
        return self._session.link.port_name if self._session else None

    def open(self) -> None:
        self.close()
        self._session = ModuleSession(self.settings, self.address)
        try:
            reply = self._request(VFY_PWD, self.config["password"].to_bytes(4, "big"))
            if reply.code == WRONG_PASSWORD:
                raise DeviceRefused(
                    "the fingerprint module refused the password",
                    device=self.settings.id,
                    hint="set 'password' under this device in the config (modules ship with 0)",
                )
            self._session.check(reply, "password check")
            self.library_size = self.system_parameters()["library_size"]
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    # --- queries --------------------------------------------------------------------

    def system_parameters(self) -> dict[str, int]:
        """ReadSysPara: library size, security level, address, packet size, baud rate."""
        reply = self._checked(READ_SYS_PARA, b"", "reading system parameters")
        if len(reply.params) < 16:
            raise FrameError(f"system parameters reply has {len(reply.params)} bytes, not 16", device=self.settings.id)
        status, system_id, library, security = struct.unpack(">HHHH", reply.params[:8])
        address = int.from_bytes(reply.params[8:12], "big")
        size_code, baud_factor = struct.unpack(">HH", reply.params[12:16])
        return {
            "status": status,
            "system_id": system_id,
            "library_size": library,
            "security_level": security,
            "address": address,
            "packet_bytes": 32 << min(size_code, 3),
            "baudrate": 9600 * baud_factor,
        }

    def template_count(self) -> int:
        reply = self._checked(TEMPLATE_NUM, b"", "counting templates")
        return struct.unpack(">H", reply.params[:2])[0]

    def info(self) -> DeviceInfo:
        parameters = self.system_parameters()
        return DeviceInfo(
            protocol=self.protocol,
            model=MODEL,
            user_count=self.template_count(),
            extra={
                "library_size": parameters["library_size"],
                "security_level": parameters["security_level"],
                "packet_bytes": parameters["packet_bytes"],
                "module_baudrate": parameters["baudrate"],
                "address": f"{parameters['address']:08X}",
                "port": self.connected_port,
                "unrecognised": self.unrecognised,
                "unclear": self.unclear,
            },
        )

    def occupied_pages(self) -> list[int]:
        """Pages holding a template, from the module's index table (256 pages a table)."""
        pages: list[int] = []
        for table in range((self.library_size + 255) // 256):
            reply = self._checked(READ_INDEX_TABLE, bytes([table]), "reading the index table")
            for byte_number, bits in enumerate(reply.params[:32]):
                for bit in range(8):
                    page = table * 256 + byte_number * 8 + bit
                    if bits >> bit & 1 and page < self.library_size:
                        pages.append(page)
        return pages

    def users(self) -> list[DeviceUser]:
        """One user per stored template; the user id is the page number."""
        return [DeviceUser(user_id=str(page), uid=page) for page in self.occupied_pages()]

    # --- identify -------------------------------------------------------------------

    def identify(self) -> Identification:
        """One cycle: capture an image (GenImg), convert it (Img2Tz), search the library."""
        reply = self._request(GEN_IMG)
        if reply.code == NO_FINGER:
            return Identification("no finger")
        if reply.code != OK or self._request(IMG2TZ, b"\x01").code != OK:
            return Identification("unclear")
        reply = self._request(SEARCH, struct.pack(">BHH", 1, 0, self.library_size))
        if reply.code == NOT_FOUND:
            return Identification("unknown", raw=reply.encode())
        self._session_or_fail().check(reply, "searching the library")
        if len(reply.params) < 4:
            raise FrameError("search reply too short", device=self.settings.id)
        page, score = struct.unpack(">HH", reply.params[:4])
        return Identification("found", page, score, reply.encode())

    def listen(self, stop: threading.Event) -> Iterator[Punch]:
        """Yield a punch per recognised finger until ``stop`` is set."""
        finger_down = False
        while not stop.is_set():
            if finger_down:
                # one presentation, one punch: wait for the finger to leave the sensor
                if self._request(GEN_IMG).code == NO_FINGER:
                    finger_down = False
                else:
                    stop.wait(self.poll_interval)
                continue
            found = self.identify()
            if found.outcome == "no finger":
                stop.wait(self.poll_interval)
                continue
            if found.outcome == "unclear":
                self.unclear += 1
                continue
            finger_down = True
            moment = local_now(self.now)
            if found.outcome == "unknown":
                self.unrecognised += 1
                log.info("%s: unrecognised finger at %s (%d so far)", self.settings.id, moment, self.unrecognised)
                continue
            if self.debouncer.accept(str(found.page), moment):
                yield Punch(user_id=str(found.page), timestamp=moment, verify_mode=VERIFY_FINGER, raw=found.raw)

    # --- enrollment -----------------------------------------------------------------

    def enroll(
        self,
        prompt: Callable[[str], None] = lambda text: None,
        *,
        page: int | None = None,
        timeout: float = 30.0,
        stop: threading.Event | None = None,
    ) -> int:
        """Guided two-scan enrollment into ``page`` or the first free page; returns it."""
        used = set(self.occupied_pages())
        if page is None:
            page = next((p for p in range(self.library_size) if p not in used), None)
            if page is None:
                raise DeviceRefused(
                    f"the module's library is full ({self.library_size} templates)",
                    device=self.settings.id,
                    hint="unenroll someone first",
                )
        elif not 0 <= page < self.library_size:
            raise DeviceRefused(f"page {page} is outside the library (0-{self.library_size - 1})", device=self.settings.id)
        elif page in used:
            raise DeviceRefused(
                f"page {page} already holds a template",
                device=self.settings.id,
                hint="unenroll it first, or leave --page out to use a free page",
            )
        prompt("Place the finger on the sensor.")
        self._capture(1, timeout, stop)
        found = self._request(SEARCH, struct.pack(">BHH", 1, 0, self.library_size))
        if found.code == OK and len(found.params) >= 2:
            raise DeviceRefused(
                f"this finger is already enrolled at page {struct.unpack('>H', found.params[:2])[0]}",
                device=self.settings.id,
                hint="unenroll that page first, or enroll another finger",
            )
        prompt("Lift the finger.")
        self._wait_until(lambda: self._request(GEN_IMG).code == NO_FINGER, timeout, stop, "the finger was not lifted")
        prompt("Place the same finger again.")
        self._capture(2, timeout, stop)
        self._checked(REG_MODEL, b"", "combining the two scans")
        self._checked(STORE, struct.pack(">BH", 1, page), f"storing page {page}")
        return page

    def delete(self, page: int) -> None:
        """Delete the template in ``page`` (DeletChar, one page)."""
        self._checked(DELETE_CHAR, struct.pack(">HH", page, 1), f"deleting page {page}")

    def _capture(self, buffer: int, timeout: float, stop: threading.Event | None) -> None:
        def captured() -> bool:
            return self._request(GEN_IMG).code == OK and self._request(IMG2TZ, bytes([buffer])).code == OK

        self._wait_until(captured, timeout, stop, "no usable finger image")

    def _wait_until(self, done: Callable[[], bool], timeout: float, stop: threading.Event | None, what: str) -> None:
        pause = stop or self._pause
        deadline = time.monotonic() + timeout
        while not done():
            if pause.is_set():
                raise DriverError("enrollment interrupted", device=self.settings.id)
            if time.monotonic() >= deadline:
                raise DeviceTimeout(
                    f"{what} within {timeout:g} s", device=self.settings.id, hint="place the finger flat and still, then run the command again"
                )
            pause.wait(self.poll_interval)

    # --- requests -------------------------------------------------------------------

    def _session_or_fail(self) -> ModuleSession:
        if self._session is None:
            raise DriverError("the fingerprint module is not open", device=self.settings.id, hint="call open() first")
        return self._session

    def _request(self, instruction: int, params: bytes = b"") -> Packet:
        return self._session_or_fail().request(instruction, params)

    def _checked(self, instruction: int, params: bytes, what: str) -> Packet:
        return self._session_or_fail().checked(instruction, params, what)
