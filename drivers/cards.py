"""Card numbers in the forms printed on 125 kHz cards and key fobs.

An EM4100 card carries 5 bytes: a version/customer byte and 4 ID bytes. What offices
read off the card, and what we store as the punch's user id, is one of:

* ``decimal``  — the 4 ID bytes as a 10-digit decimal: ``0003887558``;
* ``facility`` — the Wiegand-26 split of the low 24 bits, facility (8 bits) and card
  (16 bits): ``059,20934``;
* ``hex``      — the 4 ID bytes as 8 hex digits: ``003B51C6``.

The version byte is left out of every form, as the printed numbers do, so the same card
gives the same number on an RDM6300 reader and on a Wiegand-26 converter (which only
carries 24 bits: for a card whose top ID byte is not zero the converter's numbers differ
from the reader's, and the facility form never shows that byte).
"""

from __future__ import annotations

import re

CARD_FORMATS = ("decimal", "facility", "hex")
VERIFY_CARD = 2  # Punch.verify_mode of a card read (the ZK numbering: 1 finger, 2 card)

_DECIMAL = re.compile(r"[0-9]{1,10}")
_HEX = re.compile(r"(?:0[xX])?([0-9A-Fa-f]{1,10})")
_FACILITY = re.compile(r"([0-9]{1,3})\s*[,:/]\s*([0-9]{1,5})")


def format_card(card_id: int, form: str) -> str:
    """The printed form of a 32-bit card ID."""
    card_id &= 0xFFFFFFFF
    if form == "decimal":
        return f"{card_id:010d}"
    if form == "facility":
        return f"{(card_id >> 16) & 0xFF:03d},{card_id & 0xFFFF:05d}"
    if form == "hex":
        return f"{card_id:08X}"
    raise ValueError(f"unknown card number form {form!r} (use one of {', '.join(CARD_FORMATS)})")


def parse_card(text: str) -> int:
    """The 32-bit card ID for a number written in any printed form.

    ``059,20934`` is facility,card; all digits is decimal; ``0x…`` or anything with the
    letters A–F is hex (10 hex digits are a whole EM4100 ID: its version byte is dropped).
    Write hex numbers made only of digits with ``0x``.
    """
    text = text.strip()
    match = _FACILITY.fullmatch(text)
    if match:
        facility, card = int(match.group(1)), int(match.group(2))
        if facility > 0xFF or card > 0xFFFF:
            raise ValueError(f"{text!r}: facility must be 0-255 and card 0-65535")
        return facility << 16 | card
    if _DECIMAL.fullmatch(text) and not text.lower().startswith("0x"):
        value = int(text)
        if value > 0xFFFFFFFF:
            raise ValueError(f"{text!r} is larger than a 4-byte card ID (4294967295)")
        return value
    match = _HEX.fullmatch(text)
    if match:
        return int(match.group(1), 16) & 0xFFFFFFFF
    raise ValueError(f"{text!r} is not a card number (forms: 0003887558, 059,20934, 0x003B51C6)")
