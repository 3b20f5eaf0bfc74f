"""Commands to a clock, and the results it posts back (protocols.md §9.6).

Only the commands an attendance server needs can be built, each from its own function
(:func:`query_attlog`, :func:`info`, :func:`check`, :func:`reboot`, :func:`set_time`).
:class:`Command` checks its text against the same whitelist, so a ``SHELL`` (which runs
OS commands on real firmware), a user deletion or a log clear cannot be sent even by
building one by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from drivers.adms.errors import UnsafeCommand
from drivers.adms.limits import MAX_BODY_BYTES, MAX_COMMANDS_PER_REPLY, MAX_REPLY_BYTES, check_body
from drivers.adms.text import LineError, decode_body, excerpt, numbered_lines
from drivers.zkteco.protocol import encode_time

_ISO = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"
WHITELIST: dict[str, re.Pattern[str]] = {
    "DATA QUERY ATTLOG": re.compile(rf"DATA QUERY ATTLOG StartTime={_ISO}\tEndTime={_ISO}"),
    "INFO": re.compile(r"INFO"),
    "CHECK": re.compile(r"CHECK"),
    "REBOOT": re.compile(r"REBOOT"),
    "SET OPTION DateTime": re.compile(r"SET OPTION DateTime=(\d{1,10}|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})"),
}
SET_TIME_STYLES = ("encoded", "text")
MAX_COMMAND_ID = 2**31 - 1

RETURN_CODES: dict[int, str] = {
    0: "ok", -1: "parameter error", -2: "wrong operation", -3: "flash I/O error", -4: "no data",
    -5: "no space", -6: "invalid data", -10: "PIN does not exist", -22: "unknown command",
    -1002: "not supported", -1004: "inconsistent",
}


@dataclass(frozen=True, slots=True)
class Command:
    """One whitelisted command text (without the ``C:<id>:`` prefix)."""

    text: str

    def __post_init__(self) -> None:
        if not any(pattern.fullmatch(self.text) for pattern in WHITELIST.values()):
            raise UnsafeCommand(f"{excerpt(self.text, 24)!r} is not a command this server sends",
                                hint=f"use one of: {', '.join(WHITELIST)}")

    @property
    def verb(self) -> str:
        """What a clock echoes as ``CMD=`` in its result: the first word (``DATA``...),
        ``SET OPTION`` for option commands (UNCONFIRMED for SET OPTION)."""
        return "SET OPTION" if self.text.startswith("SET OPTION") else self.text.split(" ", 1)[0]


def query_attlog(start: datetime, end: datetime) -> Command:
    """Ask the clock to post its punches of ``start``..``end`` again (the backfill after
    an outage); naive local times, seconds kept."""
    if end < start:
        raise ValueError("query_attlog: end is before start")
    return Command(f"DATA QUERY ATTLOG StartTime={start:%Y-%m-%dT%H:%M:%S}\tEndTime={end:%Y-%m-%dT%H:%M:%S}")


def info() -> Command:
    """Ask for the clock's description (it answers in its command result)."""
    return Command("INFO")


def check() -> Command:
    """Ask the clock to check in with the server (and upload what it holds)."""
    return Command("CHECK")


def reboot() -> Command:
    """Restart the clock. Always sent last in a reply."""
    return Command("REBOOT")


def set_time(moment: datetime, *, style: str = "encoded") -> Command:
    """Set the clock to ``moment`` (naive local time): ``SET OPTION DateTime=<value>``.

    UNCONFIRMED: the 3.2.0 document keeps clocks on time through ``type=time`` and
    ``SyncTime``, and names no command for it. Public servers send ``SET OPTION
    DateTime=`` with either the ZK-encoded number (``encoded``, the most common, the
    same encoding as the ZK protocol's SET_TIME) or ``YYYY-MM-DD hh:mm:ss`` (``text``).
    """
    if moment.tzinfo is not None:
        raise ValueError("set_time takes the clock's naive local time")
    if not 2000 <= moment.year <= 2099:
        raise ValueError("a ZK clock keeps years 2000-2099")
    if style == "encoded":
        return Command(f"SET OPTION DateTime={encode_time(moment)}")
    if style == "text":
        return Command(f"SET OPTION DateTime={moment:%Y-%m-%d %H:%M:%S}")
    raise ValueError(f"set_time style: one of {', '.join(SET_TIME_STYLES)}")


class CommandReply(NamedTuple):
    """A heartbeat reply: its text, the ids it carries, and the ids left for the next
    heartbeat because of the caps."""

    text: str
    sent: list[int]
    deferred: list[int]


