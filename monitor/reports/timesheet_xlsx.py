"""Writing timesheets as an Excel workbook laid out like Mẫu số C01-HD.

A4 landscape, Times New Roman, one sheet per unit: the form's header (unit, department,
form number and circular), the title and month, columns A, B, C, the days of the month
(days off shaded), the three totals 32–34, a "Cộng" row, the signature block and the
symbol legend. The circular is a parameter: the form's code survived Circular 24/2024
but whether its legend did is unconfirmed (shared reference, vietnam.md §3.3).

The signature block carries the names and dates of those who submitted, confirmed and
approved the unit's month; a locked month adds the lock's date and the punch log's
chain head. The workbook is reproducible: its properties and every zip entry carry one
given moment (the lock's, for a locked month), so the same data gives the same bytes.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.styles.borders import DEFAULT_BORDER
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from monitor.engine.leave import LeaveConfig
from monitor.reports.sign_off import Signature, SignOff
from monitor.reports.timesheet import UnitTimesheet, legend
from monitor.reports.xlsx_rows import SheetRows, insert_rows

DEFAULT_CIRCULAR = "Ban hành kèm theo Thông tư số 107/2017/TT-BTC ngày 10/10/2017 của Bộ Tài chính"
FONT = "Times New Roman"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
SHADE = PatternFill("solid", start_color="D9D9D9")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
FIRST_DAY_COLUMN = 4  # A = Số TT, B = Họ và tên, C = Ngạch, bậc


def _font(size: float = 10, *, bold: bool = False, italic: bool = False) -> Font:
    return Font(name=FONT, size=size, bold=bold, italic=italic)


class _Styles:
    """The sheet's cell styles, registered once per workbook as named styles.

    A province's workbook has some 400,000 cells; giving each its own Font, Border and
    Alignment objects made openpyxl hash every one of them into its style tables, which was
    most of the export's time. A cell given a named style only copies the style's indexes.
    """

    def __init__(self, book: Workbook) -> None:
        self._names: list[str] = []
        self._ids: dict[str, int] | None = None

        def named(name: str, font: Font, *, border: Border | None = None, alignment: Alignment | None = None,
                  fill: PatternFill | None = None) -> str:
            # the workbook's own default border (empty sides) where a cell has none, as before
            style = NamedStyle(name=f"C01-HD {name}", font=font, border=border or DEFAULT_BORDER)
            if alignment is not None:
                style.alignment = alignment
            if fill is not None:
                style.fill = fill
            book.add_named_style(style)
            self._names.append(style.name)
            return style.name

        self.heading = named("đơn vị", _font(11, bold=True))
        self.heading_plain = named("mã đơn vị", _font(11))
        self.form_code = named("mẫu số", _font(11, bold=True), alignment=CENTER)
        self.circular = named("thông tư", _font(9, italic=True), alignment=CENTER)
        self.title = named("tiêu đề", _font(14, bold=True), alignment=CENTER)
        self.month = named("tháng", _font(11), alignment=CENTER)
        self.number_line = named("số", _font(10), alignment=CENTER)
        self.table_head = named("đầu bảng", _font(9, bold=True), border=BOX, alignment=CENTER)
        self.table_head_shaded = named("đầu bảng, ngày nghỉ", _font(9, bold=True), border=BOX, alignment=CENTER,
                                       fill=SHADE)
        self.body = named("ô", _font(10), border=BOX, alignment=CENTER)
        self.body_shaded = named("ô, ngày nghỉ", _font(10), border=BOX, alignment=CENTER, fill=SHADE)
        self.body_bold = named("ô cộng", _font(10, bold=True), border=BOX, alignment=CENTER)
        self.body_text = named("chữ", _font(10), border=BOX)
        self.body_text_bold = named("chữ cộng", _font(10, bold=True), border=BOX)
        self.sign_date = named("ngày ký", _font(10, italic=True), alignment=CENTER)
        self.sign_title = named("chức danh, người ký", _font(10, bold=True), alignment=CENTER)
        self.sign_note = named("ghi chú ký", _font(10, italic=True), alignment=CENTER)
        self.lock_line = named("khoá sổ", _font(9, italic=True))
        self.legend_title = named("ký hiệu", _font(10, bold=True))
        self.legend = named("ký hiệu, dòng", _font(9))

    def ids(self, ws) -> dict[str, int]:
        """Style name → the cell format number (``s=``) a cell written as XML carries."""
        if self._ids is None:
            probe = WriteOnlyCell(ws)
            self._ids = {}
            for name in self._names:
                probe.style = name
                self._ids[name] = probe.style_id
        return self._ids


def _number(value: float) -> float | int:
    value = round(value, 2)
    return int(value) if value == int(value) else value


def write_timesheets(
    sheets: list[UnitTimesheet],
    target: Path | BytesIO,
    *,
    organisation: str,
    symbols: LeaveConfig,
    circular: str = DEFAULT_CIRCULAR,
    sign_offs: Mapping[str, SignOff] | None = None,
    moment: datetime | None = None,
) -> None:
    """Write one worksheet per unit timesheet to ``target`` (a path or a buffer).

    ``sign_offs``: unit code → who signed its month. ``moment``: the time the workbook
    says it was made (default now); the same data and moment give the same bytes.
    """
    sign_offs = sign_offs or {}
    moment = moment or datetime.now(timezone.utc)
    # write-only: each sheet streams its rows once, instead of holding every cell as an object
    book = Workbook(write_only=True)
    styles = _Styles(book)
    below_head = [_write_sheet(book, styles, sheet, organisation, symbols, circular, sign_offs.get(sheet.unit_code))
                  for sheet in sheets]
    if not sheets:
        book.create_sheet("Trống").append(["Không có ngày nào được chấm công trong tháng này."])
    book.properties.creator = organisation
    book.properties.created = _utc(moment)
    buffer = BytesIO()
    book.save(buffer)
    # each sheet's file name is known once saved (openpyxl numbers them then)
    rows = {ws.path.lstrip("/"): xml for ws, xml in zip(book.worksheets, below_head)}
    data = reproducible_zip(buffer.getvalue(), moment, rows)
    if isinstance(target, BytesIO):
        target.write(data)
    else:
        Path(target).write_bytes(data)


def _utc(moment: datetime) -> datetime:
    """Naive UTC, as the workbook's core properties hold it."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def reproducible_zip(data: bytes, moment: datetime, sheet_rows: Mapping[str, bytes] | None = None) -> bytes:
    """The same workbook with ``moment`` as its modified time and every entry's time,
    and ``sheet_rows`` (zip entry name → rows' XML) added to those sheets' data.

    openpyxl stamps the save time into docProps/core.xml and each zip entry; both are
    replaced so that exporting an unchanged month twice gives identical bytes.
    """
    sheet_rows = sheet_rows or {}
    stamp = _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
    local = moment.timetuple()[:6]
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename in sheet_rows:
                content = insert_rows(content, sheet_rows[info.filename], info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + stamp.encode() + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=local)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            copy.writestr(entry, content)
    return out.getvalue()


