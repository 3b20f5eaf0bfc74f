"""The ATTLOG upload: one punch a line (protocols.md §9.4).

``PIN \\t YYYY-MM-DD hh:mm:ss \\t State \\t Verify \\t WorkCode \\t Reserved1 \\t Reserved2``

Accepted variants seen in the wild: CR LF or LF, runs of spaces instead of TAB,
missing trailing fields, extra trailing fields (TFT job and tip codes), a time without
seconds, and epoch seconds instead of the text time. Each bad line is refused on its
own with a :class:`~drivers.adms.text.LineError`; the good lines of the same upload
still come out, because the clock will not send them again once it got ``OK``.

The device's State is translated into the project's :class:`~drivers.base.Punch`
convention (0 check-in, 1 check-out, 2 break-out, 3 break-in, 4 overtime-in, 5
overtime-out), through a state table chosen per device.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from drivers.adms.limits import (
    MAX_ATTLOG_LINE_CHARS,
    MAX_BODY_BYTES,
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
from drivers.base import Punch

# the project's states (drivers.base.Punch.state)
CHECK_IN, CHECK_OUT, BREAK_OUT, BREAK_IN, OVERTIME_IN, OVERTIME_OUT = range(6)

STATE_TABLES: dict[str, Mapping[int, int]] = {
    # PUSH SDK 3.2.0 Table 2.4: 0 check-in, 1 check-out, 2 meal in, 3 meal out,
    # 4 break in, 5 break out. We have no meal state: a meal is a break, and "in" means
    # back at work as in check-in (UNCONFIRMED reading of the table's words).
    "push-3.2.0": {0: CHECK_IN, 1: CHECK_OUT, 2: BREAK_IN, 3: BREAK_OUT, 4: BREAK_IN, 5: BREAK_OUT},
    # older firmware and pyzk: already our convention
    "legacy": {0: CHECK_IN, 1: CHECK_OUT, 2: BREAK_OUT, 3: BREAK_IN, 4: OVERTIME_IN, 5: OVERTIME_OUT},
}
DEFAULT_STATES = "push-3.2.0"

# PUSH SDK 3.2.0 Table 2.3, plus the codes face and palm devices log
VERIFY_MODES: dict[int, str] = {
    0: "password", 1: "fingerprint", 2: "badge", 3: "PIN", 4: "PIN+fingerprint", 5: "fingerprint+password",
    6: "badge+fingerprint", 7: "badge+password", 8: "badge+password+fingerprint", 9: "PIN+password+fingerprint",
    15: "face", 25: "palm",
}

# A clock reset to its factory date, or with a flat battery, stamps years no office
# worked in; the server should narrow this to the years it expects.
DEFAULT_YEARS = (2010, 2099)
_EPOCH = datetime(1970, 1, 1)
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_STAMP = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")
_EPOCH_SECONDS = re.compile(r"\d{9,10}")
_SMALL_NUMBER = re.compile(r"\d{1,6}")
_SEPARATOR = re.compile(r" *\t *| {2,}")
# The form nearly every clock writes, read by one C call (datetime.fromisoformat) after
# this exact check; anything else, or a moment that does not exist, takes the general path.
_PLAIN_STAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d", re.ASCII)
# State, Verify and WorkCode are small numbers, nearly always these: a dict lookup
# gives the same int as the pattern and int() would, for a tenth of the time
_SMALL_NUMBERS = {str(number): number for number in range(1000)}
# The line nearly every clock writes, read by one pattern: a printable ASCII PIN, the
# plain time, then State, Verify and WorkCode as small numbers (each may be missing from
# the end), then any printable ASCII fields, all TAB-separated. Such a line has no
# control character, no U+FFFD and no space to strip, so the general path's checks all
# pass and its split gives the same fields; any other line takes the general path.
_PLAIN_LINE = re.compile(
    r"([!-~]{1,%d})\t(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)"
    r"(?:\t(\d{1,3})(?:\t(\d{1,3})(?:\t(\d{0,3})(?:\t[ -~]*)*)?)?)?" % MAX_PIN_CHARS,
    re.ASCII,
)

# The same form for every line of a body at once (one pass of the pattern over the whole
# text, in C): group 1 is the whole line.
_PLAIN_BODY = re.compile(f"^({_PLAIN_LINE.pattern})$", re.ASCII | re.MULTILINE)
# State, Verify and WorkCode as that form has them (1-3 digits, zero-padded or not), and
# "" for a field the line does not have
_NUMBER_TEXT: dict[str, int | None] = {"": None} | {
    f"{number:0{width}d}": number for width in (1, 2, 3) for number in range(10**width)
}


@dataclass
class AttlogBatch:
    """What one upload gave: good punches in line order, refused lines, and how many
    non-blank lines there were."""

    punches: list[Punch] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    lines: int = 0


def state_table(states: str | Mapping[int, int]) -> Mapping[int, int]:
    """A state table by name (``push-3.2.0``, ``legacy``) or as given."""
    if isinstance(states, str):
        try:
            return STATE_TABLES[states]
        except KeyError:
            raise ValueError(f"unknown state table {states!r}: use one of {', '.join(STATE_TABLES)}") from None
    return states


def parse_attlog(
    body: bytes | str,
    *,
    states: str | Mapping[int, int] = DEFAULT_STATES,
    verify_modes: Mapping[int, int] | None = None,
    years: tuple[int, int] = DEFAULT_YEARS,
    epoch_zone: tzinfo | None = None,
    max_line: int = MAX_ATTLOG_LINE_CHARS,
    max_body: int = MAX_BODY_BYTES,
) -> AttlogBatch:
    """Punches from an ATTLOG body, and the lines refused one by one.

    ``states`` names a table of :data:`STATE_TABLES` or maps device State to
    ``Punch.state``; a State it lacks gives ``state=None`` (the line keeps it in
    ``raw``). ``verify_modes`` maps device Verify codes (e.g. the 128-150 a
    ``VerifyValueMap`` defines) to ours; unmapped codes pass unchanged. ``years`` is the
    inclusive window of plausible years. Epoch-second times count the device's wall
    seconds unless ``epoch_zone`` says they are true UTC to convert into that zone.

    Raises :class:`~drivers.adms.errors.BodyTooLarge` over ``max_body``; nothing else.
    """
    check_body(body, max_body)
    return read_attlog(decode_body(body), state_table(states), verify_modes, years, epoch_zone, max_line)


def read_attlog(text: str, table: Mapping[int, int], verify_modes: Mapping[int, int] | None, years: tuple[int, int],
                epoch_zone: tzinfo | None, max_line: int, *, plain_path: bool = True, whole_body: bool = True) -> AttlogBatch:
    """:func:`parse_attlog` on decoded text with its state table. ``plain_path=False``
    reads every line the general way: what the plain-line path must equal (tests);
    ``whole_body=False`` reads plain lines one by one, never the whole body at once."""
    if plain_path and whole_body:
        whole = _read_plain_body(text, table, verify_modes, years, max_line)
        if whole is not None:
            return whole
    batch = AttlogBatch()
    punches, errors = batch.punches, batch.errors
    plain = _PLAIN_LINE.fullmatch if plain_path else None
    number_of, low, high = _SMALL_NUMBERS.get, years[0], years[1]
    for number, line in numbered_lines(text):
        batch.lines += 1
        match = plain(line) if plain is not None and len(line) <= max_line else None
        if match is not None:
            # the general path's steps, in its order, for the form a clock nearly always sends
            pin, stamp, state_text, verify_text, work_text = match.groups()
            when = None
            if stamp[11:13] < "24":
                try:
                    when = datetime.fromisoformat(stamp)
                except ValueError:
                    pass  # no such moment: the general path refuses it in its words
            if when is not None and low <= when.year <= high:
                state = None if state_text is None else number_of(state_text)
                if state is None and state_text is not None:
                    state = int(state_text)  # zero-padded, e.g. "01"
                verify = None if verify_text is None else number_of(verify_text)
                if verify is None and verify_text is not None:
                    verify = int(verify_text)
                if verify is not None and verify_modes is not None:
                    verify = verify_modes.get(verify, verify)
                work_code = number_of(work_text) if work_text else None
                if work_code is None and work_text:
                    work_code = int(work_text)
                punches.append(Punch(pin, when, verify, None if state is None else table.get(state), work_code, line))
                continue
        try:
            punches.append(_punch(line, table, verify_modes, years, epoch_zone, max_line))
        except LineRefused as refused:
            errors.append(LineError(number, excerpt(line), str(refused)))
    return batch


def _read_plain_body(text: str, table: Mapping[int, int], verify_modes: Mapping[int, int] | None,
                     years: tuple[int, int], max_line: int) -> AttlogBatch | None:
    """A body whose every line is in the plain form and stamped with a real moment in
    ``years`` (what a clock sends nearly always), read in one pass of the pattern; ``None``
    for any other body, which is then read line by line (and gives the same punches, in
    the same order, with the same count of lines)."""
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None  # a lone CR ends a line too
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    found = _PLAIN_BODY.findall(text)
    # a match is a whole non-empty line: as many matches as non-empty lines means every
    # line is plain (a line of spaces alone is blank to the line reader: not this path)
    if len(found) != len(lines) - lines.count("") or max(map(len, lines)) > max_line:
        return None
    batch = AttlogBatch(lines=len(found))
    append, number, low, high = batch.punches.append, _NUMBER_TEXT, years[0], years[1]
    for line, pin, stamp, state, verify, work in found:
        if stamp[11:13] >= "24":
            return None
        try:
            when = datetime.fromisoformat(stamp)
        except ValueError:
            return None
        if not low <= when.year <= high:
            return None
        verify_code = number[verify]
        if verify_code is not None and verify_modes is not None:
            verify_code = verify_modes.get(verify_code, verify_code)
        append(Punch(pin, when, verify_code, table.get(number[state]), number[work], line))  # type: ignore[arg-type]
    return batch


def _fields(line: str) -> list[str]:
    text = line.strip(" ")
    if "\t" in text and "  " not in text and " \t" not in text and "\t " not in text:
        # no space beside a TAB and no run of spaces: the pattern below would split at each TAB alone
        fields = text.split("\t")
    elif "\t" in text or "  " in text:
        # TABs keep empty fields between them; a run of spaces counts as one TAB
        fields = _SEPARATOR.split(text)
    else:
        fields = text.split(" ")
    # "2025-10-14" and "07:52:03" land in two fields when spaces separate the fields
    if len(fields) > 2 and _DATE.fullmatch(fields[1]) and _TIME.fullmatch(fields[2]):
        fields[1:3] = [f"{fields[1]} {fields[2]}"]
    return fields


def _punch(line: str, table: Mapping[int, int], verify_modes: Mapping[int, int] | None,
           years: tuple[int, int], epoch_zone: tzinfo | None, max_line: int) -> Punch:
    check_line(line, max_line)
    fields = _fields(line)
    pin = fields[0]
    if not pin:
        raise LineRefused("empty PIN (first field)")
    if len(pin) > MAX_PIN_CHARS:
        raise LineRefused(f"PIN longer than {MAX_PIN_CHARS} characters")
    if not pin.isprintable() or " " in pin:
        raise LineRefused("PIN has characters a clock does not store")
    if len(fields) < 2 or not fields[1]:
        raise LineRefused("no time (second field)")
    when = parse_punch_time(fields[1], epoch_zone)
    if not years[0] <= when.year <= years[1]:
        raise LineRefused(f"year {when.year} outside {years[0]}-{years[1]} (is the clock's date set?)")
    state = _number(fields, 2, "State")
    verify = _number(fields, 3, "Verify")
    work_text = fields[4] if len(fields) > 4 else ""
    # TFT work codes may be letters; the punch still counts, the code stays in raw
    work_code = _SMALL_NUMBERS.get(work_text)
    if work_code is None and _SMALL_NUMBER.fullmatch(work_text):
        work_code = int(work_text)
    if verify is not None and verify_modes is not None:
        verify = verify_modes.get(verify, verify)
    return Punch(pin, when, verify, table.get(state) if state is not None else None, work_code, line)


def _number(fields: list[str], index: int, name: str) -> int | None:
    text = fields[index] if len(fields) > index else ""
    if not text:
        return None
    number = _SMALL_NUMBERS.get(text)
    if number is not None:
        return number
    if not _SMALL_NUMBER.fullmatch(text):
        raise LineRefused(f"{name} is not a number")
    return int(text)


def parse_punch_time(text: str, epoch_zone: tzinfo | None = None) -> datetime:
    """``2025-10-14 07:52:03`` (or with ``T``, or without seconds) or epoch seconds, as
    naive local time. :class:`LineRefused` when it is neither or names no real moment."""
    if _PLAIN_STAMP.fullmatch(text) and text[11:13] < "24":
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass  # 2026-02-30 and the like: refused below, with the general path's words
    match = _STAMP.fullmatch(text)
    if match:
        year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second)
        except ValueError:
            raise LineRefused(f"no such date or time {text!r}") from None
    if _EPOCH_SECONDS.fullmatch(text):
        seconds = int(text)
        if epoch_zone is None:
            return _EPOCH + timedelta(seconds=seconds)
        return datetime.fromtimestamp(seconds, epoch_zone).replace(tzinfo=None)
    raise LineRefused(f"bad time {excerpt(text, 24)!r} (expected 2025-10-14 07:52:03)")


def format_attlog_line(
    pin: str,
    when: datetime,
    state: int = 0,
    verify: int = 1,
    work_code: int | str = 0,
    *,
    fields: int = 7,
    separator: str = "\t",
    epoch: bool = False,
) -> str:
    """One ATTLOG line as a clock writes it (device State and Verify codes), without a
    line ending. ``fields`` (2-10) trims or pads with reserved zeros; ``separator`` may
    be a run of spaces; ``epoch`` writes the time as wall seconds since 1970."""
    if not 2 <= fields <= 10:
        raise ValueError("an ATTLOG line has 2 to 10 fields")
    stamp = str(int((when - _EPOCH).total_seconds())) if epoch else when.strftime("%Y-%m-%d %H:%M:%S")
    values = [pin, stamp, str(state), str(verify), str(work_code)] + ["0"] * 5
    return separator.join(values[:fields])
