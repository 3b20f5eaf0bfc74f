"""The virtual ZK clock's memory: users, attendance log, clock, enable state, faults.

Everything is generated from a seed, so a test (or pyzk) can compare what it read
with :attr:`VirtualClock.users` and :attr:`VirtualClock.log`. Transports and the
protocol live in :mod:`.session` and :mod:`.servers`.
"""

from __future__ import annotations

import random
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from drivers.base import DeviceUser, Punch
from drivers.simulators.clock import SkewedClock
from drivers.zkteco.records import encode_attendance, encode_user

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Thu", "Xuân", "Thị Mỹ", "Công"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Hương", "Khánh", "Lan",
         "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phúc", "Quân", "Quỳnh", "Sơn", "Tâm", "Thảo", "Thắng",
         "Trang", "Tuấn", "Vân", "Yến"]

# a working day: (hour, minute range, state) for in, lunch out, lunch in, out
DAY_PUNCHES = ((7, (10, 40), 0), (11, (25, 50), 1), (13, (15, 40), 0), (17, (0, 30), 1))
USER_SIZE_FOR = {8: 28, 16: 28, 40: 72}


@dataclass
class Faults:
    """What goes wrong, and when. Chunks of an attendance download are numbered from 1
    (a chunk asked for again keeps its number); a chunk fault fires on the first
    ``times`` requests of its chunk, then the clock behaves."""

    drop_chunk: int | None = None  # that chunk request gets no answer
    corrupt_chunk: int | None = None  # that chunk's DATA packet has a damaged byte
    disconnect_chunk: int | None = None  # the connection is cut when that chunk is asked for
    slow: float = 0.0  # seconds before every answer
    cleared_log: bool = False  # after the first complete download the log is cleared
    times: int = 1
    hits: dict[str, int] = field(default_factory=dict)

    def fires(self, name: str, chunk: int) -> bool:
        wanted = getattr(self, name)
        if wanted is None or wanted != chunk or self.hits.get(name, 0) >= self.times:
            return False
        self.hits[name] = self.hits.get(name, 0) + 1
        return True


def ascii_fold(text: str) -> str:
    """Vietnamese without diacritics (black-and-white clocks show ASCII only)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def fit_utf8(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 form fits ``limit`` bytes."""
    while len(text.encode("utf-8")) > limit:
        text = text[:-1]
    return text.strip()


