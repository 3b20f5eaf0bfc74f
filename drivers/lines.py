"""Readers that print one text line per card or punch, output only.

``line_format`` picks how a line is read:

* ``wiegand-hex`` (default) — Wiegand-26 to RS232 converters: 6 hex digits of the 24
  data bits and CR (``3B51C6\\r``); the number is shown in ``card_format``;
* ``decimal`` — converters that print 10 decimal digits and CR LF (``0000123478``),
  also shown in ``card_format``;
* ``pattern`` — any clock that prints a line per punch: ``pattern`` is a regular
  expression searched in each line with a named group ``badge`` (required) and
  optionally ``time`` (read with ``time_format``, the clock's own time) and ``state``
  (a number, or in/out, vào/ra). The badge is stored as printed.

``encoding`` (default ascii) decodes the bytes, ``terminator`` ends a line: ``auto``
(CR, LF or both) or a literal string such as ``"\\r\\n"`` or ``";"``. The built-in
formats read the digits at the end of the line, so noise before them on the same line
(a reader powering up) does not spoil the number. Lines without a ``time`` are stamped
with the host clock when the terminator arrived.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import datetime

from drivers.base import DriverError, FrameError, Punch
from drivers.cards import CARD_FORMATS, VERIFY_CARD, format_card
from drivers.framing import Framer
from drivers.readers import StreamReader, choice

LINE_FORMATS = ("wiegand-hex", "decimal", "pattern")
MAX_LINE = 512
_BUILT_IN = {
    "wiegand-hex": (re.compile(r"([0-9A-Fa-f]{6})\s*$"), 16),
    "decimal": (re.compile(r"([0-9]{10})\s*$"), 10),
}
_STATES = {"in": 0, "i": 0, "vào": 0, "vao": 0, "out": 1, "o": 1, "ra": 1}
_ANY_EOL = re.compile(rb"[\r\n]")


@dataclass(frozen=True, slots=True)
class LineRecord:
    badge: str
    time: datetime | None
    state: int | None
    raw: bytes


class LineFormat:
    """Reads the badge (and time, state) out of one line of text."""

    def __init__(self, kind: str, *, pattern: str = "", time_format: str = "%Y-%m-%d %H:%M:%S", card_format: str = "decimal"):
        self.kind = kind
        self.time_format = time_format
        self.card_format = card_format
        if kind == "pattern":
            if not pattern:
                raise ValueError("line_format 'pattern' needs a pattern with a (?P<badge>...) group")
            try:
                self.regex = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from None
            if "badge" not in self.regex.groupindex:
                raise ValueError(f"pattern {pattern!r} has no (?P<badge>...) group")
            self.base = 0
        else:
            self.regex, self.base = _BUILT_IN[kind]

    def parse(self, text: str, raw: bytes) -> LineRecord:
        match = self.regex.search(text)
        if match is None:
            raise FrameError(f"line {text!r} does not match the {self.kind} format")
        if self.base:
            value = int(match.group(1), self.base)
            if value > 0xFFFFFFFF:
                raise FrameError(f"line {text!r}: {value} is larger than a 4-byte card number")
            return LineRecord(format_card(value, self.card_format), None, None, raw)
        badge = (match.group("badge") or "").strip()
        if not badge or "\ufffd" in badge:
            raise FrameError(f"line {text!r}: empty or undecodable badge")
        groups = self.regex.groupindex
        when = self._time(match.group("time"), text) if "time" in groups and match.group("time") else None
        state = self._state(match.group("state")) if "state" in groups and match.group("state") else None
        return LineRecord(badge, when, state, raw)

    def _time(self, value: str, text: str) -> datetime:
        try:
            return datetime.strptime(value.strip(), self.time_format)
        except ValueError:
            raise FrameError(f"line {text!r}: time {value!r} does not match {self.time_format!r}") from None

    @staticmethod
    def _state(value: str) -> int | None:
        value = value.strip().lower()
        if value.isdigit():
            return int(value)
        return _STATES.get(value)


class LineFramer(Framer[LineRecord]):
    """Splits the stream at the terminator and parses each line; a partial line is
    dropped whole when the line goes quiet, since lines resynchronise at terminators."""

    MAX_FRAME = MAX_LINE

    def __init__(self, line_format: LineFormat, *, encoding: str = "ascii", terminator: str = "auto"):
        super().__init__()
        self.format = line_format
        self.encoding = encoding
        self.terminator = None if terminator == "auto" else terminator.encode(encoding)

    def next_frame(self) -> LineRecord | None:
        while True:
            end, size = self._find_end()
            if end < 0:
                if self.pending > MAX_LINE:
                    self._pos = len(self._buffer)
                    self.rejected += 1
                    raise FrameError(f"no line terminator in {MAX_LINE} bytes")
                return None
            raw = bytes(self._buffer[self._pos : end])
            self._pos = end + size
            if not raw.strip():
                continue  # the LF of a CR LF pair, or a blank line
            text = raw.decode(self.encoding, errors="replace")
            try:
                return self.format.parse(text, raw)
            except FrameError:
                self.rejected += 1
                raise

    def expire(self) -> None:
        if not self.pending:
            return
        held = bytes(self._buffer[self._pos :])
        self._pos = len(self._buffer)
        self.rejected += 1
        raise FrameError(f"incomplete line {held[:32]!r} (no terminator before the line went quiet)")

    def _find_end(self) -> tuple[int, int]:
        if self.terminator is None:
            match = _ANY_EOL.search(self._buffer, self._pos)
            return (match.start(), 1) if match else (-1, 0)
        return self._buffer.find(self.terminator, self._pos), len(self.terminator)


class LineReader(StreamReader):
    """A Wiegand-to-RS232 converter or a line-printing clock (see the module docstring)."""

    protocol = "lines"
    model = "line-printing reader (output only)"
    options = {
        "repeat_seconds": (int, 30),
        "card_format": (str, "decimal"),
        "line_format": (str, "wiegand-hex"),
        "pattern": (str, ""),
        "time_format": (str, "%Y-%m-%d %H:%M:%S"),
        "encoding": (str, "ascii"),
        "terminator": (str, "auto"),
    }

    def check_options(self) -> None:
        choice(self.settings, "card_format", self.config["card_format"], CARD_FORMATS)
        choice(self.settings, "line_format", self.config["line_format"], LINE_FORMATS)
        try:
            codecs.lookup(self.config["encoding"])
        except LookupError:
            raise DriverError(
                f"unknown encoding {self.config['encoding']!r}", device=self.settings.id, hint="use e.g. ascii, utf-8, cp1258"
            ) from None
        if not self.config["terminator"]:
            raise DriverError("terminator is empty", device=self.settings.id, hint='use "auto", "\\r", "\\r\\n" or ";"')
        try:
            self.line_format = LineFormat(
                self.config["line_format"],
                pattern=self.config["pattern"],
                time_format=self.config["time_format"],
                card_format=self.config["card_format"],
            )
        except ValueError as exc:
            raise DriverError(str(exc), device=self.settings.id, hint="fix 'pattern' under this device in the config") from None

    def make_framer(self) -> LineFramer:
        return LineFramer(self.line_format, encoding=self.config["encoding"], terminator=self.config["terminator"])

    def punch_from(self, frame: LineRecord, moment: datetime) -> Punch:
        return Punch(
            user_id=frame.badge,
            timestamp=frame.time or moment,
            verify_mode=None if self.config["line_format"] == "pattern" else VERIFY_CARD,
            state=frame.state,
            raw=frame.raw,
        )
