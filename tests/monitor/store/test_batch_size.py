"""Imports commit by the time a batch holds the write lock, not only by row count: on a
slow (loaded) machine the batches shrink, and they grow back to the full size."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from drivers.base import Punch
from monitor.store import Store


def punches(count: int, start: datetime) -> list[Punch]:
    return [Punch(str(n % 50), start + timedelta(minutes=n)) for n in range(count)]


def test_batches_shrink_when_a_batch_holds_the_lock_too_long(store: Store) -> None:
    store.BATCH_HOLD = 1e-9  # every batch is "too long": after the first, the smallest batches
    before = store.write_count
    added = store.add_punches("gate", punches(2 * store.BATCH, datetime(2026, 1, 1, 7, 0)), source="file")
    assert added.new == 2 * store.BATCH
    assert store.write_count - before == 1 + store.BATCH // store.MIN_BATCH


def test_batches_stay_whole_when_they_are_quick(store: Store) -> None:
    store.BATCH_HOLD = math.inf  # every batch is quick enough: full batches throughout
    before = store.write_count
    added = store.add_punches("gate", punches(3 * store.BATCH, datetime(2026, 1, 1, 7, 0)), source="file")
    assert added.new == 3 * store.BATCH
    assert store.write_count - before == 3
