"""What a clock says about itself: the ``INFO=`` heartbeat parameter, the lines of an
``INFO`` command result, and the ``/iclock/registry`` body of newer firmware."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from drivers.adms.errors import PushFrameError
from drivers.adms.limits import MAX_QUERY_VALUE_CHARS, check_body
from drivers.adms.text import decode_body, excerpt, has_control
from drivers.base import DeviceInfo

INFO_FIELDS = ("firmware", "users", "fingerprints", "records", "ip", "fingerprint_version", "face_version", "faces", "flags")
_KEY = re.compile(r"~?[A-Za-z][A-Za-z0-9_.]*")
_REGISTRY_PAIR = re.compile(r"(?:^|,)(~?[A-Za-z][A-Za-z0-9_.]*)=")
MAX_REGISTRY_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """The ``INFO=`` parameter of the first heartbeat after init:
    ``firmware,users,fingerprints,records,ip,fp version,face version,faces,flags``."""

    firmware: str
    users: int | None = None
    fingerprints: int | None = None
    records: int | None = None
    ip: str | None = None
    fingerprint_version: str | None = None
    face_version: str | None = None
    faces: int | None = None
    flags: str | None = None

    def to_device_info(self, serial_number: str) -> DeviceInfo:
        extra = {name: getattr(self, name) for name in ("fingerprints", "ip", "fingerprint_version", "face_version", "faces", "flags")}
        return DeviceInfo("adms", serial_number=serial_number, firmware=self.firmware or None, user_count=self.users,
                          record_count=self.records, extra={k: v for k, v in extra.items() if v is not None})

    def format(self) -> str:
        """The ``INFO=`` value as a clock sends it (before URL encoding)."""
        return ",".join("" if getattr(self, name) is None else str(getattr(self, name)) for name in INFO_FIELDS)


def parse_device_status(text: str) -> DeviceStatus:
    """Read an ``INFO=`` value. Counts that are not numbers become ``None`` (firmware
    differ in what they put there); missing trailing fields are ``None``.

    Raises :class:`PushFrameError` for control characters or an over-long value."""
    if len(text) > MAX_QUERY_VALUE_CHARS:
        raise PushFrameError(f"INFO has {len(text)} characters, at most {MAX_QUERY_VALUE_CHARS} expected")
    if has_control(text) or "\t" in text:
        raise PushFrameError(f"INFO holds control characters: {excerpt(text)}")
    parts = [part.strip() for part in text.split(",")]
    values: dict[str, object] = {}
    for name, part in zip(INFO_FIELDS, parts):
        if name in ("users", "fingerprints", "records", "faces"):
            values[name] = int(part) if part.isascii() and part.isdigit() and len(part) <= 10 else None
        else:
            values[name] = part or None
    values["firmware"] = values.get("firmware") or ""
    return DeviceStatus(**values)  # type: ignore[arg-type]


def parse_key_values(lines: Iterable[str]) -> dict[str, str]:
    """``Key=Value`` lines (an ``INFO`` result): a leading ``~`` is dropped from keys,
    lines without ``=`` are ignored, the last repeat wins."""
    values: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.strip().partition("=")
        if sep and _KEY.fullmatch(key):
            values[key.lstrip("~")] = value.strip()
    return values


def parse_registry(body: bytes | str) -> dict[str, str]:
    """The comma-separated ``Key=Value`` description a clock posts to
    ``/iclock/registry``. A value may hold commas: a comma starts a new pair only when
    a key and ``=`` follow it. Leading ``~`` is dropped from keys.

    Raises :class:`PushFrameError` for a body with no pair at all, and
    :class:`~drivers.adms.errors.BodyTooLarge` over 64 KB."""
    check_body(body, MAX_REGISTRY_BYTES)
    text = ",".join(line.strip().strip(",") for line in decode_body(body).splitlines() if line.strip(" ,"))
    if has_control(text.replace("\t", " ")):
        raise PushFrameError("the registry body holds control characters")
    starts = [(match.start(1), match.end(), match.group(1)) for match in _REGISTRY_PAIR.finditer(text)]
    if not starts or starts[0][0] != 0:
        raise PushFrameError(f"the registry body is not Key=Value pairs: {excerpt(text)}")
    values: dict[str, str] = {}
    for index, (_, value_start, key) in enumerate(starts):
        value_end = starts[index + 1][0] - 1 if index + 1 < len(starts) else len(text)
        values[key.lstrip("~")] = text[value_start:value_end].strip()
    return values
