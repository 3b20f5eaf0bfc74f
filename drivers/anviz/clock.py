"""The Anviz TC_B clock driver: clock, record download with a cursor, live records.

Records are downloaded with 0x40, 25 at a time, "from the first" then "next"; since
"next" cannot be asked twice, a transfer that fails part-way is restarted from the first
batch, and a fetch returns all of it or nothing.

The cursor uses the clock's *new record* flags. A first pull takes the whole log; later
pulls take only records still flagged new. The flags of the records a pull returned are
cleared (0x4E) by the *next* pull, and only once that pull sees the same records again at
the head of the new list — that proves the collector committed them (it stores the
cursor only after the punches) and that nobody else cleared flags in between. Live
listening only reads: it reports records that join the new list and clears nothing, so
the pull still stores them.

Record times are seconds since an epoch the TC_B document does not give: the ``epoch``
option (default 2000-01-02 00:00:00, as used by the MxLabs/Anviz library) sets it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime

from drivers.anviz.bus import AnvizBus, attach, detach
from drivers.anviz.frames import (
    BATCH,
    CLEAR_NEW_AMOUNT,
    CLEAR_RECORDS,
    DELETE_ALL,
    DOWNLOAD,
    FROM_FIRST_ALL,
    FROM_FIRST_NEW,
    GET_TIME,
    NEXT,
    RECORD_INFO,
    RETURN_CODES,
    SET_TIME,
    AnvizFrame,
    Record,
    decode_counts,
    decode_records,
    decode_time,
    encode_time,
)
from drivers.anviz.probe import probe_clock
from drivers.base import (
    Cursor,
    DeviceInfo,
    DeviceRefused,
    DeviceSettings,
    DeviceTimeout,
    DriverError,
    FetchResult,
    FrameError,
    Progress,
    Punch,
    TimeClock,
)
from drivers.readers import resolve_options

DEFAULT_EPOCH = "2000-01-02T00:00:00"
# the record's backup code (0 FP1, 1 FP2, 2 password, 3 card) in the Punch.verify_mode
# numbering the other drivers use (0 password, 1 fingerprint, 2 card); raw keeps the code
VERIFY_MODES = {0: 1, 1: 1, 2: 0, 3: 2}
MODEL = "Anviz TC_B clock"
TRANSFER_ATTEMPTS = 3


class AnvizClock(TimeClock):
    """One Anviz clock, addressed by ``device_id`` on an RS232 line or an RS485 bus."""

    protocol = "anviz"
    capabilities = frozenset({"clock", "fetch", "live", "clear"})
    default_baudrate = 9600
    options = {
        "device_id": (int, 1),
        "epoch": (str, DEFAULT_EPOCH),
        "poll_interval": (float, 1.0),
    }

    @classmethod
    def probe(cls, port: str, *, timeout: float = 1.0) -> DeviceInfo | None:
        return probe_clock(port, timeout=timeout, baudrate=cls.default_baudrate, model=MODEL)

    def __init__(self, settings: DeviceSettings, *, now: Callable[[], datetime] = datetime.now):
        super().__init__(settings, now=now)
        self.config = resolve_options(type(self), settings)
        self.device_id = self.config["device_id"]
        if not 0 <= self.device_id <= 0xFFFFFFFF:
            raise DriverError("option device_id must be 0-4294967295", device=settings.id, hint="use the id set on the clock")
        try:
            self.epoch = datetime.fromisoformat(self.config["epoch"])
        except ValueError:
            raise DriverError(
                f"option epoch = {self.config['epoch']!r} is not a date and time",
                device=settings.id,
                hint=f"write it like {DEFAULT_EPOCH!r}",
            ) from None
        if self.epoch.tzinfo is not None:
            raise DriverError("option epoch must be local time, without a UTC offset", device=settings.id)
        self.poll_interval = max(self.config["poll_interval"], 0.0)
        self._bus: AnvizBus | None = None

    # --- lifecycle ------------------------------------------------------------------

    @property
    def connected_port(self) -> str | None:
        return self._bus.link.port_name if self._bus else None

    def open(self) -> None:
        self.close()
        self._bus = attach(self.settings)
        try:
            self.read_clock()  # a clock that does not answer fails here, not later
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._bus is not None:
            bus, self._bus = self._bus, None
            detach(bus)

    # --- clock and counts -----------------------------------------------------------

    def read_clock(self) -> datetime:
        return decode_time(self._request(GET_TIME).data)

    def set_clock(self, when: datetime) -> None:
        try:
            data = encode_time(when)
        except ValueError as exc:
            raise DriverError(str(exc), device=self.settings.id) from None
        self._request(SET_TIME, data)

    def record_info(self) -> dict[str, int]:
        """Users, fingerprints, passwords, cards, records and new records held."""
        return decode_counts(self._request(RECORD_INFO).data)

    def info(self) -> DeviceInfo:
        counts = self.record_info()
        return DeviceInfo(
            protocol=self.protocol,
            model=MODEL,
            user_count=counts["users"],
            record_count=counts["records"],
            extra={
                "device_id": self.device_id,
                "new_records": counts["new_records"],
                "fingerprints": counts["fingerprints"],
                "cards": counts["cards"],
                "passwords": counts["passwords"],
                "epoch": self.epoch.isoformat(sep=" "),
                "port": self.connected_port,
            },
        )

    # --- records --------------------------------------------------------------------

    def fetch(self, cursor: Cursor | None = None, progress: Progress | None = None) -> FetchResult:
        """The records after ``cursor``: the whole log on a first pull, else those still
        flagged new (see the module docstring for how flags are cleared)."""
        counts = self.record_info()
        first_pull = cursor is None or "unacked" not in cursor.extra
        if first_pull:
            records = self._transfer(FROM_FIRST_ALL, counts["records"], progress)
            unacked = min(counts["new_records"], len(records))
        else:
            records = self._transfer(FROM_FIRST_NEW, counts["new_records"], progress)
            committed = int(cursor.extra.get("unacked") or 0)
            if committed and len(records) >= committed and records[committed - 1].raw.hex() == cursor.extra.get("unacked_last"):
                self._clear_new(committed)
                records = records[committed:]
            unacked = len(records)
        punches = [self._punch(record) for record in records]
        newest = max((p.timestamp for p in punches), default=None)
        if cursor is not None and cursor.last_timestamp and (newest is None or cursor.last_timestamp > newest):
            newest = cursor.last_timestamp
        return FetchResult(
            punches=punches,
            cursor=Cursor(
                record_count=counts["records"],
                last_timestamp=newest,
                extra={
                    "device_id": self.device_id,
                    "unacked": unacked,
                    "unacked_last": records[-1].raw.hex() if unacked and records else None,
                },
            ),
            log_shrank=cursor is not None and counts["records"] < cursor.record_count,
            records_on_device=counts["records"],
        )

    def listen(self, stop: threading.Event) -> Iterator[Punch]:
        """Yield the punches made from now on, checking every ``poll_interval`` seconds.

        Read-only: no flag is cleared, so the next pull still stores every punch seen
        here. A punch is a record that joins the clock's new list; records already on
        that list when listening starts were made before and are left to the pull.
        """
        waiting = self.record_info()["new_records"]
        seen = {record.raw for record in self._transfer(FROM_FIRST_NEW, waiting, None)}
        while not stop.wait(self.poll_interval):
            now_waiting = self.record_info()["new_records"]
            if now_waiting == waiting:
                continue
            waiting = now_waiting
            records = self._transfer(FROM_FIRST_NEW, waiting, None)
            for record in records:
                if record.raw not in seen:
                    yield self._punch(record)
            # a record leaves the new list for good once a pull clears it: forget those
            seen = {record.raw for record in records}

    def clear_log(self) -> None:
        """Delete every record on the clock (0x4E, delete all)."""
        self._request(CLEAR_RECORDS, bytes([DELETE_ALL]) + bytes(3))

    def _clear_new(self, amount: int) -> None:
        self._request(CLEAR_RECORDS, bytes([CLEAR_NEW_AMOUNT]) + amount.to_bytes(3, "big"))

    def _transfer(self, mode: int, total: int, progress: Progress | None) -> list[Record]:
        """Download ``total`` records from the first (all or new); restart on failure."""
        problem: DriverError | None = None
        for _ in range(TRANSFER_ATTEMPTS):
            try:
                return self._download(mode, total, progress)
            except (FrameError, DeviceTimeout) as exc:
                problem = exc
        assert problem is not None
        raise problem

    def _download(self, mode: int, total: int, progress: Progress | None) -> list[Record]:
        records: list[Record] = []
        ask = mode
        while len(records) < total:
            answer = self._request(DOWNLOAD, bytes([ask, min(BATCH, total - len(records))]), repeatable=ask != NEXT)
            batch = decode_records(answer.data)
            if not batch:
                break  # the clock holds fewer than it counted a moment ago
            records.extend(batch)
            ask = NEXT
            if progress is not None:
                progress(len(records), total)
        return records

    def _punch(self, record: Record) -> Punch:
        return Punch(
            user_id=str(record.user_code),
            timestamp=record.timestamp(self.epoch),
            verify_mode=VERIFY_MODES.get(record.backup_code),
            state=record.state,
            work_code=record.work_type,
            raw=record.raw,
        )

    def _request(self, command: int, data: bytes = b"", *, repeatable: bool = True) -> AnvizFrame:
        if self._bus is None:
            raise DriverError("the clock is not open", device=self.settings.id, hint="call open() first")
        answer = self._bus.exchange(
            self.device_id, command, data, timeout=self.settings.timeout, device=self.settings.id, repeatable=repeatable
        )
        if answer.ret:
            raise DeviceRefused(
                f"clock {self.device_id} answered command {command:#04x} with: {RETURN_CODES.get(answer.ret, hex(answer.ret))}",
                device=self.settings.id,
            )
        return answer
