"""The ZKTeco standalone time clock ("ZK protocol") behind the :class:`TimeClock` interface.

``port`` picks the transport: ``tcp://HOST:4370``, ``udp://HOST:4370``, or anything
``serial.serial_for_url`` opens (``COM3``, ``/dev/ttyUSB0``, ``socket://...``,
``spy://...``), which speaks the serial framing of the ``framing`` option.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from drivers.base import (
    BAUDRATES,
    Cursor,
    DeviceInfo,
    DeviceRefused,
    DeviceSettings,
    DeviceTimeout,
    DeviceUser,
    Disconnected,
    DriverError,
    FetchResult,
    FrameError,
    NotSupported,
    PortUnavailable,
    Progress,
    Punch,
    TimeClock,
)
from drivers.zkteco.protocol import (
    CMD_ATTLOG_RRQ,
    CMD_CLEAR_ATTLOG,
    CMD_DISABLEDEVICE,
    CMD_ENABLEDEVICE,
    CMD_EXIT,
    CMD_GET_FREE_SIZES,
    CMD_GET_TIME,
    CMD_GET_VERSION,
    CMD_OPTIONS_RRQ,
    CMD_OPTIONS_WRQ,
    CMD_REFRESHDATA,
    CMD_REG_EVENT,
    CMD_SET_TIME,
    CMD_USERTEMP_RRQ,
    EF_ATTLOG,
    FCT_USER,
    decode_time,
    encode_time,
)
from drivers.zkteco.cursor import after_cursor
from drivers.zkteco.records import (
    Sizes,
    dataset_body,
    decode_attendance,
    decode_event,
    decode_users,
    record_size,
    user_record_size,
)
from drivers.zkteco.session import Session
from drivers.zkteco.transport import Link, network_address, open_link

U32 = struct.Struct("<I")
# bytes per chunk of a buffered read, by link kind: TCP as large as one packet allows,
# UDP as pyzk and the SDK use, serial small enough that a retried chunk costs ~1.5 s
# at 115,200 baud
CHUNK_SIZES = {"tcp": 0xFFC0, "udp": 16 * 1024, "serial": 16 * 1024}
KEEPALIVE_SECONDS = 30.0
PROBE_BAUDRATES = (115200, 9600, 38400, 19200, 57600)


class ZKTimeClock(TimeClock):
    """A ZKTeco-family clock (and the many rebadged ones sold in Vietnam)."""

    protocol = "zkteco"
    capabilities = frozenset({"clock", "fetch", "live", "users", "clear"})
    options = {
        "comm_key": (int, 0),  # the clock's Comm Key (Menu > Comm.); 0 = none
        "framing": (str, "tcp"),  # serial framing, UNCONFIRMED: "tcp" or "bare" (docs/zkteco.md)
        "chunk_size": (int, 0),  # bytes per chunk of a download; 0 = the transport's default
    }
    default_baudrate = 115200
    retries = 2  # per request and per chunk

    def __init__(self, settings: DeviceSettings, **kwargs: Any):
        super().__init__(settings, **kwargs)
        self.link: Link | None = None
        self.session: Session | None = None
        self._uid_users: dict[int, str] | None = None
        self._fetched_records: int | None = None

    # --- lifecycle --------------------------------------------------------------------

    def open(self) -> None:
        options = self.settings.options
        link = open_link(self.settings, str(options.get("framing", "tcp")))
        session = Session(link, device=self.settings.id, timeout=self.settings.timeout, retries=self.retries)
        try:
            session.connect(int(options.get("comm_key", 0) or 0))
            try:
                # what the vendor SDK says after connecting; old firmware may refuse it
                session.request(CMD_OPTIONS_WRQ, b"SDKBuild=1", what="OPTIONS_WRQ SDKBuild", retries=0)
            except (DeviceRefused, NotSupported):
                pass
        except BaseException:
            link.close()
            raise
        self.link, self.session = link, session

    def close(self) -> None:
        session, link = self.session, self.link
        self.session = self.link = None
        if session is not None:
            try:
                session.request(CMD_EXIT, what="EXIT", retries=0)
            except DriverError:
                pass
        if link is not None:
            link.close()

    def _session(self) -> Session:
        if self.session is None:
            raise DriverError("the connection is not open", device=self.settings.id, hint="call open() first")
        return self.session

    def _reconnect(self) -> None:
        """Open a fresh connection after one broke, trying for up to ``timeout``
        seconds: a re-plugged USB adapter or a restarting network stack needs a moment."""
        if self.link is not None:
            self.link.close()
        self.session = self.link = None
        deadline = time.monotonic() + self.settings.timeout
        while True:
            try:
                self.open()
                return
            except (PortUnavailable, DeviceTimeout, Disconnected):
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    # --- queries ----------------------------------------------------------------------

    def sizes(self) -> Sizes:
        """User and record counts and capacities."""
        return Sizes.decode(self._session().request(CMD_GET_FREE_SIZES, what="GET_FREE_SIZES").data)

    def _option(self, name: str) -> str | None:
        try:
            reply = self._session().request(CMD_OPTIONS_RRQ, name.encode("ascii") + b"\x00", what=f"option {name}")
        except (DeviceRefused, NotSupported):
            return None
        text = reply.data.split(b"\x00", 1)[0].decode("utf-8", errors="replace")
        value = text.split("=", 1)[1] if "=" in text else text
        return value or None

    def info(self) -> DeviceInfo:
        sizes = self.sizes()
        try:
            reply = self._session().request(CMD_GET_VERSION, what="GET_VERSION")
            firmware = reply.data.split(b"\x00", 1)[0].decode("ascii", errors="replace") or None
        except (DeviceRefused, NotSupported):
            firmware = None
        platform = self._option("~Platform")
        return DeviceInfo(
            protocol=self.protocol,
            model=self._option("~DeviceName"),
            serial_number=self._option("~SerialNumber"),
            firmware=firmware,
            user_count=sizes.users,
            record_count=sizes.records,
            record_capacity=sizes.record_capacity,
            extra={"platform": platform, "transport": self.link.kind if self.link else None,
                   "user_capacity": sizes.user_capacity},
        )

    def read_clock(self) -> datetime:
        reply = self._session().request(CMD_GET_TIME, what="GET_TIME")
        if len(reply.data) < 4:
            raise FrameError("the clock's time reply is too short", device=self.settings.id)
        return decode_time(U32.unpack_from(reply.data)[0])

    def set_clock(self, when: datetime) -> None:
        session = self._session()
        session.request(CMD_SET_TIME, U32.pack(encode_time(when)), what="SET_TIME")
        session.request(CMD_REFRESHDATA, what="REFRESHDATA")

    def users(self) -> list[DeviceUser]:
        with self._disabled():
            return self._read_users()

    def _read_users(self) -> list[DeviceUser]:
        sizes = self.sizes()
        if sizes.users == 0:
            return []
        data = self._session().read_dataset(CMD_USERTEMP_RRQ, FCT_USER, what="user list", chunk_size=self._chunk_size())
        body = dataset_body(data, "user list", self.settings.id)
        users = decode_users(body, user_record_size(len(body), sizes.users))
        self._uid_users = {user.uid: user.user_id for user in users if user.uid is not None}
        return users

    def _chunk_size(self) -> int:
        configured = int(self.settings.options.get("chunk_size", 0) or 0)
        return configured if configured > 0 else CHUNK_SIZES[self.link.kind if self.link else "serial"]

    # --- download ---------------------------------------------------------------------

    @contextmanager
    def _disabled(self) -> Iterator[None]:
        """Keep the clock's keypad and sensor locked ("working...") during a transfer,
        so the log cannot change under it; re-enable it whatever happens."""
        self._session().request(CMD_DISABLEDEVICE, what="DISABLEDEVICE")
        try:
            yield
        except BaseException as exc:
            if not self._enable_after_error(exc) and isinstance(exc, DriverError):
                raise type(exc)(
                    f"{exc.message}; the clock could not be re-enabled and may still show 'working'",
                    device=self.settings.id,
                    hint="it unlocks itself after a restart; check the connection",
                ) from exc
            raise
        self._session().request(CMD_ENABLEDEVICE, what="ENABLEDEVICE")

    def _enable_after_error(self, error: BaseException) -> bool:
        try:
            if isinstance(error, Disconnected) or self.session is None:
                self._reconnect()
            self._session().request(CMD_ENABLEDEVICE, what="ENABLEDEVICE")
            return True
        except DriverError:
            return False

    def enable(self) -> None:
        """Unlock the clock's keypad and sensor: a transfer cut off by a crash (or a
        kill) leaves it disabled ("working..."), and staff cannot punch until this."""
        self._session().request(CMD_ENABLEDEVICE, what="ENABLEDEVICE")

    def fetch(self, cursor: Cursor | None = None, progress: Progress | None = None) -> FetchResult:
        """The records after ``cursor``.

        The protocol cannot read part of a log, so a poll first compares counts: an
        unchanged count costs one small request. Otherwise the whole log is read and the
        records the cursor covers are skipped, after checking that the record the cursor
        ended on is still where it was (if not, the log was cleared or overwritten:
        everything is returned and ``log_shrank`` is set; the store's identity rule
        drops what it already holds)."""
        cursor = cursor or Cursor()
        sizes = self.sizes()
        if sizes.records == cursor.record_count and (sizes.records == 0 or cursor.last_timestamp is not None):
            self._fetched_records = sizes.records
            return FetchResult([], cursor, records_on_device=sizes.records)
        with self._disabled():
            sizes = self.sizes()  # again: a punch may have come before the lock
            punches = self._read_log(sizes.records, progress)
        self._fetched_records = len(punches)
        return after_cursor(punches, cursor)

    def _read_log(self, count: int, progress: Progress | None) -> list[Punch]:
        if count == 0:
            return []
        session = self._session()
        report = None
        if progress is not None:
            def report(done: int, total: int) -> None:
                progress(min(count, done * count // total) if total else 0, count)
        data = session.read_dataset(CMD_ATTLOG_RRQ, what="attendance log", chunk_size=self._chunk_size(), progress=report)
        body = dataset_body(data, "attendance log", self.settings.id)
        size = record_size(len(body), count)
        if size == 8 and self._uid_users is None:
            self._read_users()  # these records name the internal slot: the user list maps it
        return decode_attendance(body, size, self._uid_users if size == 8 else None)

    def clear_log(self) -> None:
        """Erase the attendance log; refused unless this connection downloaded it and
        no punch has arrived since (one would be lost)."""
        if self._fetched_records is None:
            raise DeviceRefused(
                "the log was not downloaded on this connection; refusing to clear it",
                device=self.settings.id,
                hint="use 'monitor devices pull DEVICE --clear', which clears only after storing",
            )
        with self._disabled():
            now_on_device = self.sizes().records
            if now_on_device != self._fetched_records:
                raise DeviceRefused(
                    f"{now_on_device - self._fetched_records} punch(es) arrived since the download; not clearing",
                    device=self.settings.id,
                    hint="pull again, then clear",
                )
            session = self._session()
            session.request(CMD_CLEAR_ATTLOG, what="CLEAR_ATTLOG")
            session.request(CMD_REFRESHDATA, what="REFRESHDATA")
        self._fetched_records = 0

    # --- live events ------------------------------------------------------------------

    def listen(self, stop: threading.Event) -> Iterator[Punch]:
        session = self._session()
        session.request(CMD_REG_EVENT, U32.pack(EF_ATTLOG), what="REG_EVENT")
        try:
            quiet_since = time.monotonic()
            while not stop.is_set():
                try:
                    packet = session.next_event(0.25)
                except FrameError:
                    continue  # noise on the line costs that frame only; the keep-alive catches a dead line
                if packet is None:
                    if time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
                        # a cheap request proves the link is alive (a dead one raises)
                        session.request(CMD_GET_TIME, what="GET_TIME (keep-alive)")
                        quiet_since = time.monotonic()
                    continue
                quiet_since = time.monotonic()
                if packet.session != EF_ATTLOG:  # the event code rides in the session field
                    continue
                if len(packet.data) in (10, 14) and self._uid_users is None:
                    self._read_users()
                yield decode_event(packet.data, self._uid_users)
        finally:
            try:
                session.request(CMD_REG_EVENT, U32.pack(0), what="REG_EVENT off", retries=0)
            except DriverError:
                pass

    # --- probing ----------------------------------------------------------------------

    @classmethod
    def probe(cls, port: str, *, timeout: float = 1.0) -> DeviceInfo | None:
        try:
            network = network_address(port) is not None
        except DriverError:
            return None
        rates = (cls.default_baudrate,) if network or "://" in port else PROBE_BAUDRATES
        for rate in rates:
            if rate not in BAUDRATES:
                continue
            clock = cls(DeviceSettings(id=port, protocol=cls.protocol, port=port, baudrate=rate, timeout=timeout))
            clock.retries = 0
            try:
                clock.open()
                info = clock.info()
            except DeviceRefused as exc:
                return DeviceInfo(protocol=cls.protocol, extra={"baudrate": rate, "note": exc.message})
            except PortUnavailable:
                return None
            except DriverError:
                continue
            finally:
                clock.close()
            return replace(info, extra={**info.extra, "baudrate": rate})
        return None
