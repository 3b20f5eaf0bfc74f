"""Spreadsheet cells that cannot run: the guard against formula injection in CSV exports.

Excel and LibreOffice treat a cell starting with ``=``, ``+``, ``-`` or ``@`` (and, in
some versions, a TAB or CR) as a formula. Text typed by users (names, reasons, notes)
ends up in exports opened by HR, so such a cell gets a leading apostrophe, which the
spreadsheet shows as text and hides (OWASP, "CSV Injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet shows it harmlessly: text starting like a formula gets a
    leading ``'``; numbers, ``None`` and other text pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_csv(keys: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    """CSV text headed by ``keys``, every text cell guarded, ``None`` as empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(keys)
    for row in rows:
        writer.writerow(["" if row[key] is None else safe_cell(row[key]) for key in keys])
    return buffer.getvalue()
