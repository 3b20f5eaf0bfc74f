"""Record layouts inside ZK data sets: attendance (8, 16, 40 bytes), users (28, 72
bytes), the free-sizes table and real-time attendance events (protocols.md §1.7-1.8).

A data set read through the buffered transfer is ``u32 LE total size`` followed by the
records; the record size is not announced, so it is derived from the total and the
record count the device reports in its sizes.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from drivers.base import DeviceUser, FrameError, NotSupported, Punch
from drivers.zkteco.protocol import decode_time, decode_time6, encode_time, encode_time6

ATTENDANCE_SIZES = (8, 16, 40)
USER_SIZES = (28, 72)

# u16 uid, u8 verify, u32 time, u8 state
ATT8 = struct.Struct("<HBIB")
# u32 user id, u32 time, u8 verify, u8 state, 2 reserved, u32 work code.
# UNCONFIRMED byte order: the 2006 manual puts state at +8 and verify at +9; pyzk, used
# against many devices, reads +8 as the verify type and +9 as the state. We follow pyzk.
ATT16 = struct.Struct("<IIBB2xI")
# u16 uid, 24-byte user id (ASCII, NUL-padded), u8 verify, u32 time, u8 state, 8 unknown
ATT40 = struct.Struct("<H24sBIB8s")
ATT40_TAIL = b"\x00\x00\x00\x00\xff\x00\x00\x00"  # what zk-protocol's capture shows there

# uid, privilege, password(5), name(8), card, pad, group, time zone, user id (u32)
USER28 = struct.Struct("<HB5s8sIxBhI")
# uid, privilege, password(8), name(24), card, pad, group(7), pad, user id(24)
USER72 = struct.Struct("<HB8s24sIx7sx24s")

SIZES = struct.Struct("<20i")
SIZES_USERS, SIZES_FINGERS, SIZES_RECORDS = 4, 6, 8
SIZES_FINGER_CAPACITY, SIZES_USER_CAPACITY, SIZES_RECORD_CAPACITY = 14, 15, 16


def _text(raw: bytes, encoding: str = "utf-8") -> str:
    return raw.split(b"\x00", 1)[0].decode(encoding, errors="ignore")


# --- sizes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sizes:
    """The counts GET_FREE_SIZES reports."""

    users: int
    records: int
    fingers: int = 0
    user_capacity: int | None = None
    record_capacity: int | None = None

    @classmethod
    def decode(cls, data: bytes) -> Sizes:
        if len(data) < SIZES.size:
            raise FrameError(f"the sizes reply has {len(data)} bytes, at least {SIZES.size} expected")
        fields = SIZES.unpack_from(data)
        return cls(
            users=fields[SIZES_USERS],
            records=fields[SIZES_RECORDS],
            fingers=fields[SIZES_FINGERS],
            user_capacity=fields[SIZES_USER_CAPACITY] or None,
            record_capacity=fields[SIZES_RECORD_CAPACITY] or None,
        )

    def encode(self) -> bytes:
        fields = [0] * 20
        fields[SIZES_USERS] = self.users
        fields[SIZES_RECORDS] = self.records
        fields[SIZES_FINGERS] = self.fingers
        fields[SIZES_USER_CAPACITY] = self.user_capacity or 0
        fields[SIZES_RECORD_CAPACITY] = self.record_capacity or 0
        fields[18] = max(0, (self.user_capacity or 0) - self.users)
        fields[19] = max(0, (self.record_capacity or 0) - self.records)
        # 12 more bytes of face counts follow on newer firmware
        return SIZES.pack(*fields) + bytes(12)


def dataset_body(data: bytes, what: str, device: str) -> bytes:
    """The records of a data set, after checking its leading total."""
    if len(data) < 4:
        raise FrameError(f"the {what} came without its size", device=device)
    total = struct.unpack_from("<I", data)[0]
    if total != len(data) - 4:
        raise FrameError(f"the {what} says {total} bytes but {len(data) - 4} came", device=device)
    return data[4:]


# --- attendance -----------------------------------------------------------------------


def record_size(total: int, count: int, *, what: str = "attendance log") -> int:
    """The record size implied by a data set's total size and the device's count."""
    if count <= 0 or total <= 0:
        return 0
    size, rest = divmod(total, count)
    if rest or size not in ATTENDANCE_SIZES:
        raise NotSupported(
            f"the {what} holds {total} bytes for {count} records ({total / count:g} bytes each):"
            f" not a known ZK record layout ({', '.join(map(str, ATTENDANCE_SIZES))})",
            hint="capture a download with spy:// (see docs/zkteco.md) and report it",
        )
    return size


def decode_attendance(records: bytes, size: int, uid_to_user: Mapping[int, str] | None = None) -> list[Punch]:
    """Punches from the record bytes of an attendance data set (without the total).

    8-byte records name the device's internal slot (``uid``), so ``uid_to_user``
    (from the user list) turns it into the user id people type; unknown slots keep
    the slot number.
    """
    if len(records) % size:
        raise FrameError(f"the attendance data ({len(records)} bytes) is not a whole number of {size}-byte records")
    view = memoryview(records)
    punches: list[Punch] = []
    append = punches.append
    # records of one download share few distinct seconds per user; caching the decoded
    # time saves most of the datetime construction for large logs
    times: dict[int, datetime] = {}
    if size == 8:
        users = uid_to_user or {}
        for offset, (uid, verify, stamp, state) in zip(range(0, len(records), 8), ATT8.iter_unpack(view)):
            when = times.get(stamp) or times.setdefault(stamp, decode_time(stamp))
            append(Punch(users.get(uid) or str(uid), when, verify, state, None, records[offset : offset + 8]))
    elif size == 16:
        for offset, (user, stamp, verify, state, work_code) in zip(range(0, len(records), 16), ATT16.iter_unpack(view)):
            when = times.get(stamp) or times.setdefault(stamp, decode_time(stamp))
            append(Punch(str(user), when, verify, state, work_code, records[offset : offset + 16]))
    elif size == 40:
        for offset, (uid, user, verify, stamp, state, _tail) in zip(range(0, len(records), 40), ATT40.iter_unpack(view)):
            when = times.get(stamp) or times.setdefault(stamp, decode_time(stamp))
            user_id = _text(user, "ascii") or str(uid)
            append(Punch(user_id, when, verify, state, None, records[offset : offset + 40]))
    else:
        raise NotSupported(f"no {size}-byte attendance layout", hint="use 8, 16 or 40")
    return punches


def encode_attendance(punch: Punch, size: int, uid: int) -> bytes:
    """One attendance record in a layout (the simulator's side)."""
    stamp = encode_time(punch.timestamp)
    verify = punch.verify_mode or 0
    state = punch.state or 0
    if size == 8:
        return ATT8.pack(uid, verify, stamp, state)
    if size == 16:
        return ATT16.pack(int(punch.user_id), stamp, verify, state, punch.work_code or 0)
    if size == 40:
        return ATT40.pack(uid, punch.user_id.encode("ascii"), verify, stamp, state, ATT40_TAIL)
    raise ValueError(f"no {size}-byte attendance layout")


# --- users ----------------------------------------------------------------------------


def user_record_size(total: int, count: int) -> int:
    if count <= 0 or total <= 0:
        return 0
    size, rest = divmod(total, count)
    if rest or size not in USER_SIZES:
        raise NotSupported(
            f"the user table holds {total} bytes for {count} users: not a known ZK user layout (28 or 72)",
            hint="capture a download with spy:// (see docs/zkteco.md) and report it",
        )
    return size


def decode_users(records: bytes, size: int, encoding: str = "utf-8") -> list[DeviceUser]:
    users = []
    if size == 28:
        for uid, privilege, _password, name, card, _group, _zone, user in USER28.iter_unpack(records):
            users.append(DeviceUser(str(user), _text(name, encoding).strip(), str(card) if card else None, privilege, uid))
    elif size == 72:
        for uid, privilege, _password, name, card, _group, user in USER72.iter_unpack(records):
            users.append(
                DeviceUser(_text(user, encoding), _text(name, encoding).strip(), str(card) if card else None, privilege, uid)
            )
    else:
        raise NotSupported(f"no {size}-byte user layout", hint="use 28 or 72")
    return users


def encode_user(user: DeviceUser, size: int, encoding: str = "utf-8") -> bytes:
    name = user.name.encode(encoding)
    card = int(user.card or 0)
    if size == 28:
        return USER28.pack(user.uid or 0, user.privilege or 0, b"", name, card, 1, 0, int(user.user_id))
    if size == 72:
        return USER72.pack(user.uid or 0, user.privilege or 0, b"", name, card, b"1", user.user_id.encode(encoding))
    raise ValueError(f"no {size}-byte user layout")


# --- real-time attendance events ----------------------------------------------------------

# data length -> (layout, whether the user field is the internal uid)
EVENT_LAYOUTS: dict[int, tuple[struct.Struct, str]] = {
    10: (struct.Struct("<HBB6s"), "uid"),
    12: (struct.Struct("<IBB6s"), "number"),
    14: (struct.Struct("<HBB6s4x"), "uid"),
    32: (struct.Struct("<24sBB6s"), "text"),
    36: (struct.Struct("<24sBB6s4x"), "text"),
    37: (struct.Struct("<24sBB6s5x"), "text"),
    52: (struct.Struct("<24sBB6s20x"), "text"),
}


def decode_event(data: bytes, uid_to_user: Mapping[int, str] | None = None) -> Punch:
    """An EF_ATTLOG event: user, verify, state, 6-byte time (pyzk's reading of the
    fields; zk-protocol reads verify as a u16 instead, which agrees whenever the state
    is 0, the common check-in case)."""
    length = len(data)
    key = length if length in EVENT_LAYOUTS else (52 if length > 52 else None)
    if key is None:
        raise FrameError(f"an attendance event with {length} data bytes matches no known layout")
    layout, kind = EVENT_LAYOUTS[key]
    user, verify, state, when = layout.unpack_from(data)
    if kind == "text":
        user_id = _text(user, "ascii")
    elif kind == "uid":
        user_id = (uid_to_user or {}).get(user) or str(user)
    else:
        user_id = str(user)
    return Punch(user_id, decode_time6(when), verify, state, None, bytes(data))


def encode_event(punch: Punch, record_size: int, uid: int) -> bytes:
    """The event a device with ``record_size`` records sends for a punch (simulator)."""
    when = encode_time6(punch.timestamp)
    verify, state = punch.verify_mode or 0, punch.state or 0
    if record_size == 8:
        return EVENT_LAYOUTS[10][0].pack(uid, verify, state, when)
    if record_size == 16:
        return EVENT_LAYOUTS[12][0].pack(int(punch.user_id), verify, state, when)
    return EVENT_LAYOUTS[32][0].pack(punch.user_id.encode("ascii"), verify, state, when)
