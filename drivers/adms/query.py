"""The query string of a push request, and which kind of request it is.

Every request names its clock with ``SN``; the rest depends on the endpoint
(protocols.md §9.2-9.6). Parsing checks what a server stores or echoes (serial number,
table, stamp), so nothing from a query reaches a database or a reply unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from urllib.parse import parse_qs

from drivers.adms.errors import BadQuery, BadSerialNumber, PushFrameError
from drivers.adms.status import DeviceStatus, parse_device_status
from drivers.adms.limits import MAX_QUERY_VALUE_CHARS, MAX_SN_CHARS
from drivers.adms.text import excerpt

SN_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_SN_CHARS}}}")
_TABLE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
_STAMP = re.compile(r"[A-Za-z0-9:.+ T-]{1,40}")
_VERSION = re.compile(r"[A-Za-z0-9._-]{1,32}")
_COMKEY = re.compile(r"[\x21-\x7e]{1,64}")


class Endpoint(Enum):
    """What a request asks for."""

    INIT = "init"  # GET cdata?options=all: the options reply
    TIME = "time"  # GET cdata?type=time: the server's clock
    UPLOAD = "upload"  # POST cdata?table=...: records
    HEARTBEAT = "heartbeat"  # GET getrequest: OK or commands
    COMMAND_RESULT = "command_result"  # POST devicecmd
    REGISTRY = "registry"  # POST registry (newer firmware)
    PUSH = "push"  # POST push (newer firmware)
    PING = "ping"  # GET ping (newer firmware)
    QUERY_DATA = "query_data"  # POST querydata (newer firmware's answer to DATA QUERY)
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class PushQuery:
    """The parameters of one push request; ``None`` where absent."""

    sn: str
    table: str | None = None
    stamp: str | None = None
    options: str | None = None
    pushver: str | None = None
    language: str | None = None
    info: DeviceStatus | None = None
    comkey: str | None = None
    type: str | None = None
    tablename: str | None = None


def _single(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(set(values)) > 1:
        raise BadQuery(f"{name} is given {len(values)} times with different values")
    value = values[0]
    if len(value) > MAX_QUERY_VALUE_CHARS:
        raise BadQuery(f"{name} has {len(value)} characters, at most {MAX_QUERY_VALUE_CHARS} allowed")
    return value


def _checked(params: Mapping[str, Sequence[str]], name: str, pattern: re.Pattern[str], what: str) -> str | None:
    value = _single(params, name)
    if value is None or value == "":
        return None
    if not pattern.fullmatch(value):
        raise BadQuery(f"{name}={excerpt(value, 24)!r} is not {what}")
    return value


def check_serial_number(sn: str | None) -> str:
    """``sn`` when it can be a clock's serial number, else :class:`BadSerialNumber`."""
    if sn is None or sn == "":
        raise BadSerialNumber("the request has no SN (the clock's serial number)",
                              hint="set the server address in the clock's Cloud Server Setting menu")
    if not SN_PATTERN.fullmatch(sn):
        raise BadSerialNumber(f"SN={excerpt(sn, 24)!r} is not a serial number "
                              f"(1-{MAX_SN_CHARS} letters, digits, '-' or '_')")
    return sn


def parse_query(query: str | Mapping[str, str | Sequence[str]]) -> PushQuery:
    """Check and read a request's query: the raw string (``SN=...&table=...``) or a
    mapping of names to one value or a list of them (a web framework's ``args``).

    Names are case-sensitive, as clocks send them. Raises :class:`BadQuery`
    (:class:`BadSerialNumber` for ``SN``) with a message saying what is wrong."""
    if isinstance(query, str):
        if len(query) > 4 * MAX_QUERY_VALUE_CHARS:
            raise BadQuery(f"the query has {len(query)} characters, at most {4 * MAX_QUERY_VALUE_CHARS} allowed")
        try:
            params: Mapping[str, Sequence[str]] = parse_qs(query, keep_blank_values=True, strict_parsing=False,
                                                           errors="strict", max_num_fields=32)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadQuery(f"the query cannot be read: {excerpt(str(exc), 60)}") from None
    else:
        params = {name: [value] if isinstance(value, str) else list(value) for name, value in query.items()}
    info_text = _single(params, "INFO")
    return PushQuery(
        sn=check_serial_number(_single(params, "SN")),
        table=_checked(params, "table", _TABLE, "a table name"),
        stamp=_checked(params, "Stamp", _STAMP, "a stamp"),
        options=_checked(params, "options", _VERSION, "an options request"),
        pushver=_checked(params, "pushver", _VERSION, "a protocol version"),
        language=_checked(params, "language", _VERSION, "a language number"),
        info=_info(info_text),
        comkey=_checked(params, "ComKey", _COMKEY, "a comm key"),
        type=_checked(params, "type", _TABLE, "a request type"),
        tablename=_checked(params, "tablename", _TABLE, "a table name"),
    )


def _info(text: str | None) -> DeviceStatus | None:
    if not text:
        return None
    try:
        return parse_device_status(text)
    except PushFrameError as exc:
        raise BadQuery(exc.message) from None


def endpoint(method: str, path: str, query: PushQuery) -> Endpoint:
    """Which request this is, from its method, path and parsed query.

    The path may carry a prefix (``/iclock/cdata``, ``/adms/iclock/cdata``) and older
    firmware adds ``.aspx`` (UNCONFIRMED on the clocks sold here; accepted anyway)."""
    name = path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".aspx").lower()
    method = method.upper()
    if name == "cdata":
        if method == "POST" and query.table:
            return Endpoint.UPLOAD
        if method == "GET" and query.type == "time":
            return Endpoint.TIME
        if method == "GET" and query.options is not None:
            return Endpoint.INIT
        return Endpoint.UNKNOWN
    return {
        ("getrequest", "GET"): Endpoint.HEARTBEAT,
        ("devicecmd", "POST"): Endpoint.COMMAND_RESULT,
        ("registry", "POST"): Endpoint.REGISTRY,
        ("push", "POST"): Endpoint.PUSH,
        ("push", "GET"): Endpoint.PUSH,
        ("ping", "GET"): Endpoint.PING,
        ("querydata", "POST"): Endpoint.QUERY_DATA,
    }.get((name, method), Endpoint.UNKNOWN)
