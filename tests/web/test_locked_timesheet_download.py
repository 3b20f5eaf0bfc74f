"""The web's timesheet download of a locked month carries the names frozen at the lock,
while a unit still open in the same file shows the directory as it is now."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from monitor.config import Config
from monitor.reports.period import Month
from monitor.service.evaluation import Evaluation
from monitor.service.month_close import take_step
from monitor.store import Store
from tests.conftest import FIXED_NOW, ZONE
from tests.monitor.month_helpers import sheet_texts
from tests.web.conftest import PASSWORD, download, punch

OCTOBER = Month(2026, 10)


@pytest.fixture
def snv_locked(web_config: Path) -> Path:
    """October judged in the web database and SNV's month signed and locked; SNV-TC, the
    unit below it, still open."""
    with Store(web_config.parent / "web.db", zone=ZONE, now=lambda: FIXED_NOW) as store:
        store.add_user("chamcong", PASSWORD, role="timekeeper", units=["SNV"], full_name="Hoàng Thị Chấm", actor="test")
        store.add_user("truongubnd", PASSWORD, role="manager", units=["UBND"], full_name="Ngô Văn Duyệt", actor="test")
        store.add_punches("gate", [punch("2", "2026-10-15 07:25:00"), punch("2", "2026-10-15 17:05:00")], source="file")
        Evaluation(store, Config(path=None).policy, FIXED_NOW).run(day_from=date(2026, 10, 1))
        for step, user in (("submit", "chamcong"), ("confirm", "truongsnv"), ("approve", "truongubnd"),
                           ("lock", "nhansu")):
            take_step(store, step, "SNV", OCTOBER, user, today=FIXED_NOW.date())
    return web_config


def test_the_download_of_a_locked_month_shows_the_frozen_names(snv_locked: Path, auth_for) -> None:
    client, auth = auth_for(snv_locked)
    auth.login("nhansu")
    url = "/month/timesheet.xlsx?month=2026-10&unit=SNV"
    before = sheet_texts(download(client, url).data)
    assert "Nguyễn Thị Lan" in before["SNV"] and "Trần Văn Bình" in before["SNV-TC"]
    with Store(snv_locked.parent / "web.db", zone=ZONE, now=lambda: FIXED_NOW) as store:
        store.upsert_employees([{"code": "NV001", "unit_code": "SNV", "full_name": "Nguyễn Thị Lan Anh",
                                 "grade": "Chuyên viên chính"},
                                {"code": "NV002", "unit_code": "SNV-TC", "full_name": "Trần Văn Bình Minh"}],
                               actor="nhansu", reason="đổi tên")
        store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ (mới)"}], actor="nhansu")
    after = sheet_texts(download(client, url).data)
    assert after["SNV"] == before["SNV"]  # the locked sheet, as signed
    assert "Nguyễn Thị Lan Anh" not in after["SNV"] and "Chuyên viên chính" not in after["SNV"]
    assert "Trần Văn Bình Minh" in after["SNV-TC"]  # the open unit below: the directory now
    assert "Đơn vị: Sở Nội vụ (mới)" in after["SNV-TC"]