def _write_sheet(book: Workbook, styles: _Styles, timesheet: UnitTimesheet, organisation: str, symbols: LeaveConfig,
                 circular: str, signed: SignOff | None) -> bytes:
    """One unit's sheet: openpyxl writes the head (a write-only sheet takes its widths,
    panes and print setup before the first row, and every row once, in order); the rows
    below it are returned as XML, for :func:`reproducible_zip` to put into the sheet."""
    ws = book.create_sheet(_sheet_title(book, timesheet.unit_code))
    days = timesheet.days
    total_column = FIRST_DAY_COLUMN + days  # 32, 33, 34 follow the days
    last_column = total_column + 2
    month = timesheet.month
    head, sub, letters = 9, 10, 11
    _lay_out(ws, total_column, last_column, head, sub, letters)

    def cell(value: object, style: str | None) -> WriteOnlyCell:
        made = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            # text is never a formula: the head carries names from the config and import files
            # (the people's names and grades below it are inline strings: xlsx_rows)
            made.data_type = "s"
        if style is not None:
            made.style = style
        return made

    def merge(first_row: int, first_column: int, last_row: int, last_col: int) -> None:
        ws.merged_cells.add(CellRange(min_row=first_row, min_col=first_column, max_row=last_row, max_col=last_col))

    right = last_column - 9
    merge(1, right, 1, last_column)
    merge(2, right, 3, last_column)
    placed: dict[int, dict[int, WriteOnlyCell]] = {
        1: {1: cell(f"Đơn vị: {timesheet.parent_name or organisation}", styles.heading),
            right: cell("Mẫu số C01-HD", styles.form_code)},
        2: {1: cell(f"Bộ phận: {timesheet.unit_name}", styles.heading), right: cell(f"({circular})", styles.circular)},
        3: {1: cell("Mã đơn vị có quan hệ với ngân sách: ............", styles.heading_plain)},
    }
    for row, text, style in ((5, "BẢNG CHẤM CÔNG", styles.title), (6, f"Tháng {month.month:02d} năm {month.year}", styles.month),
                             (7, "Số: ............", styles.number_line)):
        merge(row, 1, row, last_column)
        placed[row] = {1: cell(text, style)}
    _append_placed(ws, placed, 1, head - 1)

    shaded = {FIRST_DAY_COLUMN + day - 1 for day in range(1, days + 1)
              if date(month.year, month.month, day).weekday() >= 5 or day in timesheet.holidays}
    # the table's head: every position is a bordered cell, the merged ones included
    head_texts = {1: "Số TT", 2: "Họ và tên", 3: "Ngạch, bậc lương hoặc cấp bậc chức vụ",
                  FIRST_DAY_COLUMN: "Ngày trong tháng", total_column: "Quy ra công"}
    for column in (1, 2, 3):
        merge(head, column, sub, column)
    merge(head, FIRST_DAY_COLUMN, head, total_column - 1)
    merge(head, total_column, head, last_column)
    ws.append([cell(head_texts.get(column), styles.table_head) for column in range(1, last_column + 1)])
    sub_texts: dict[int, object] = {FIRST_DAY_COLUMN + day - 1: day for day in range(1, days + 1)}
    for offset, text in enumerate(("Số công hưởng lương thời gian", "Số công nghỉ không lương", "Số công hưởng BHXH")):
        sub_texts[total_column + offset] = text
    letter_texts = ["A", "B", "C", *range(1, days + 1), 32, 33, 34]
    for texts in (sub_texts, dict(enumerate(letter_texts, start=1))):
        ws.append([cell(texts.get(column), styles.table_head_shaded if column in shaded else styles.table_head)
                   for column in range(1, last_column + 1)])

    # below the head: the people, the sum, the signatures and the legend, written as XML
    # text into the sheet openpyxl saves (xlsx_rows: a cell object each was most of the time)
    ids = styles.ids(ws)
    rows = SheetRows()
    body = [ids[styles.body_text if column in (2, 3) else styles.body_shaded if column in shaded else styles.body]
            for column in range(1, last_column + 1)]
    columns = range(1, last_column + 1)
    row_number = letters
    for number, person in enumerate(timesheet.rows, start=1):
        row_number += 1
        values = [number, person.name, person.grade]
        values += [person.symbols.get(day, "") for day in range(1, days + 1)]
        values += [_number(person.paid_by_time), _number(person.unpaid), _number(person.insurance)]
        rows.add(row_number, zip(columns, values, body))
    row_number += 1
    sums: list[object] = [None] * last_column
    sum_styles = list(body)
    sums[1], sum_styles[1] = "Cộng", ids[styles.body_text_bold]
    for offset, value in enumerate(timesheet.totals()):
        sums[total_column - 1 + offset], sum_styles[total_column - 1 + offset] = _number(value), ids[styles.body_bold]
    rows.add(row_number, zip(columns, sums, sum_styles))

    placed: dict[int, dict[int, tuple[object, int]]] = {}

    def put(row: int, column: int, value: object, style: str) -> None:
        placed.setdefault(row, {})[column] = (value, ids[style])

    after = _signatures(put, merge, styles, row_number + 2, last_column, signed)
    _legend(put, styles, after + 1, symbols)
    for row in sorted(placed):
        rows.add(row, ((column, value, style) for column, (value, style) in sorted(placed[row].items())))
    return rows.xml()


