"""Reading CSV and XLSX tables the way offices write them.

CSV: UTF-8 with or without a BOM (Excel writes one), comma or semicolon (Excel in a
Vietnamese or European locale writes semicolons). XLSX: the first sheet. The first
non-empty row is the header; header names are matched case-insensitively, in English
or Vietnamese, through each importer's aliases. Line numbers are the file's own (1 is
the header), so a message can point at the row a person sees in Excel.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from monitor.errors import InputFileError


@dataclass(frozen=True)
class Row:
    line: int
    values: Mapping[str, str]  # canonical column name -> cell text (stripped, NFC)


def normalize_header(text: str) -> str:
    text = unicodedata.normalize("NFC", text).strip().lower()
    return " ".join(text.replace("_", " ").split())


def read_rows(path: Path, aliases: Mapping[str, tuple[str, ...]], required: tuple[str, ...]) -> Iterator[Row]:
    """Yield the data rows of a CSV or XLSX file, keyed by canonical column names.

    ``aliases`` maps a canonical name to the header spellings accepted for it.
    Raises :class:`InputFileError` when the file cannot be read or lacks a required
    column.
    """
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        table = _xlsx_cells(path)
    elif suffix == ".xls":
        raise InputFileError(f"{path}: old .xls files are not supported; save it as .xlsx or CSV (UTF-8) in Excel")
    else:
        table = _csv_cells(path)
    lookup = {normalize_header(alias): name for name, spellings in aliases.items() for alias in (name, *spellings)}
    header: list[str | None] | None = None
    for line, cells in table:
        if header is None:
            if not any(cell.strip() for cell in cells):
                continue
            header = [lookup.get(normalize_header(cell)) for cell in cells]
            missing = [name for name in required if name not in header]
            if missing:
                accepted = "; ".join(f"{name} ({', '.join(aliases[name][:2])})" if aliases[name] else name for name in missing)
                raise InputFileError(f"{path}:{line}: missing column(s): {accepted}")
            continue
        if not any(cell.strip() for cell in cells):
            continue
        values = {}
        for name, cell in zip(header, cells):
            if name is not None:
                values[name] = unicodedata.normalize("NFC", cell.strip())
        yield Row(line, values)
    if header is None:
        raise InputFileError(f"{path}: the file is empty (expected a header row)")


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
EXCERPT = 40


def excerpt(text: str) -> str:
    """A short, printable excerpt of a cell or line for an error message: control
    characters shown as escapes, long text cut, never echoed whole."""
    shown = text if len(text) <= EXCERPT else text[:EXCERPT] + "…"
    return repr(shown)


def control_character(row: Row) -> str | None:
    """Why a row is refused for a control character (NUL, ESC, ...), or ``None``."""
    for name, value in row.values.items():
        found = CONTROL.search(value)
        if found:
            return (f"{name} has a control character (U+{ord(found.group()):04X}) at position {found.start() + 1}:"
                    f" {excerpt(value)}")
    return None


def _csv_cells(path: Path) -> Iterator[tuple[int, list[str]]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFileError(
            f"{path}:{line}: not UTF-8 text (byte {exc.start}); in Excel use 'Save as: CSV UTF-8'"
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as exc:
        raise InputFileError(f"{path}:{reader.line_num}: {exc}") from None


def _xlsx_cells(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise InputFileError(f"{path}: not a readable .xlsx file ({exc})") from None
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value) for value in row]
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_date(text: str) -> date:
    """ISO ``2025-03-01`` or Vietnamese ``01/03/2025``; raises ValueError with the text."""
    text = text.strip()
    try:
        if "/" in text:
            day, month, year = text.split("/")
            return date(int(year), int(month), int(day))
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (use 2025-03-01 or 01/03/2025)") from None


TRUE_WORDS = {"1", "true", "yes", "y", "có", "x", "active", "đang làm việc"}
FALSE_WORDS = {"0", "false", "no", "n", "không", "inactive", "nghỉ việc", "đã nghỉ"}


def parse_flag(text: str) -> bool:
    word = normalize_header(text)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not yes/no (use 1/0, true/false, có/không)")
