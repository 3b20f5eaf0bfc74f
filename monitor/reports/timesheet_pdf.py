"""The month's timesheet (Mẫu số C01-HD) as a PDF for signing, with fpdf2.

fpdf2 is pure Python (no system libraries, works on Windows) and embeds a subset of a
TrueType font. The font must have the Vietnamese letters: DejaVu Serif (Debian's
``fonts-dejavu-core``) or Windows' Times New Roman. The document's creation date is the
given moment (the lock's, for a locked month), so the same month gives the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime, timezone
from pathlib import Path

from fpdf import FPDF

from monitor.engine.leave import LeaveConfig
from monitor.errors import MonitorError
from monitor.reports.sign_off import SignOff
from monitor.reports.timesheet import UnitTimesheet, legend
from monitor.reports.timesheet_xlsx import DEFAULT_CIRCULAR, signature_lines

# (regular, bold) pairs, first found wins; MONITOR_PDF_FONT names a regular .ttf to use instead
FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSerif.ttf", "/usr/share/fonts/TTF/DejaVuSerif-Bold.ttf"),
    ("C:/Windows/Fonts/times.ttf", "C:/Windows/Fonts/timesbd.ttf"),
)
MARGIN = 10.0
NUMBER_W, NAME_W, GRADE_W, TOTAL_W = 8.0, 42.0, 18.0, 13.0
ROW_H = 5.0


def find_fonts() -> tuple[str, str]:
    """Paths of a regular and a bold font with Vietnamese letters, or a clear error."""
    chosen = os.environ.get("MONITOR_PDF_FONT")
    if chosen:
        if not Path(chosen).is_file():
            raise MonitorError(f"MONITOR_PDF_FONT={chosen} is not a file: name a TrueType (.ttf) font with Vietnamese letters")
        return chosen, chosen
    for regular, bold in FONT_CANDIDATES:
        if Path(regular).is_file():
            return regular, bold if Path(bold).is_file() else regular
    raise MonitorError(
        "no font with Vietnamese letters for the PDF: install DejaVu (apt-get install fonts-dejavu-core),"
        " or set MONITOR_PDF_FONT to a .ttf file such as Times New Roman"
    )


def timesheet_pdf(
    sheets: list[UnitTimesheet],
    *,
    organisation: str,
    symbols: LeaveConfig,
    circular: str = DEFAULT_CIRCULAR,
    sign_offs: Mapping[str, SignOff] | None = None,
    moment: datetime | None = None,
) -> bytes:
    """One A4 landscape page (or more) per unit timesheet, as PDF bytes."""
    regular, bold = find_fonts()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_creation_date(moment or datetime.now(timezone.utc))
    pdf.set_creator(organisation)
    pdf.set_title("Bảng chấm công")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, MARGIN)
    pdf.add_font("Serif", "", regular)
    pdf.add_font("Serif", "B", bold)
    pdf.add_font("Serif", "I", regular)  # no italic needed to read a form: the regular face stands in
    for sheet in sheets:
        _page(pdf, sheet, organisation, symbols, circular, (sign_offs or {}).get(sheet.unit_code))
    if not sheets:
        pdf.add_page()
        pdf.set_font("Serif", "", 11)
        pdf.cell(text="Không có ngày nào được chấm công trong tháng này.")
    return bytes(pdf.output())


def _page(pdf: FPDF, sheet: UnitTimesheet, organisation: str, symbols: LeaveConfig, circular: str,
          signed: SignOff | None) -> None:
    pdf.add_page()
    width = pdf.w - 2 * MARGIN
    pdf.set_font("Serif", "B", 10)
    pdf.cell(width * 0.6, 5, f"Đơn vị: {sheet.parent_name or organisation}")
    pdf.cell(width * 0.4, 5, "Mẫu số C01-HD", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(width * 0.6, 5, f"Bộ phận: {sheet.unit_name}")
    pdf.set_font("Serif", "", 7)
    pdf.multi_cell(width * 0.4, 3.5, f"({circular})", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Serif", "B", 13)
    pdf.cell(width, 7, "BẢNG CHẤM CÔNG", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "", 10)
    pdf.cell(width, 5, f"Tháng {sheet.month.month:02d} năm {sheet.month.year}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    day_w = (width - NUMBER_W - NAME_W - GRADE_W - 3 * TOTAL_W) / sheet.days
    _grid_head(pdf, sheet, day_w)
    pdf.set_font("Serif", "", 7)
    days_off = {day for day in range(1, sheet.days + 1) if _shaded(pdf, sheet, day)}  # sets the shade's colour
    symbol_widths: dict[str, float] = {}
    for number, person in enumerate(sheet.rows, start=1):
        pdf.cell(NUMBER_W, ROW_H, str(number), border=1, align="C")  # breaks the page when the row does not fit
        pdf.cell(NAME_W, ROW_H, person.name, border=1)
        pdf.cell(GRADE_W, ROW_H, person.grade, border=1)
        # The day cells are drawn as cell() draws them (a box, shaded on days off, the
        # symbol centred on the same baseline), without its text layout for each of a
        # province's 300,000 cells: that was most of the PDF's time.
        x, top = pdf.get_x(), pdf.get_y()
        baseline = top + 0.5 * ROW_H + 0.3 * pdf.font_size
        for day in range(1, sheet.days + 1):
            pdf.rect(x, top, day_w, ROW_H, style="DF" if day in days_off else "D")
            symbol = person.symbols.get(day)
            if symbol:
                symbol_width = symbol_widths.get(symbol)
                if symbol_width is None:
                    symbol_width = symbol_widths[symbol] = pdf.get_string_width(symbol)
                pdf.text(x + (day_w - symbol_width) / 2, baseline, symbol)
            x += day_w
        pdf.set_x(x)
        for value in (person.paid_by_time, person.unpaid, person.insurance):
            pdf.cell(TOTAL_W, ROW_H, _number(value), border=1, align="C")
        pdf.ln(ROW_H)
    pdf.set_font("Serif", "B", 7)
    pdf.cell(NUMBER_W, ROW_H, "", border=1)
    pdf.cell(NAME_W + GRADE_W + day_w * sheet.days, ROW_H, "Cộng", border=1)
    for value in sheet.totals():
        pdf.cell(TOTAL_W, ROW_H, _number(value), border=1, align="C")
    pdf.ln(ROW_H + 3)
    _signatures(pdf, width, signed)
    pdf.set_font("Serif", "B", 7)
    pdf.cell(width, 4, "Ký hiệu chấm công:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "", 7)
    pdf.multi_cell(width, 3.5, " · ".join(f"{symbol}: {meaning}" for symbol, meaning in legend(symbols)))


def _grid_head(pdf: FPDF, sheet: UnitTimesheet, day_w: float) -> None:
    pdf.set_font("Serif", "B", 6.5)
    top = pdf.get_y()
    left = pdf.get_x()
    for w, text in ((NUMBER_W, "Số TT"), (NAME_W, "Họ và tên"), (GRADE_W, "Ngạch, bậc")):
        pdf.multi_cell(w, 2 * ROW_H, text, border=1, align="C", new_x="RIGHT", new_y="TOP", max_line_height=ROW_H)
    days_left = pdf.get_x()
    pdf.cell(day_w * sheet.days, ROW_H, "Ngày trong tháng", border=1, align="C")
    pdf.cell(3 * TOTAL_W, ROW_H, "Quy ra công", border=1, align="C")
    pdf.set_xy(days_left, top + ROW_H)
    for day in range(1, sheet.days + 1):
        pdf.cell(day_w, ROW_H, str(day), border=1, align="C", fill=_shaded(pdf, sheet, day))
    for text in ("32", "33", "34"):
        pdf.cell(TOTAL_W, ROW_H, text, border=1, align="C")
    pdf.set_xy(left, top + 2 * ROW_H)


def _shaded(pdf: FPDF, sheet: UnitTimesheet, day: int) -> bool:
    off = date(sheet.month.year, sheet.month.month, day).weekday() >= 5 or day in sheet.holidays
    pdf.set_fill_color(217, 217, 217)
    return off


def _signatures(pdf: FPDF, width: float, signed: SignOff | None) -> None:
    dated, slots, lock = signature_lines(signed)
    third = width / 3
    pdf.set_font("Serif", "I", 8)
    pdf.set_x(MARGIN + 2 * third)
    pdf.cell(third, 4, dated, align="C", new_x="LMARGIN", new_y="NEXT")
    for row, style in ((0, "B"), (None, "I")):
        pdf.set_font("Serif", style, 8)
        for title, _name, _day in slots:
            pdf.cell(third, 4, title if row == 0 else "(Ký, họ tên)", align="C")
        pdf.ln(4)
    pdf.ln(10)
    pdf.set_font("Serif", "B", 8)
    for _title, name, _day in slots:
        pdf.cell(third, 4, name, align="C")
    pdf.ln(4)
    pdf.set_font("Serif", "", 8)
    for _title, _name, day in slots:
        pdf.cell(third, 4, day, align="C")
    pdf.ln(5)
    if lock:
        pdf.set_font("Serif", "", 7)
        pdf.multi_cell(width, 3.5, lock, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _number(value: float) -> str:
    value = round(value, 2)
    return str(int(value)) if value == int(value) else f"{value:g}".replace(".", ",")