def signature_lines(signed: SignOff | None) -> tuple[str, list[tuple[str, str, str]], str | None]:
    """The block's date line; (title, name, date) for the three signatures; the lock line.

    Shared by the workbook and the PDF, so both say the same."""
    approved = signed.approved if signed else None
    dated = (f"Ngày {approved.at.day:02d} tháng {approved.at.month:02d} năm {approved.at.year}" if approved
             else "Ngày ..... tháng ..... năm .......")

    def person(signature: Signature | None) -> tuple[str, str]:
        return (signature.name, f"{signature.at:%d/%m/%Y}") if signature else ("", "")

    slots = [
        ("Người chấm công", *person(signed.submitted if signed else None)),
        ("Phụ trách bộ phận", *person(signed.confirmed if signed else None)),
        ("Người duyệt", *person(approved)),
    ]
    lock = None
    if signed and signed.locked:
        head_id, _, digest = (signed.chain_head or "0:").partition(":")
        lock = (f"Khoá sổ lúc {signed.locked.at:%H:%M} ngày {signed.locked.at:%d/%m/%Y} ({signed.locked.name})."
                f" Nhật ký chấm công đến bản ghi số {head_id}, mã chuỗi {digest or '-'}.")
    return dated, slots, lock


def _lay_out(ws, total_column: int, last_column: int, head: int, sub: int, letters: int) -> None:
    """Widths, the tall day-number row, frozen panes and A4 landscape print setup."""
    ws.column_dimensions["A"].width = 5
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 14
    for column in range(FIRST_DAY_COLUMN, total_column):
        ws.column_dimensions[get_column_letter(column)].width = 4.2
    for column in range(total_column, last_column + 1):
        ws.column_dimensions[get_column_letter(column)].width = 9
    ws.row_dimensions[sub].height = 48
    ws.freeze_panes = f"{get_column_letter(FIRST_DAY_COLUMN)}{letters + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{head}:{letters}"