class VirtualClock(SkewedClock):
    """One simulated clock. Thread-safe: several connections may share it."""

    model = "K40 (simulated)"
    platform = "ZMM220_TFT"
    firmware = "Ver 6.60 Apr 28 2017"

    def __init__(
        self,
        *,
        users: int = 20,
        records: int = 1000,
        seed: int = 1,
        clock_offset: float = 0.0,
        comm_key: int = 0,
        record_size: int = 40,
        faults: Faults | None = None,
        now: Callable[[], datetime] = datetime.now,
    ):
        if record_size not in USER_SIZE_FOR:
            raise ValueError("record_size must be 8, 16 or 40")
        self.record_size = record_size
        self.user_size = USER_SIZE_FOR[record_size]
        self.comm_key = comm_key
        self.faults = faults or Faults()
        self.serial_number = f"SIM{seed:05d}{record_size:02d}"
        self._now = now
        self.offset = timedelta(seconds=clock_offset)
        self.enabled = True
        self.lock = threading.RLock()
        self.listeners: set[Callable[[Punch, int], None]] = set()
        self.listening = threading.Event()  # set once a host registers for live events
        self.downloads = 0  # complete attendance downloads served
        self.bad_packets = 0  # packets from hosts with a wrong checksum (dropped)
        rng = random.Random(seed)
        self.users = self._generate_users(rng, users)
        self._uid_of = {user.user_id: user.uid or 0 for user in self.users}
        self.log: list[Punch] = []
        self._encoded = bytearray()
        for punch in self._generate_log(rng, records):
            self._append(punch)

    # --- generation -------------------------------------------------------------------

    def _generate_users(self, rng: random.Random, count: int) -> list[DeviceUser]:
        users = []
        for uid in range(1, count + 1):
            family, middle, given = rng.choice(FAMILY), rng.choice(MIDDLE), rng.choice(GIVEN)
            if self.user_size == 72:
                name = fit_utf8(f"{family} {middle} {given}", 24)
            else:
                name = fit_utf8(ascii_fold(f"{given} {family[0]}"), 8)
            card = str(rng.randrange(10**9, 2**32)) if rng.random() < 0.4 else None
            users.append(DeviceUser(str(1000 + uid), name, card, 14 if uid == 1 else 0, uid))
        return users

    def _generate_log(self, rng: random.Random, count: int) -> list[Punch]:
        """``count`` punches on working days ending yesterday (device time), oldest first."""
        if count <= 0 or not self.users:
            return []
        per_day = len(self.users) * len(DAY_PUNCHES)
        workdays = -(-count * 10 // (per_day * 9)) + 1  # about 10% of punches are missed
        day = self.time().date() - timedelta(days=1)
        days: list[date] = []
        while len(days) < workdays:
            if day.weekday() < 5:
                days.append(day)
            day -= timedelta(days=1)
        punches: list[Punch] = []
        for day in reversed(days):
            todays = []
            for user in self.users:
                for hour, (low, high), state in DAY_PUNCHES:
                    if rng.random() < 0.1:
                        continue
                    moment = datetime.combine(day, time(hour, rng.randrange(low, high), rng.randrange(60)))
                    verify = rng.choices((1, 2, 0), weights=(85, 12, 3))[0]
                    work_code = 0 if self.record_size != 16 or rng.random() < 0.9 else rng.randrange(1, 10)
                    todays.append((moment, user.user_id, verify, state, work_code))
            todays.sort()
            punches.extend(self._punch(*item) for item in todays)
            if len(punches) >= count:
                break
        return punches[-count:]

    def _punch(self, moment: datetime, user_id: str, verify: int, state: int, work_code: int) -> Punch:
        """A punch as our driver reads it back: work codes exist only in 16-byte records."""
        return Punch(user_id, moment, verify, state, work_code if self.record_size == 16 else None)

    def _append(self, punch: Punch) -> Punch:
        raw = encode_attendance(punch, self.record_size, self._uid_of.get(punch.user_id, 0))
        stored = Punch(punch.user_id, punch.timestamp, punch.verify_mode, punch.state, punch.work_code, raw)
        self.log.append(stored)
        self._encoded += raw
        return stored

    def load(self, records: Iterable[tuple[datetime, str, int]]) -> int:
        """Add ``(time, user id, state)`` records to the log, as if punched then with a
        fingerprint (for demos that need a particular history); returns how many."""
        count = 0
        with self.lock:
            for moment, user_id, state in records:
                self._append(self._punch(moment.replace(microsecond=0), user_id, 1, state, 0))
                count += 1
        return count

    # --- what the protocol reads and changes -------------------------------------------

    def attendance_dataset(self) -> bytes:
        with self.lock:
            return len(self._encoded).to_bytes(4, "little") + bytes(self._encoded)

    def user_dataset(self) -> bytes:
        with self.lock:
            body = b"".join(encode_user(user, self.user_size) for user in self.users)
        return len(body).to_bytes(4, "little") + body

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()
            self._encoded.clear()

    def download_completed(self) -> None:
        """A host freed the staged attendance log after reading it."""
        with self.lock:
            self.downloads += 1
            if self.faults.cleared_log and self.downloads == 1:
                self.clear_log()

    def uid_of(self, user_id: str) -> int:
        return self._uid_of.get(user_id, 0)

    def punch(self, user_id: str, *, state: int = 0, verify: int = 1) -> Punch | None:
        """Someone punches at the clock now: the record is stored and the live event
        sent to every host that registered for it. ``None`` while the clock is
        disabled (its keypad and sensor are locked during downloads)."""
        with self.lock:
            if not self.enabled:
                return None
            punch = self._append(Punch(user_id, self.time(), verify, state, 0 if self.record_size == 16 else None))
            listeners = list(self.listeners)
        for listener in listeners:
            listener(punch, self.uid_of(user_id))
        return punch
