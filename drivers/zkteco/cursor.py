"""The download cursor of a ZK clock: which records of its log are already stored.

The protocol cannot read part of a log, so the cursor is the record count and the
timestamp and user of the last record in the clock's own order. A log whose record at
that position is no longer the same one was cleared (or overwritten when full).
"""

from __future__ import annotations

from drivers.base import Cursor, FetchResult, Punch


def after_cursor(punches: list[Punch], cursor: Cursor) -> FetchResult:
    """The punches a cursor does not cover, and the cursor after them."""
    count = len(punches)
    known = cursor.record_count
    shrank = False
    if known and (count < known or not same_record(punches[known - 1], cursor)):
        shrank, new = True, punches
    else:
        new = punches[known:]
    if punches:
        last = punches[-1]
        after = Cursor(count, last.timestamp, {"last_user": last.user_id})
    else:
        after = Cursor(0, cursor.last_timestamp, {})
    return FetchResult(new, after, log_shrank=shrank, records_on_device=count)


def same_record(punch: Punch, cursor: Cursor) -> bool:
    user = cursor.extra.get("last_user")
    return punch.timestamp == cursor.last_timestamp and (user is None or user == punch.user_id)