def _append_placed(ws, placed: Mapping[int, Mapping[int, WriteOnlyCell]], first: int, last: int) -> None:
    """Append rows ``first``..``last`` (rows with nothing placed stay empty)."""
    for row in range(first, last + 1):
        cells = placed.get(row, {})
        ws.append([cells.get(column) for column in range(1, max(cells, default=0) + 1)])


def _signatures(put: Callable[[int, int, object, str], None], merge: Callable[[int, int, int, int], None],
                styles: _Styles, row: int, last_column: int, signed: SignOff | None) -> int:
    """The signature block from ``row``; returns the first row after it."""
    dated, slots, lock = signature_lines(signed)
    third = max(1, last_column // 3)
    merge(row, last_column - third + 1, row, last_column)
    put(row, last_column - third + 1, dated, styles.sign_date)
    for index, (title, name, day) in enumerate(slots):
        start = 1 + index * third
        end = last_column if index == 2 else start + third - 1
        lines = ((1, title, styles.sign_title), (2, "(Ký, họ tên)", styles.sign_note), (5, name, styles.sign_title),
                 (6, day, styles.sign_note))
        for offset, text, style in lines:
            if not text:
                continue
            merge(row + offset, start, row + offset, end)
            put(row + offset, start, text, style)
    if lock:
        put(row + 8, 2, lock, styles.lock_line)
    return row + 9


def _legend(put: Callable[[int, int, object, str], None], styles: _Styles, row: int, symbols: LeaveConfig) -> None:
    put(row, 2, "Ký hiệu chấm công:", styles.legend_title)
    for offset, (symbol, meaning) in enumerate(legend(symbols), start=1):
        put(row + offset, 2, f"{symbol}: {meaning}", styles.legend)


def _sheet_title(book: Workbook, code: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    title = "".join("-" if ch in '[]:*?/\\' else ch for ch in code)[:31] or "Don-vi"
    candidate, number = title, 2
    while candidate in book.sheetnames:
        suffix = f"~{number}"
        candidate = title[: 31 - len(suffix)] + suffix
        number += 1
    return candidate
