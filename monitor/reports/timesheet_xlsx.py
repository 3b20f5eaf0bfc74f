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
from collections.abc import Mapping
from datetime import date, datetime, timezone
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from monitor.engine.leave import LeaveConfig
from monitor.reports.sign_off import Signature, SignOff
from monitor.reports.timesheet import UnitTimesheet, legend

DEFAULT_CIRCULAR = "Ban hành kèm theo Thông tư số 107/2017/TT-BTC ngày 10/10/2017 của Bộ Tài chính"
FONT = "Times New Roman"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
SHADE = PatternFill("solid", start_color="D9D9D9")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
FIRST_DAY_COLUMN = 4  # A = Số TT, B = Họ và tên, C = Ngạch, bậc


def _font(size: float = 10, *, bold: bool = False, italic: bool = False) -> Font:
    return Font(name=FONT, size=size, bold=bold, italic=italic)


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
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        _write_sheet(book, sheet, organisation, symbols, circular, sign_offs.get(sheet.unit_code))
    if not sheets:
        empty = book.create_sheet("Trống")
        empty["A1"] = "Không có ngày nào được chấm công trong tháng này."
    book.properties.creator = organisation
    book.properties.created = _utc(moment)
    buffer = BytesIO()
    book.save(buffer)
    data = reproducible_zip(buffer.getvalue(), moment)
    if isinstance(target, BytesIO):
        target.write(data)
    else:
        Path(target).write_bytes(data)


