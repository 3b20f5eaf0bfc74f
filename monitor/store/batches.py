"""What the evaluation needs to judge a batch outside the write lock, then write it briefly.

A batch is read in one snapshot (punches, leave, placements and the dirty marks it
answers), judged with no transaction open, and written in one short transaction. A punch
that arrives in between leaves a dirty mark the write must not clear: either a new mark
(not among those read) or a repeat of a mark already there, which the ``dirty_again``
trigger logs with a number above the one noted at the read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from monitor.store.base import StoreBase


def _in(codes: Sequence[str]) -> str:
    return f"({','.join('?' * len(codes))})"


class BatchStore(StoreBase):
    def dirty_watermark(self) -> int:
        """The number of the newest re-marked dirty day so far (read it in the batch's snapshot)."""
        return int(self.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'dirty_again'") or 0)

    def dirty_marks_of(self, employee_codes: Sequence[str]) -> list[tuple[str, str]]:
        """Every dirty (employee, day) of these employees."""
        found: list[tuple[str, str]] = []
        for start in range(0, len(employee_codes), 900):
            chunk = employee_codes[start:start + 900]
            found += self.db.conn.execute(
                f"SELECT employee_code, day FROM dirty_days WHERE employee_code IN {_in(chunk)}", chunk
            ).fetchall()
        return found

    def clear_answered_marks(self, pairs: Iterable[tuple[str, str]], watermark: int) -> int:
        """Clear the dirty marks a batch answered, except those marked again after its
        read (``dirty_again`` rows numbered above ``watermark``). Inside the write."""
        again = set(self.db.conn.execute(
            "SELECT employee_code, day FROM dirty_again WHERE seq > ?", (watermark,)).fetchall())
        answered = [pair for pair in pairs if pair not in again]
        # one statement, the pairs as one JSON parameter: a batch answers thousands of
        # marks, and the writer thread would take the GIL back after each of them with
        # executemany (see monitor.store.pipeline); each pair is a primary-key lookup
        self.db.conn.execute(
            "DELETE FROM dirty_days WHERE (employee_code, day) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))",
            (json.dumps(answered, ensure_ascii=False),),
        )
        return len(answered)

    def forget_dirty_again(self, watermark: int) -> None:
        """Drop the re-mark log up to ``watermark`` (noted when a run started: every mark
        logged before it was either answered or is still in ``dirty_days``)."""
        with self.write():
            self.db.conn.execute("DELETE FROM dirty_again WHERE seq <= ?", (watermark,))
