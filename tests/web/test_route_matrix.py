"""Every route of the site, for every role: what each may reach.

The table below must name every rule of the app's URL map (a new route fails the last
test until its row is added). Codes: 200 seen, 202 an export under way, 302/303
redirected (to the login page for the anonymous), 401 JSON for the anonymous under
/api/, 403 a role that may not, 404 a unit or person outside the manager's units.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import Auth

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
}
FORMS = {
    "admin.set_role": {"role": "manager", "units": "STC"},
    "admin.set_password": {"password": "mot-mat-khau-moi"},
    "admin.set_active": {"active": "1"},
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
        response = client.get(path)
        for _ in range(60):  # an export still being made: asking again waits for it
            if response.status_code != 202:
                break
            response = client.get(path)
    with response:  # a static file is streamed from an open file
        assert response.status_code == expected[role], response.get_data(as_text=True)[-400:]
        if expected[role] == 401:
            assert response.is_json
        if role == "anonymous" and expected[role] == 302 and endpoint != "i18n.choose":
            assert response.headers["Location"].startswith("/login")


def test_the_matrix_names_every_route(app) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(MATRIX), "add a row to MATRIX for each new route"
