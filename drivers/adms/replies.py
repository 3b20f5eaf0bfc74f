"""What the server answers: the init options, the time, ``OK`` (protocols.md §9.2-9.4).

The parse functions are the clock's side, used by the simulator and by tests that
check a reply reads back as it was meant.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from drivers.adms.query import check_serial_number

LINE_ENDINGS = {"lf": "\n", "crlf": "\r\n"}
TIMEZONE_FORMATS = ("hh:mm", "hours", "minutes")
OK = "OK"
_OPTION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_SAFE_VALUE = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*")  # TAB allowed (TransFlag holds one)
_TRANS_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_STAMP_VALUE = re.compile(r"[A-Za-z0-9:.+ T-]{1,40}")
_HHMM = re.compile(r"([+-])(\d{1,2}):(\d{2})")


@dataclass(frozen=True)
class PushOptions:
    """The settings a server hands a clock at init. Defaults follow [3.2.0 §2.2]."""

    delay: int = 30  # seconds between heartbeats
    error_delay: int = 60  # seconds to wait after a failed request
    trans_times: tuple[str, ...] = ("00:00", "14:05")  # fixed batch upload times, at most 10
    trans_interval: int = 1  # minutes between batch uploads
    trans_flag: str = "TransData AttLog\tOpLog"  # tables to upload, at most 90 characters
    realtime: bool = True  # upload each punch at once
    encrypt: bool = False
    utc_offset: timedelta = timedelta(hours=7)
    timezone_format: str = "hh:mm"  # or "hours" (7, 5.5) or "minutes" (420): UNCONFIRMED which firmware wants which
    timeout: int = 60
    sync_time: int = 3600  # seconds between the clock's type=time requests
    server_version: str = "attendance-monitor 1"
    extra: Mapping[str, str] = field(default_factory=dict)  # more Option=Value lines, e.g. PushComKey

    def __post_init__(self) -> None:
        if len(self.trans_times) > 10 or not all(_TRANS_TIME.fullmatch(t) for t in self.trans_times):
            raise ValueError("trans_times: at most 10 times written hh:mm")
        if len(self.trans_flag) > 90:
            raise ValueError("trans_flag: at most 90 characters")
        if self.timezone_format not in TIMEZONE_FORMATS:
            raise ValueError(f"timezone_format: one of {', '.join(TIMEZONE_FORMATS)}")
        for name, value in self.extra.items():
            if not _OPTION_NAME.fullmatch(name) or not _SAFE_VALUE.fullmatch(str(value)):
                raise ValueError(f"extra option {name!r}: a name of letters and digits, a value on one line")


def format_timezone(offset: timedelta, style: str = "hh:mm") -> str:
    """A UTC offset as ``+07:00`` (``hh:mm``), ``7`` or ``5.5`` (``hours``) or ``420``
    (``minutes``)."""
    minutes = int(offset.total_seconds() // 60)
    if style == "hh:mm":
        sign = "-" if minutes < 0 else "+"
        hours, rest = divmod(abs(minutes), 60)
        return f"{sign}{hours:02d}:{rest:02d}"
    if style == "hours":
        return f"{minutes / 60:g}"
    if style == "minutes":
        return str(minutes)
    raise ValueError(f"timezone format: one of {', '.join(TIMEZONE_FORMATS)}")


def parse_timezone(text: str) -> timedelta:
    """Any of the :func:`format_timezone` forms back to an offset. A bare number up to
    14 is hours, larger is minutes (no zone is more than 14 hours from UTC)."""
    text = text.strip()
    match = _HHMM.fullmatch(text)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        return sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
    value = float(text)
    if not math.isfinite(value) or abs(value) > 14 * 60:
        raise ValueError(f"not a time zone: {text[:20]!r}")
    return timedelta(hours=value) if abs(value) <= 14 else timedelta(minutes=value)


def options_reply(
    sn: str,
    options: PushOptions | None = None,
    *,
    attlog_stamp: str = "0",
    operlog_stamp: str = "0",
    line_ending: str = "lf",
) -> str:
    """The reply to ``GET cdata?options=all``: ``GET OPTION FROM: <sn>`` and one option a
    line. ``line_ending`` is ``lf`` (the document) or ``crlf`` (some servers; which
    firmware needs it is UNCONFIRMED). Stamps are the ones stored from the clock's
    last uploads, checked so that nothing but a stamp is echoed."""
    options = options or PushOptions()
    check_serial_number(sn)
    for stamp in (attlog_stamp, operlog_stamp):
        if not _STAMP_VALUE.fullmatch(stamp):
            raise ValueError(f"a stamp is letters, digits and time punctuation, not {stamp[:20]!r}")
    lines = [
        f"GET OPTION FROM: {sn}",
        f"ATTLOGStamp={attlog_stamp}",
        f"OPERLOGStamp={operlog_stamp}",
        f"ErrorDelay={options.error_delay}",
        f"Delay={options.delay}",
        f"TransTimes={';'.join(options.trans_times)}",
        f"TransInterval={options.trans_interval}",
        f"TransFlag={options.trans_flag}",
        f"Realtime={int(options.realtime)}",
        f"Encrypt={int(options.encrypt)}",
        f"TimeZone={format_timezone(options.utc_offset, options.timezone_format)}",
        f"Timeout={options.timeout}",
        f"SyncTime={options.sync_time}",
        f"ServerVer={options.server_version}",
        *(f"{name}={value}" for name, value in options.extra.items()),
    ]
    end = _ending(line_ending)
    return end.join(lines) + end


def parse_options_reply(text: str) -> dict[str, str]:
    """The options a clock reads from an init reply (the first line names the clock
    and is left out). Lines without ``=`` are ignored, as a clock would."""
    options: dict[str, str] = {}
    for line in re.split(r"\r\n|\n|\r", text):
        if line.startswith("GET OPTION FROM"):
            continue
        name, sep, value = line.partition("=")
        if sep and _OPTION_NAME.fullmatch(name.strip()):
            options[name.strip()] = value
    return options


def time_reply(now: datetime) -> str:
    """The reply to ``GET cdata?type=time``: ``Time=2025-10-14T07:41:09+07:00``.

    ``now`` must carry its zone: the clock takes its offset from it."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("time_reply needs an aware datetime (the clock reads the UTC offset)")
    return f"Time={now.replace(microsecond=0).isoformat()}"


def parse_time_reply(text: str) -> datetime:
    """The aware time of a ``Time=...`` reply; :class:`ValueError` otherwise."""
    name, sep, value = text.strip().partition("=")
    if name != "Time" or not sep:
        raise ValueError(f"not a time reply: {text[:40]!r}")
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def ok_reply(count: int | None = None) -> str:
    """``OK``, or ``OK: <n>`` with the number of records taken (a variant some servers
    send; which one a clock needs is UNCONFIRMED, both are read as success)."""
    return OK if count is None else f"{OK}: {count}"


def _ending(name: str) -> str:
    try:
        return LINE_ENDINGS[name]
    except KeyError:
        raise ValueError(f"line_ending: one of {', '.join(LINE_ENDINGS)}") from None