def command_reply(
    pending: Iterable[tuple[int, Command]],
    *,
    max_commands: int = MAX_COMMANDS_PER_REPLY,
    max_bytes: int = MAX_REPLY_BYTES,
    line_ending: str = "\n",
) -> CommandReply:
    """``C:<id>:<command>`` lines for the pending ``(id, command)`` pairs in their order,
    within ``max_commands`` and ``max_bytes``; ``OK`` when none are pending.

    A ``REBOOT`` goes last (commands after it would be lost with the restart), and only
    one per reply; later ones are deferred."""
    if line_ending not in ("\n", "\r\n"):
        raise ValueError("line_ending: '\\n' or '\\r\\n'")
    pending = list(pending)
    for _, command in pending:
        if not isinstance(command, Command):
            raise UnsafeCommand("only Command values can be sent", hint="build them with the functions of drivers.adms.commands")
    ordered = sorted(pending, key=lambda item: item[1].text == "REBOOT")  # stable: others keep their order
    lines: list[str] = []
    sent: list[int] = []
    deferred: list[int] = []
    size = 0
    rebooting = False
    for command_id, command in ordered:
        if not 0 < command_id <= MAX_COMMAND_ID:
            raise ValueError(f"command id {command_id} outside 1-{MAX_COMMAND_ID}")
        line = f"C:{command_id}:{command.text}{line_ending}"
        line_size = len(line.encode("utf-8"))
        if rebooting or len(lines) >= max_commands or size + line_size > max_bytes:
            deferred.append(command_id)
            continue
        lines.append(line)
        sent.append(command_id)
        size += line_size
        rebooting = command.text == "REBOOT"
    return CommandReply("".join(lines) if lines else "OK", sent, deferred)


def parse_command_reply(text: str) -> list[tuple[int, str]]:
    """The clock's reading of a heartbeat reply: ``(id, command text)`` pairs; ``OK``
    or anything that is not a ``C:`` line gives none."""
    found = []
    for line in re.split(r"\r\n|\n|\r", text):
        match = re.fullmatch(r"C:(\d{1,10}):(.+)", line)
        if match:
            found.append((int(match.group(1)), match.group(2)))
    return found


# --- results (POST devicecmd) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommandResult:
    """One command's outcome as the clock reports it. ``details`` holds the
    ``Key=Value`` lines that follow (an ``INFO`` result's description, a ``Content=``)."""

    id: int
    return_code: int
    cmd: str
    details: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.return_code == 0

    @property
    def meaning(self) -> str:
        return RETURN_CODES.get(self.return_code, f"code {self.return_code}")


@dataclass
class CommandResults:
    results: list[CommandResult] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)


_RESULT_KEYS = ("ID", "Return", "CMD")


def parse_command_results(body: bytes | str, *, max_body: int = MAX_BODY_BYTES) -> CommandResults:
    """Results from a ``devicecmd`` body. Two shapes are read: one result a line
    (``ID=1&Return=0&CMD=INFO``, several lines per post) and the one-field-a-line block
    some firmware sends (``ID=32`` / ``Return=0`` / ``CMD=Shell`` / ``Content=...``).
    Other ``Key=Value`` lines after a result are its ``details``. Lines that fit
    neither shape are refused one by one."""
    check_body(body, max_body)
    parsed = CommandResults()
    current: dict[str, str] | None = None  # the result being read, with its details
    start_line = 0

    def finish() -> None:
        nonlocal current
        if current is None:
            return
        try:
            parsed.results.append(_result(current))
        except ValueError as exc:
            parsed.errors.append(LineError(start_line, excerpt("&".join(f"{k}={v}" for k, v in list(current.items())[:3])), str(exc)))
        current = None

    for number, line in numbered_lines(decode_body(body)):
        line = line.strip()
        if "&" in line and line.startswith("ID="):
            finish()
            current, start_line = {}, number
            for pair in line.split("&"):
                key, _, value = pair.partition("=")
                current.setdefault(key.strip(), value.strip())
            continue
        key, sep, value = line.partition("=")
        key = key.strip().lstrip("~")
        if not sep or not key or not key.replace("_", "").replace(".", "").isalnum():
            parsed.errors.append(LineError(number, excerpt(line), "not ID=..&Return=..&CMD=.. nor Key=Value"))
            continue
        if key == "ID":
            finish()
            current, start_line = {}, number
        if current is None:
            parsed.errors.append(LineError(number, excerpt(line), "Key=Value before any ID="))
            continue
        current.setdefault(key, value.strip())
    finish()
    return parsed


def _result(values: dict[str, str]) -> CommandResult:
    command_id, code = values.get("ID", ""), values.get("Return", "")
    if not (command_id.isascii() and command_id.isdigit()) or len(command_id) > 10:
        raise ValueError("ID is not a command id")
    if not (code.isascii() and code.lstrip("-").isdigit()) or len(code) > 6:
        raise ValueError("Return is not a number")
    details = {k: v for k, v in values.items() if k not in _RESULT_KEYS}
    return CommandResult(int(command_id), int(code), values.get("CMD", ""), details)


def format_command_result(result: CommandResult) -> str:
    """A result as a clock posts it: the ``&`` line, then its details one a line."""
    lines = [f"ID={result.id}&Return={result.return_code}&CMD={result.cmd}"]
    lines += [f"{key}={value}" for key, value in result.details.items()]
    return "\n".join(lines) + "\n"