def _utc(moment: datetime) -> datetime:
    """Naive UTC, as the workbook's core properties hold it."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def reproducible_zip(data: bytes, moment: datetime) -> bytes:
    """The same workbook with ``moment`` as its modified time and every entry's time.

    openpyxl stamps the save time into docProps/core.xml and each zip entry; both are
    replaced so that exporting an unchanged month twice gives identical bytes.
    """
    stamp = _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
    local = moment.timetuple()[:6]
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + stamp.encode() + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=local)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            copy.writestr(entry, content)
    return out.getvalue()


def _write_sheet(book: Workbook, timesheet: UnitTimesheet, organisation: str, symbols: LeaveConfig, circular: str,
                 signed: SignOff | None) -> None:
    ws = book.create_sheet(_sheet_title(book, timesheet.unit_code))
    days = timesheet.days
    total_column = FIRST_DAY_COLUMN + days  # 32, 33, 34 follow the days
    last_column = total_column + 2
    last_letter = get_column_letter(last_column)
    month = timesheet.month

    ws["A1"] = f"Đơn vị: {timesheet.parent_name or organisation}"
    ws["A2"] = f"Bộ phận: {timesheet.unit_name}"
    ws["A3"] = "Mã đơn vị có quan hệ với ngân sách: ............"
    right = get_column_letter(last_column - 9)
    ws.merge_cells(f"{right}1:{last_letter}1")
    ws[f"{right}1"] = "Mẫu số C01-HD"
    ws.merge_cells(f"{right}2:{last_letter}3")
    ws[f"{right}2"] = f"({circular})"
    for cell in ("A1", "A2", "A3"):
        ws[cell].font = _font(11, bold=cell != "A3")
    ws[f"{right}1"].font = _font(11, bold=True)
    ws[f"{right}1"].alignment = CENTER
    ws[f"{right}2"].font = _font(9, italic=True)
    ws[f"{right}2"].alignment = CENTER

    for row, text, size, bold in ((5, "BẢNG CHẤM CÔNG", 14, True), (6, f"Tháng {month.month:02d} năm {month.year}", 11, False),
                                  (7, "Số: ............", 10, False)):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_column)
        cell = ws.cell(row=row, column=1, value=text)
        cell.font = _font(size, bold=bold)
        cell.alignment = CENTER

    head, sub, letters = 9, 10, 11
    for column, text in ((1, "Số TT"), (2, "Họ và tên"), (3, "Ngạch, bậc lương hoặc cấp bậc chức vụ")):
        ws.merge_cells(start_row=head, start_column=column, end_row=sub, end_column=column)
        ws.cell(row=head, column=column, value=text)
    ws.merge_cells(start_row=head, start_column=FIRST_DAY_COLUMN, end_row=head, end_column=total_column - 1)
    ws.cell(row=head, column=FIRST_DAY_COLUMN, value="Ngày trong tháng")
    ws.merge_cells(start_row=head, start_column=total_column, end_row=head, end_column=last_column)
    ws.cell(row=head, column=total_column, value="Quy ra công")
    for offset, text in enumerate(("Số công hưởng lương thời gian", "Số công nghỉ không lương", "Số công hưởng BHXH")):
        ws.cell(row=sub, column=total_column + offset, value=text)
    shaded = set()
    for day in range(1, days + 1):
        ws.cell(row=sub, column=FIRST_DAY_COLUMN + day - 1, value=day)
        if date(month.year, month.month, day).weekday() >= 5 or day in timesheet.holidays:
            shaded.add(FIRST_DAY_COLUMN + day - 1)
    for column, text in enumerate(["A", "B", "C", *range(1, days + 1), 32, 33, 34], start=1):
        ws.cell(row=letters, column=column, value=text)

    row_number = letters
    for number, person in enumerate(timesheet.rows, start=1):
        row_number += 1
        values = [number, person.name, person.grade]
        values += [person.symbols.get(day, "") for day in range(1, days + 1)]
        values += [_number(person.paid_by_time), _number(person.unpaid), _number(person.insurance)]
        for column, value in enumerate(values, start=1):
            cell = ws.cell(row=row_number, column=column, value=value)
            if isinstance(value, str):
                # a name or grade from an import file is text, never a formula
                # ("=HYPERLINK(...)" would otherwise run when the sheet is opened)
                cell.data_type = "s"
    row_number += 1
    ws.cell(row=row_number, column=2, value="Cộng").font = _font(10, bold=True)
    for offset, value in enumerate(timesheet.totals()):
        ws.cell(row=row_number, column=total_column + offset, value=_number(value)).font = _font(10, bold=True)

    for row in ws.iter_rows(min_row=head, max_row=row_number, max_col=last_column):
        for cell in row:
            cell.border = BOX
            if cell.row <= letters:
                cell.font = _font(9, bold=True)
                cell.alignment = CENTER
            elif cell.column != 2 and cell.column != 3:
                cell.alignment = CENTER
                if cell.font is None or not cell.font.b:
                    cell.font = _font(10)
            else:
                cell.font = _font(10, bold=cell.value == "Cộng")
            if cell.column in shaded and cell.row > head:
                cell.fill = SHADE

    after = _signatures(ws, row_number + 2, last_column, signed)
    _legend(ws, after + 1, symbols)

    ws.column_dimensions["A"].width = 5
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 14
    for column in range(FIRST_DAY_COLUMN, total_column):
        ws.column_dimensions[get_column_letter(column)].width = 4.2
    for column in range(total_column, last_column + 1):
        ws.column_dimensions[get_column_letter(column)].width = 9
    ws.row_dimensions[sub].height = 48
    ws.freeze_panes = ws.cell(row=letters + 1, column=FIRST_DAY_COLUMN)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{head}:{letters}"


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


def _signatures(ws, row: int, last_column: int, signed: SignOff | None) -> int:
    """The signature block from ``row``; returns the first row after it."""
    dated, slots, lock = signature_lines(signed)
    third = max(1, last_column // 3)
    ws.merge_cells(start_row=row, start_column=last_column - third + 1, end_row=row, end_column=last_column)
    cell = ws.cell(row=row, column=last_column - third + 1, value=dated)
    cell.font = _font(10, italic=True)
    cell.alignment = CENTER
    for index, (title, name, day) in enumerate(slots):
        start = 1 + index * third
        end = last_column if index == 2 else start + third - 1
        lines = ((1, title, False, False), (2, "(Ký, họ tên)", False, True), (5, name, True, False), (6, day, False, True))
        for offset, text, bold, italic in lines:
            if not text:
                continue
            ws.merge_cells(start_row=row + offset, start_column=start, end_row=row + offset, end_column=end)
            cell = ws.cell(row=row + offset, column=start, value=text)
            cell.font = _font(10, bold=bold or offset == 1, italic=italic)
            cell.alignment = CENTER
    if lock:
        ws.cell(row=row + 8, column=2, value=lock).font = _font(9, italic=True)
    return row + 9


def _legend(ws, row: int, symbols: LeaveConfig) -> None:
    ws.cell(row=row, column=2, value="Ký hiệu chấm công:").font = _font(10, bold=True)
    for offset, (symbol, meaning) in enumerate(legend(symbols), start=1):
        ws.cell(row=row + offset, column=2, value=f"{symbol}: {meaning}").font = _font(9)


def _sheet_title(book: Workbook, code: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    title = "".join("-" if ch in '[]:*?/\\' else ch for ch in code)[:31] or "Don-vi"
    candidate, number = title, 2
    while candidate in book.sheetnames:
        suffix = f"~{number}"
        candidate = title[: 31 - len(suffix)] + suffix
        number += 1
    return candidate
