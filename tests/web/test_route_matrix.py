"""Every route of the site, for every role: what each may reach.

The table below must name every rule of the app's URL map (a new route fails the last
test until its row is added). Codes: 200 seen, 202 an export under way, 302/303
redirected (to the login page for the anonymous), 401 JSON for the anonymous under
/api/, 403 a role that may not, 404 a unit or person outside the manager's units.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import Auth, fetch_export

ROLES = ("anonymous", "admin", "nhansu", "truongsnv", "truongstc")

# endpoint → (method, path, {role: expected status}); truongstc manages STC only
MATRIX = {
    "static": ("GET", "/static/site.css", dict(anonymous=200, admin=200, nhansu=200, truongsnv=200, truongstc=200)),
    "auth.login": ("GET", "/login", dict(anonymous=200, admin=200, nhansu=200, truongsnv=200, truongstc=200)),
    "auth.logout": ("POST", "/logout", dict(anonymous=302, admin=302, nhansu=302, truongsnv=302, truongstc=302)),
    "i18n.choose": ("GET", "/language/en", dict(anonymous=302, admin=302, nhansu=302, truongsnv=302, truongstc=302)),
    "pages.index": ("GET", "/?date=2026-11-25", dict(anonymous=302, admin=200, nhansu=200, truongsnv=200, truongstc=200)),
    "pages.unit_day": ("GET", "/units/SNV-TC?date=2026-11-25",
                       dict(anonymous=302, admin=200, nhansu=200, truongsnv=200, truongstc=404)),
    "pages.employee_month": ("GET", "/employees/NV002?month=2026-11",
                             dict(anonymous=302, admin=200, nhansu=200, truongsnv=200, truongstc=404)),
    "pages.month_summary": ("GET", "/month?month=2026-11&unit=SNV",
                            dict(anonymous=302, admin=200, nhansu=200, truongsnv=200, truongstc=404)),
    "pages.timesheet_xlsx": ("GET", "/month/timesheet.xlsx?month=2026-11&unit=SNV",
                             dict(anonymous=302, admin=200, nhansu=200, truongsnv=200, truongstc=404)),
    "pages.search": ("GET", "/search?q=NV00", dict(anonymous=302, admin=200, nhansu=200, truongsnv=200, truongstc=302)),
    "pages.api_day": ("GET", "/api/day?date=2026-11-25&unit=SNV",
                      dict(anonymous=401, admin=200, nhansu=200, truongsnv=200, truongstc=404)),
    "pages.api_month": ("GET", "/api/month?month=2026-11&unit=SNV",
                        dict(anonymous=401, admin=200, nhansu=200, truongsnv=200, truongstc=404)),
    "pages.api_employee": ("GET", "/api/employees/NV002?month=2026-11",
                           dict(anonymous=401, admin=200, nhansu=200, truongsnv=200, truongstc=404)),
    "devices.index": ("GET", "/devices", dict(anonymous=302, admin=200, nhansu=200, truongsnv=403, truongstc=403)),
    "devices.api": ("GET", "/api/devices", dict(anonymous=401, admin=200, nhansu=200, truongsnv=403, truongstc=403)),
    "devices.sync_time": ("POST", "/devices/gate/sync-time",
                          dict(anonymous=302, admin=404, nhansu=403, truongsnv=403, truongstc=403)),
    "admin.users": ("GET", "/admin/users", dict(anonymous=302, admin=200, nhansu=403, truongsnv=403, truongstc=403)),
    "admin.user": ("GET", "/admin/users/truongsnv", dict(anonymous=302, admin=200, nhansu=403, truongsnv=403, truongstc=403)),
    "admin.set_role": ("POST", "/admin/users/truongstc/role",
                       dict(anonymous=302, admin=303, nhansu=403, truongsnv=403, truongstc=403)),
    "admin.set_password": ("POST", "/admin/users/truongstc/password",
                           dict(anonymous=302, admin=303, nhansu=403, truongsnv=403, truongstc=403)),
    "admin.set_active": ("POST", "/admin/users/truongstc/active",
                         dict(anonymous=302, admin=303, nhansu=403, truongsnv=403, truongstc=403)),
    "admin.end_sessions": ("POST", "/admin/users/truongstc/sessions/end",
                           dict(anonymous=302, admin=303, nhansu=403, truongsnv=403, truongstc=403)),
    # push clocks (an unknown serial number and a clock that does not push: admin 404)
    "devices.accept": ("POST", "/devices/push/CQZ0000001/accept",
                       dict(anonymous=302, admin=404, nhansu=403, truongsnv=403, truongstc=403)),
    "devices.reject": ("POST", "/devices/push/CQZ0000001/reject",
                       dict(anonymous=302, admin=404, nhansu=403, truongsnv=403, truongstc=403)),
    "devices.ask": ("POST", "/devices/gate/ask/info", dict(anonymous=302, admin=404, nhansu=403, truongsnv=403, truongstc=403)),
    "devices.backfill": ("POST", "/devices/gate/backfill",
                         dict(anonymous=302, admin=404, nhansu=403, truongsnv=403, truongstc=403)),
    # the month close: a step nobody may take here is refused with a message (303), a unit outside is 404
    "month_close.index": ("GET", "/close?month=2026-10", dict(anonymous=302, admin=200, nhansu=200, truongsnv=200, truongstc=200)),
    "month_close.act": ("POST", "/close/SNV/submit", dict(anonymous=302, admin=303, nhansu=303, truongsnv=303, truongstc=404)),
    # notifications: the log is the admins', everyone sets their own address
    "notify.log": ("GET", "/notifications", dict(anonymous=302, admin=200, nhansu=403, truongsnv=403, truongstc=403)),
    "notify.api_log": ("GET", "/api/notifications", dict(anonymous=401, admin=200, nhansu=403, truongsnv=403, truongstc=403)),
    "notify.settings": ("GET", "/account/notifications", dict(anonymous=302, admin=200, nhansu=200, truongsnv=200, truongstc=200)),
    # requests (none is filed here: request 1 is 404 for everyone; tests/web/test_request_pages.py has the
    # matrix with requests, staff and the parent unit's manager); /me is a staff account's own month
    "requests.index": ("GET", "/requests", dict(anonymous=302, admin=200, nhansu=200, truongsnv=200, truongstc=200)),
    "requests.api_index": ("GET", "/api/requests", dict(anonymous=401, admin=200, nhansu=200, truongsnv=200, truongstc=200)),
    "requests.inbox": ("GET", "/requests/inbox", dict(anonymous=302, admin=200, nhansu=200, truongsnv=200, truongstc=200)),
    "requests.api_inbox": ("GET", "/api/requests/inbox", dict(anonymous=401, admin=200, nhansu=200, truongsnv=200, truongstc=200)),
    "requests.my_month": ("GET", "/me", dict(anonymous=302, admin=404, nhansu=404, truongsnv=404, truongstc=404)),
    "requests.api_me": ("GET", "/api/me", dict(anonymous=401, admin=404, nhansu=404, truongsnv=404, truongstc=404)),
    "requests.new": ("GET", "/requests/new?employee=NV002&date=2026-11-25&kind=explanation",
                     dict(anonymous=302, admin=200, nhansu=200, truongsnv=200, truongstc=404)),
    "requests.day_detail": ("GET", "/employees/NV002/days/2026-11-25",
                            dict(anonymous=302, admin=200, nhansu=200, truongsnv=200, truongstc=404)),
    "requests.api_day_detail": ("GET", "/api/employees/NV002/days/2026-11-25",
                                dict(anonymous=401, admin=200, nhansu=200, truongsnv=200, truongstc=404)),
    "requests.show": ("GET", "/requests/1", dict(anonymous=302, admin=404, nhansu=404, truongsnv=404, truongstc=404)),
    "requests.api_show": ("GET", "/api/requests/1", dict(anonymous=401, admin=404, nhansu=404, truongsnv=404, truongstc=404)),
    "requests.download": ("GET", "/requests/1/files/1", dict(anonymous=302, admin=404, nhansu=404, truongsnv=404, truongstc=404)),
    "requests.attach": ("POST", "/requests/1/files", dict(anonymous=302, admin=404, nhansu=404, truongsnv=404, truongstc=404)),
    "requests.decide": ("POST", "/requests/1/decide", dict(anonymous=302, admin=404, nhansu=404, truongsnv=404, truongstc=404)),
    "requests.decide_many": ("POST", "/requests/decide", dict(anonymous=302, admin=404, nhansu=404, truongsnv=404, truongstc=404)),
    "requests.revoke": ("POST", "/requests/1/revoke", dict(anonymous=302, admin=404, nhansu=404, truongsnv=404, truongstc=404)),
    "requests.withdraw": ("POST", "/requests/1/withdraw", dict(anonymous=302, admin=404, nhansu=404, truongsnv=404, truongstc=404)),
    "requests.password": ("GET", "/account/password", dict(anonymous=302, admin=200, nhansu=200, truongsnv=200, truongstc=200)),
    # the roll-call (a manager: their units; another unit's is 404), the calendar and the audit trail (admin, HR)
    "rollcall.index": ("GET", "/rollcall?at=2026-11-25T09:50&unit=SNV",
                       dict(anonymous=302, admin=200, nhansu=200, truongsnv=200, truongstc=404)),
    "rollcall.api": ("GET", "/api/rollcall?at=2026-11-25T09:50&unit=SNV",
                     dict(anonymous=401, admin=200, nhansu=200, truongsnv=200, truongstc=404)),
    "calendar.index": ("GET", "/calendar?year=2026", dict(anonymous=302, admin=200, nhansu=200, truongsnv=403, truongstc=403)),
    "calendar.api": ("GET", "/api/calendar?year=2026", dict(anonymous=401, admin=200, nhansu=200, truongsnv=403, truongstc=403)),
    "audit.index": ("GET", "/audit", dict(anonymous=302, admin=200, nhansu=200, truongsnv=403, truongstc=403)),
    "audit.api": ("GET", "/api/audit", dict(anonymous=401, admin=200, nhansu=200, truongsnv=403, truongstc=403)),
    "audit.export": ("GET", "/audit.csv", dict(anonymous=302, admin=200, nhansu=200, truongsnv=403, truongstc=403)),
}
FORMS = {
    "admin.set_role": {"role": "manager", "units": "STC"},
    "admin.set_password": {"password": "mot-mat-khau-moi"},
    "admin.set_active": {"active": "1"},
    "devices.accept": {"device_id": "lobby", "unit": "SNV"},
    "devices.reject": {"reason": "not ours"},
    "devices.backfill": {"from": "2026-11-01", "to": "2026-11-02"},
    "month_close.act": {"month": "2026-10"},
    "requests.decide": {"decision": "approve", "comment": "ok"},
    "requests.decide_many": {"ids": "1", "decision": "approve"},
    "requests.revoke": {"reason": "by mistake"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_route_by_role(client, endpoint: str, role: str) -> None:
    method, path, expected = MATRIX[endpoint]
    auth = Auth(client)
    if role != "anonymous":
        assert auth.login(role).status_code == 302
    if method == "POST":
        token = auth.csrf("/login") if role == "anonymous" else auth.csrf("/")
        response = client.post(path, data={"csrf_token": token, **FORMS.get(endpoint, {})})
    else:
        response = fetch_export(client, path)  # a page answers at once; an export once it is made
    with response:  # a static file is streamed from an open file
        assert response.status_code == expected[role], response.get_data(as_text=True)[-400:]
        if expected[role] == 401:
            assert response.is_json
        if role == "anonymous" and expected[role] == 302 and endpoint != "i18n.choose":
            assert response.headers["Location"].startswith("/login")


def test_the_matrix_names_every_route(app) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(MATRIX), "add a row to MATRIX for each new route"
