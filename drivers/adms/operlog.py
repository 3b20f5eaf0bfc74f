"""The OPERLOG upload: users, fingerprints and the operation log (protocols.md §9.5).

Each line starts with a tag and a space. ``USER`` and ``FP`` continue with TAB-separated
``Field=Value`` pairs (names are case-sensitive: ``pin=`` is not ``PIN=``); ``OPLOG``
continues with TAB-separated positional values. Other tags (``BIODATA``, ``USERPIC``...)
are counted and skipped: an attendance server does not need them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

from drivers.adms.attlog import DEFAULT_YEARS, parse_punch_time
from drivers.adms.limits import (
    MAX_BODY_BYTES,
    MAX_OPERLOG_LINE_CHARS,
    MAX_PIN_CHARS,
    check_body,
)
from drivers.adms.text import (
    LineError,
    LineRefused,
    check_line,
    decode_body,
    excerpt,
    numbered_lines,
)
from drivers.base import DeviceUser


class OpCode(IntEnum):
    """Operation codes of ``OPLOG`` lines [3.2.0 Table 2.6]."""

    POWER_ON = 0
    POWER_OFF = 1
    AUTHENTICATION_FAILED = 2
    ALARM = 3
    ENTER_MENU = 4
    CHANGE_SETTINGS = 5
    ENROLL_FINGER = 6
    DELETE_USER = 9
    CLEAR_DATA = 13
    SET_TIME = 21
    FACTORY_RESET = 22
    DELETE_ATTENDANCE = 23
    ENROLL_USER = 30
    CHANGE_USER = 37


# Someone changed what the clock records or when: an inspector wants to see these.
TAMPER_CODES: frozenset[int] = frozenset({OpCode.CLEAR_DATA, OpCode.SET_TIME, OpCode.FACTORY_RESET, OpCode.DELETE_ATTENDANCE})


@dataclass(frozen=True, slots=True)
class Operation:
    """One ``OPLOG`` line: what an administrator (or the clock) did, and when."""

    code: int
    admin: str
    timestamp: datetime
    objects: tuple[str, ...] = ()
    raw: str = ""

    @property
    def tamper(self) -> bool:
        return self.code in TAMPER_CODES

    @property
    def name(self) -> str:
        try:
            return OpCode(self.code).name.lower()
        except ValueError:
            return f"operation {self.code}"


@dataclass(frozen=True, slots=True)
class FingerprintTemplate:
    """One ``FP`` line; the template stays base64 text (it is only ever passed on)."""

    user_id: str
    finger: int
    size: int | None
    valid: bool
    template: str


@dataclass
class OperlogBatch:
    users: list[DeviceUser] = field(default_factory=list)
    fingerprints: list[FingerprintTemplate] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # tag -> lines of tables we do not read
    lines: int = 0

    @property
    def tamper(self) -> list[Operation]:
        return [op for op in self.operations if op.tamper]


def parse_fields(text: str) -> dict[str, str]:
    """TAB-separated ``Field=Value`` pairs (a value may itself hold ``=``).

    Raises :class:`LineRefused` for a pair without ``=`` or a repeated field."""
    fields: dict[str, str] = {}
    for pair in text.split("\t"):
        if not pair.strip():
            continue
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise LineRefused(f"{excerpt(pair, 16)!r} is not Field=Value")
        if name in fields:
            raise LineRefused(f"field {name} given twice")
        fields[name] = value
    return fields


def parse_operlog(
    body: bytes | str,
    *,
    years: tuple[int, int] = DEFAULT_YEARS,
    max_line: int = MAX_OPERLOG_LINE_CHARS,
    max_body: int = MAX_BODY_BYTES,
) -> OperlogBatch:
    """Users, fingerprint templates and operations from an OPERLOG body; bad lines are
    refused one by one. Raises :class:`~drivers.adms.errors.BodyTooLarge` only."""
    check_body(body, max_body)
    batch = OperlogBatch()
    for number, line in numbered_lines(decode_body(body)):
        batch.lines += 1
        try:
            _line(batch, line, years, max_line)
        except LineRefused as refused:
            batch.errors.append(LineError(number, excerpt(line), str(refused)))
    return batch


def _line(batch: OperlogBatch, line: str, years: tuple[int, int], max_line: int) -> None:
    check_line(line, max_line)
    tag, _, rest = line.strip(" ").partition(" ")
    if tag == "USER":
        batch.users.append(_user(parse_fields(rest)))
    elif tag == "FP":
        batch.fingerprints.append(_fingerprint(parse_fields(rest)))
    elif tag == "OPLOG":
        batch.operations.append(_operation(rest, line, years))
    elif tag.isascii() and tag.isalnum() and tag.isupper():
        batch.skipped[tag] += 1
    else:
        raise LineRefused("no record tag (USER, FP, OPLOG...)")


def _pin(fields: dict[str, str]) -> str:
    pin = fields.get("PIN", "").strip()
    if not pin:
        raise LineRefused("no PIN= field")
    if len(pin) > MAX_PIN_CHARS or " " in pin:
        raise LineRefused(f"PIN is not a clock user id (at most {MAX_PIN_CHARS} characters, no spaces)")
    return pin


def _int(fields: dict[str, str], name: str) -> int | None:
    text = fields.get(name, "").strip()
    if not text:
        return None
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 10:
        raise LineRefused(f"{name} is not a number")
    return int(text)


def _user(fields: dict[str, str]) -> DeviceUser:
    card = fields.get("Card", "").strip()
    # clocks write Card=0 or Card=[0000000000] for "no card"
    if card.strip("[]0") == "":
        card = ""
    return DeviceUser(_pin(fields), fields.get("Name", "").strip(), card or None, _int(fields, "Pri"))


def _fingerprint(fields: dict[str, str]) -> FingerprintTemplate:
    finger = _int(fields, "FID")
    if finger is None:
        raise LineRefused("no FID= field")
    return FingerprintTemplate(_pin(fields), finger, _int(fields, "Size"), fields.get("Valid", "1").strip() != "0",
                               fields.get("TMP", "").strip())


def _operation(rest: str, line: str, years: tuple[int, int]) -> Operation:
    values = [value.strip(" ") for value in rest.split("\t")]
    if len(values) < 3:
        raise LineRefused("OPLOG needs code, admin and time")
    code, admin, stamp = values[:3]
    if not (code.isascii() and code.isdigit()) or len(code) > 6:
        raise LineRefused("operation code is not a number")
    when = parse_punch_time(stamp)
    if not years[0] <= when.year <= years[1]:
        raise LineRefused(f"year {when.year} outside {years[0]}-{years[1]}")
    return Operation(int(code), admin, when, tuple(values[3:]), line)


def format_user_line(user: DeviceUser, *, password: str = "", group: int = 1) -> str:
    """A ``USER`` line as a clock writes it (no line ending)."""
    pairs = [f"PIN={user.user_id}", f"Name={user.name}", f"Pri={user.privilege or 0}", f"Passwd={password}",
             f"Card={user.card or ''}", f"Grp={group}", "TZ="]
    return "USER " + "\t".join(pairs)


def format_oplog_line(code: int, admin: str, when: datetime, objects: tuple[str, ...] = ("0", "0", "0", "0")) -> str:
    """An ``OPLOG`` line as a clock writes it (no line ending)."""
    return "\t".join([f"OPLOG {code}", admin, when.strftime("%Y-%m-%d %H:%M:%S"), *objects])
