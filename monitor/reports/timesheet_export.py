"""The month's timesheet file, XLSX or PDF, for the CLI and the web alike.

The file carries each unit's signatures. Its timestamps are the moment of the latest
lock when every unit in it is locked, so exporting a locked month again gives the same
bytes; otherwise the moment of the export. The names on a locked unit's sheet are those
its lock froze (:mod:`monitor.store.month_roster`), so a later rename changes nothing;
a month locked before locks froze names reads them live. What comes from the config
(``organisation``, the symbols, ``circular``) is the caller's to keep unchanged.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from io import BytesIO

from monitor.engine.leave import LeaveConfig
from monitor.reports.period import Month
from monitor.reports.sign_off import sign_off
from monitor.reports.timesheet import UnitTimesheet, build_timesheets
from monitor.reports.timesheet_xlsx import DEFAULT_CIRCULAR, write_timesheets
from monitor.store import Store

FORMATS = ("xlsx", "pdf")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def export_timesheet(
    store: Store,
    month: Month,
    symbols: LeaveConfig,
    *,
    file_format: str,
    organisation: str,
    now: datetime,
    unit: str | None = None,
    allowed: Collection[str] | None = None,
    circular: str = DEFAULT_CIRCULAR,
) -> tuple[bytes, list[UnitTimesheet]]:
    """The timesheet file's bytes and the unit sheets in it (only ``allowed`` units when given)."""
    codes = None if allowed is None else sorted(allowed)
    sheets = [s for s in build_timesheets(store, month, symbols, unit, unit_codes=codes)
              if allowed is None or s.unit_code in allowed]
    signed = {sheet.unit_code: sign_off(store, sheet.unit_code, str(month)) for sheet in sheets}
    locks = [s.locked.at for s in signed.values() if s.locked]
    moment = max(locks) if sheets and len(locks) == len(sheets) else now
    if file_format == "pdf":
        from monitor.reports.timesheet_pdf import timesheet_pdf

        data = timesheet_pdf(sheets, organisation=organisation, symbols=symbols, circular=circular,
                             sign_offs=signed, moment=moment)
        return data, sheets
    buffer = BytesIO()
    write_timesheets(sheets, buffer, organisation=organisation, symbols=symbols, circular=circular,
                     sign_offs=signed, moment=moment)
    return buffer.getvalue(), sheets
