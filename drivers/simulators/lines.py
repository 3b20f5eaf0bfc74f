"""A simulated line-printing reader: a Wiegand-to-RS232 converter, or any clock that
prints one text line per punch.

``line TEXT`` sends TEXT and the terminator as they are; ``card NUMBER`` prints a card
the way the converter format does (``wiegand-hex``: 6 hex digits and CR; ``decimal``:
10 digits and CR LF).
"""

from __future__ import annotations

from typing import Any

from drivers.cards import parse_card
from drivers.simulators.serial_sim import SerialSimulator

TERMINATORS = {"wiegand-hex": "\r", "decimal": "\r\n"}


class LinePrinterSimulator(SerialSimulator):
    kind = "line reader"

    def __init__(self, *, line_format: str = "wiegand-hex", terminator: str | None = None, encoding: str = "ascii", **kwargs: Any):
        super().__init__(**kwargs)
        if line_format not in TERMINATORS:
            raise ValueError(f"format must be one of {', '.join(TERMINATORS)}")
        self.line_format = line_format
        self.terminator = terminator if terminator is not None else TERMINATORS[line_format]
        self.encoding = encoding
        self.lines_sent = 0

    def line(self, text: str) -> None:
        """Print one line."""
        try:
            data = (text + self.terminator).encode(self.encoding)
        except UnicodeEncodeError:
            raise ValueError(f"{text!r} cannot be written in {self.encoding} (start the simulator with --encoding utf-8)") from None
        self.send(data)
        self.lines_sent += 1
        self._notify()

    def card(self, number: str | int) -> str:
        """Print a card number in the converter's format; returns the text sent."""
        card_id = number if isinstance(number, int) else parse_card(number)
        text = f"{card_id & 0xFFFFFF:06X}" if self.line_format == "wiegand-hex" else f"{card_id:010d}"
        self.line(text)
        return text

    def do_line(self, rest: str) -> str:
        """line TEXT — print TEXT and the terminator"""
        self.line(rest)
        return f"sent {rest!r}"

    def do_card(self, rest: str) -> str:
        """card NUMBER — print a card number in the converter's format"""
        if not rest:
            raise ValueError("usage: card NUMBER")
        return f"sent {self.card(rest)!r}"

    def corrupt(self, frame: bytes) -> bytes:
        # lines carry no checksum: a garbled character makes the line unreadable
        end = len(frame.rstrip(b"\r\n")) or 1
        return frame[: end - 1] + b"#" + frame[end:]
