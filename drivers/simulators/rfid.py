"""A simulated 125 kHz card reader (RDM6300 ASCII frames, or the binary variant).

``card NUMBER`` presents a card: the number in any printed form (``0003887558``,
``059,20934``, ``0x003B51C6``). While a card is held the reader repeats its frame about
every 65 ms; ``hold`` says how many frames one presentation sends. The version/customer
byte in front of the 4 ID bytes is the same for every card of a run (drawn from the
seed), as for a batch of cards from one supplier.
"""

from __future__ import annotations

import threading
from typing import Any

from drivers.cards import format_card, parse_card
from drivers.rfid import ascii_frame, binary_frame
from drivers.simulators.serial_sim import SerialSimulator

REPEAT_INTERVAL = 0.065  # seconds between the frames of a held card (RDM6300 README)


class CardReaderSimulator(SerialSimulator):
    kind = "card reader"

    def __init__(self, *, variant: str = "ascii", hold: int = 3, interval: float = REPEAT_INTERVAL, **kwargs: Any):
        super().__init__(**kwargs)
        if variant not in ("ascii", "binary"):
            raise ValueError("variant must be ascii or binary")
        self.variant = variant
        self.hold = max(1, hold)
        self.interval = interval
        self.prefix = self.rng.randrange(256)
        self.cards_presented = 0
        self._pause = threading.Event()  # never set: an interruptible sleep

    def frame(self, card_id: int) -> bytes:
        data = bytes([self.prefix]) + card_id.to_bytes(4, "big")
        return ascii_frame(data) if self.variant == "ascii" else binary_frame(data)

    def card(self, number: str | int, *, hold: int | None = None) -> int:
        """Present a card; returns its 4-byte ID."""
        card_id = number if isinstance(number, int) else parse_card(number)
        frame = self.frame(card_id)
        for repeat in range(hold or self.hold):
            if repeat and self.interval:
                self._pause.wait(self.interval)
            self.send(frame)
        self.cards_presented += 1
        self._notify()
        return card_id

    def do_card(self, rest: str) -> str:
        """card NUMBER — present a card (0003887558, 059,20934 or 0x003B51C6)"""
        if not rest:
            raise ValueError("usage: card NUMBER")
        card_id = self.card(rest)
        return f"card {format_card(card_id, 'decimal')} ({format_card(card_id, 'facility')}, {format_card(card_id, 'hex')}) presented"

    def corrupt(self, frame: bytes) -> bytes:
        if self.variant == "ascii":
            # change the first check character to another hex digit
            check = frame[11:12]
            return frame[:11] + (b"0" if check != b"0" else b"1") + frame[12:]
        return frame[:-2] + bytes([frame[-2] ^ 0x5A]) + frame[-1:]
