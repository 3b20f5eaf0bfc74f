"""Bodies as lines: decoding, splitting, and reporting a bad line without echoing it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

EXCERPT_CHARS = 40
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")  # TAB (0x09) separates fields
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class LineError(NamedTuple):
    """A refused line: its number (from 1), a short excerpt and why."""

    line: int
    excerpt: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason} ({self.excerpt})"


class LineRefused(ValueError):
    """One line is bad; the parsers turn it into a :class:`LineError` and go on."""


def excerpt(line: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of ``line``, printable and at most ``limit`` characters (plus ``…``):
    control characters escaped, never the whole of a long line (a log must not fill up
    with what a broken clock sent)."""
    shown = ""
    for ch in line:
        piece = ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
        if len(shown) + len(piece) > limit:
            return shown + "…"
        shown += piece
    return shown


def decode_body(body: bytes | str) -> str:
    """UTF-8 text; a byte that is not UTF-8 becomes U+FFFD and spoils only its line."""
    if isinstance(body, str):
        return body
    text = body.decode("utf-8", errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


def numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(number, line)`` for each non-blank line; LF, CR LF and lone CR all end a line."""
    lines = text.split("\n") if "\r" not in text else _LINE_BREAK.split(text)  # the same lines, split faster
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, line


def check_line(line: str, max_line: int) -> None:
    """Refuse a line too long, not UTF-8, or with control characters (other than TAB)."""
    if len(line) > max_line:
        raise LineRefused(f"line longer than {max_line} characters")
    if "\ufffd" in line:
        raise LineRefused("not UTF-8 text")
    if has_control(line):
        raise LineRefused("control character in the line")


def has_control(text: str) -> bool:
    """Whether ``text`` holds a control character other than TAB."""
    return _CONTROL.search(text) is not None
