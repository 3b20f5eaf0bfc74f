"""Size caps for push requests and replies, and the checks that enforce them.

A clock that was offline uploads its backlog in batches of a few hundred lines, so a
few megabytes is generous; anything larger is a misbehaving client and is refused
before it is read into memory.
"""

from __future__ import annotations

from drivers.adms.errors import BodyTooLarge

MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_ATTLOG_LINE_CHARS = 512  # a punch line is under 100 characters even with TFT extras
MAX_OPERLOG_LINE_CHARS = 16 * 1024  # FP lines carry a base64 template of a few KB
MAX_PIN_CHARS = 24  # the longest user id a ZK clock stores (40-byte record layout)
MAX_SN_CHARS = 32
MAX_QUERY_VALUE_CHARS = 256
# a heartbeat reply holds at most this many commands and bytes [3.2.0 §2.6]
MAX_COMMANDS_PER_REPLY = 200
MAX_REPLY_BYTES = 40 * 1024


def check_body(body: bytes | str, limit: int = MAX_BODY_BYTES) -> None:
    """Raise :class:`BodyTooLarge` when ``body`` is over ``limit`` bytes."""
    size = len(body.encode("utf-8")) if isinstance(body, str) else len(body)
    if size > limit:
        raise BodyTooLarge(f"the body has {size} bytes, more than the {limit} allowed",
                           hint="the clock should upload in smaller batches (TransInterval, Realtime=1)")


def check_content_length(value: str | None, limit: int = MAX_BODY_BYTES) -> int:
    """The announced body size, checked before reading it; ``None`` or empty means 0.

    Raises :class:`BodyTooLarge` over ``limit`` and for a value that is not a
    non-negative whole number (a server must not guess how much to read).
    """
    if value is None or not value.strip():
        return 0
    text = value.strip()
    if not text.isdigit() or not text.isascii():
        raise BodyTooLarge(f"Content-Length {text[:20]!r} is not a byte count")
    size = int(text)
    if size > limit:
        raise BodyTooLarge(f"Content-Length {size} is more than the {limit} bytes allowed",
                           hint="the clock should upload in smaller batches (TransInterval, Realtime=1)")
    return size
