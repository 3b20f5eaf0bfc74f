"""Requests on the site: staff explain a day or ask for a correction from their month,
managers decide from an inbox (one by one or in bulk), HR files on someone's behalf and
sees every request; the day detail page shows the raw punches, the judgement in words,
the requests, their files and the audit trail.

Every page has a JSON twin under ``/api/``; every form carries a CSRF token (global
``CSRFProtect``). Whatever the user may not see is 404 (``web.visibility``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from monitor.engine.requests import KINDS, PENDING, REASONS, STATUSES, VIOLATIONS
from monitor.errors import MonitorError, NotFound, Refused
from monitor.reports.attendance import day_row
from monitor.service.requests import (
    Draft,
    RequestDesk,
    can_see,
    decide_refusal,
    parse_clock,
    pending_count,
    pending_for_approver,
    read_attachment,
)
from web.db import get_store, now, state
from web.i18n import say
from web.judgement import judgement_lines
from web.visibility import current_actor, visible_employee, visible_request, visible_units

bp = Blueprint("requests", __name__)
DECIDERS = ("manager", "hr", "admin")
# pages a user who must change their password may still reach
OPEN_ENDPOINTS = {"requests.password", "auth.logout", "auth.login", "static", "i18n.choose"}


def _desk() -> RequestDesk:
    config = state().config
    return RequestDesk(get_store(), config.policy, config.requests, now())


@bp.before_app_request
def _first_login_and_staff_home():
    """A first password must be changed before anything else; staff start at their month."""
    if not current_user.is_authenticated:
        return None
    endpoint = request.endpoint or ""
    if current_user.must_change_password and endpoint not in OPEN_ENDPOINTS:
        return redirect(url_for("requests.password"))
    if current_user.role == "staff" and endpoint == "pages.index":
        return redirect(url_for("requests.my_month"))
    return None


@bp.app_context_processor
def _navigation() -> dict[str, Any]:
    if not current_user.is_authenticated or current_user.role not in DECIDERS:
        return {"inbox_count": None}
    return {"inbox_count": pending_count(get_store(), current_actor())}


def _day(text: str | None) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        abort(400, description=f"date must look like 2026-11-26, not {text!r}")


def _int(text: str | None, name: str) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        abort(400, description=f"{name} must be a whole number, not {text!r}")


def request_view(row: dict[str, Any]) -> dict[str, Any]:
    """A request as pages and JSON show it."""
    keys = ("id", "employee_code", "full_name", "unit_code", "kind", "day_from", "day_to", "part", "violation",
            "minutes", "category", "leave_kind", "claimed_in", "claimed_out", "reason", "document_no", "status",
            "approver_unit", "filed_by", "filed_at", "decided_by", "decided_at", "decision_comment", "revoked_by",
            "revoked_at", "revoke_reason")
    view = {key: row[key] for key in keys}
    view["on_behalf"] = bool(row["on_behalf"])
    return view


# --- staff: my month, my requests ----------------------------------------------------


@bp.route("/me")
@login_required
def my_month():
    """The signed-in person's month (staff, or anyone linked to an employee)."""
    if not current_user.employee_code:
        abort(404)
    return redirect(url_for("pages.employee_month", code=current_user.employee_code, month=request.args.get("month")))


@bp.route("/api/me")
@login_required
def api_me():
    if not current_user.employee_code:
        abort(404)
    rows = get_store().requests_where(employee_codes=[current_user.employee_code], limit=1000)
    return jsonify(employee=current_user.employee_code, requests=[request_view(r) for r in rows])


# --- lists ---------------------------------------------------------------------------------


def _visible_requests() -> list[dict[str, Any]]:
    """Every request the user may see, filtered by the query string."""
    store = get_store()
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        abort(400, description=f"status must be one of {', '.join(STATUSES)}")
    kind = request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        abort(400, description=f"kind must be one of {', '.join(KINDS)}")
    filters: dict[str, Any] = {"statuses": [status] if status else None, "kinds": [kind] if kind else None,
                               "search": (request.args.get("q") or "").strip() or None}
    if current_user.role == "staff":
        filters["employee_codes"] = [current_user.employee_code]
    elif not current_user.sees_everything:
        units = visible_units() or set()
        rows = store.requests_where(unit_codes=sorted(units), **filters)
        if current_user.employee_code:
            rows += store.requests_where(employee_codes=[current_user.employee_code], **filters)
            rows = sorted({r["id"]: r for r in rows}.values(), key=lambda r: -r["id"])
        return rows
    return store.requests_where(**filters)


@bp.route("/requests")
@login_required
def index():
    rows = _visible_requests()
    return render_template("requests/index.html", rows=rows, statuses=STATUSES, kinds=KINDS,
                           status=request.args.get("status") or "", kind=request.args.get("kind") or "",
                           q=request.args.get("q") or "")


@bp.route("/api/requests")
@login_required
def api_index():
    return jsonify(requests=[request_view(r) for r in _visible_requests()])


def _inbox_rows() -> list[dict[str, Any]]:
    if current_user.role not in DECIDERS:
        abort(404)
    return pending_for_approver(get_store(), current_user.username)


@bp.route("/requests/inbox")
@login_required
def inbox():
    return render_template("requests/inbox.html", rows=_inbox_rows())


@bp.route("/api/requests/inbox")
@login_required
def api_inbox():
    return jsonify(requests=[request_view(r) for r in _inbox_rows()])


@bp.route("/requests/decide", methods=["POST"])
@login_required
def decide_many():
    """Approve or reject the ticked requests of the inbox with one comment."""
    if current_user.role not in DECIDERS:
        abort(404)
    ids = [_int(value, "id") for value in request.form.getlist("ids")]
    if not ids:
        flash(_("Tick at least one request."), "error")
        return redirect(url_for("requests.inbox"))
    for request_id in ids:
        visible_request(request_id)  # nothing hidden is decided, nor its existence confirmed
    approve = request.form.get("action") == "approve"
    try:
        decided, refusals, _run = _desk().decide_many(current_actor(), ids, approve=approve,
                                                     comment=request.form.get("comment"))
    except Refused as exc:
        flash(say(exc), "error")
        return redirect(url_for("requests.inbox"))
    if decided:
        flash(_("%(count)s request(s) approved.", count=len(decided)) if approve
              else _("%(count)s request(s) rejected.", count=len(decided)), "info")
    for line in refusals:
        flash(say(line), "error")
    return redirect(url_for("requests.inbox"))


# --- one request ---------------------------------------------------------------------------


def _detail(request_id: int) -> dict[str, Any]:
    store = get_store()
    row = visible_request(request_id)
    actor = current_actor()
    mine = actor.username == row["filed_by"] or actor.employee_code == row["employee_code"]
    return {
        "request": request_view(row),
        "files": store.request_files(request_id),
        "audit": list(reversed(store.audit_log("request", str(request_id)))),
        "may_decide": row["status"] == PENDING and decide_refusal(store, actor, row) is None,
        "may_withdraw": row["status"] == PENDING and (mine or actor.is_hr),
        "may_attach": row["status"] == PENDING and (mine or actor.is_hr),
        "may_revoke": row["status"] == "approved" and (actor.is_hr or decide_refusal(store, actor, row) is None),
    }


@bp.route("/requests/<int:request_id>")
@login_required
def show(request_id: int):
    return render_template("requests/show.html", reasons=REASONS, **_detail(request_id))


@bp.route("/api/requests/<int:request_id>")
@login_required
def api_show(request_id: int):
    return jsonify(_detail(request_id))


def _act(request_id: int, action) -> Response:
    visible_request(request_id)
    try:
        action()
    except MonitorError as exc:
        flash(say(exc), "error")
    return redirect(url_for("requests.show", request_id=request_id))


@bp.route("/requests/<int:request_id>/decide", methods=["POST"])
@login_required
def decide(request_id: int):
    approve = request.form.get("action") == "approve"

    def run() -> None:
        _desk().decide(current_actor(), request_id, approve=approve, comment=request.form.get("comment"))
        flash(_("Request approved; the day was judged again.") if approve else _("Request rejected."), "info")

    return _act(request_id, run)


@bp.route("/requests/<int:request_id>/withdraw", methods=["POST"])
@login_required
def withdraw(request_id: int):
    return _act(request_id, lambda: (_desk().withdraw(current_actor(), request_id),
                                     flash(_("Request withdrawn."), "info")))


@bp.route("/requests/<int:request_id>/revoke", methods=["POST"])
@login_required
def revoke(request_id: int):
    return _act(request_id, lambda: (_desk().revoke(current_actor(), request_id, request.form.get("reason") or ""),
                                     flash(_("Approval revoked; the day was judged again."), "info")))


@bp.route("/requests/<int:request_id>/files", methods=["POST"])
@login_required
def attach(request_id: int):
    def run() -> None:
        for upload in request.files.getlist("files"):
            if upload.filename:
                _desk().attach(current_actor(), request_id, upload.filename, upload.read())
        flash(_("File attached."), "info")

    return _act(request_id, run)


@bp.route("/requests/<int:request_id>/files/<int:file_id>")
@login_required
def download(request_id: int, file_id: int):
    visible_request(request_id)
    store = get_store()
    try:
        row = store.request_file(file_id)
    except NotFound:
        abort(404)
    if row["request_id"] != request_id:
        abort(404)
    try:
        data = read_attachment(store, row)
    except NotFound as exc:
        abort(404, description=str(exc))
    except Refused as exc:
        abort(409, description=str(exc))  # changed on disk: never serve it as the original
    return Response(data, mimetype=row["content_type"], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(row['file_name'])}",
        "X-Content-Type-Options": "nosniff",
    })


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


# --- filing ----------------------------------------------------------------------------------


@bp.route("/requests/new", methods=["GET", "POST"])
@login_required
def new():
    """File a request for a person (yourself, someone in your units, or anyone for HR)."""
    values = request.form if request.method == "POST" else request.args
    code = values.get("employee") or current_user.employee_code
    if not code:
        return render_template("requests/pick.html", q=request.args.get("q") or "", people=_people())
    person = visible_employee(code)
    day_text = values.get("date") or now().date().isoformat()
    day = _day(day_text)
    kind = values.get("kind") or "explanation"
    if kind not in KINDS:
        abort(400, description=f"kind must be one of {', '.join(KINDS)}")
    rows = get_store().day_results_between(day, day, employee_code=code)
    judged = day_row(rows[0]) if rows else None
    status = 200
    if request.method == "POST":
        try:
            request_id = _file(code, day, kind)
        except MonitorError as exc:
            flash(say(exc), "error")
            status = 400
        else:
            flash(_("Request #%(id)s filed; it waits for a decision.", id=request_id), "info")
            return redirect(url_for("requests.show", request_id=request_id))
    return render_template("requests/new.html", person=person, day=day, kind=kind, judged=judged, kinds=KINDS,
                           reasons=REASONS, violations=VIOLATIONS, leave_kinds=state().config.policy.leave.kinds,
                           form=request.form), status


def _file(code: str, day: date, kind: str) -> int:
    form = request.form
    draft = Draft(
        code, kind, day, form.get("reason") or "",
        day_to=_day(form["date_to"]) if form.get("date_to") else None,
        part=form.get("part") or None,
        violation=form.get("violation") or None,
        minutes=_int(form.get("minutes"), "minutes"),
        category=form.get("category") or None,
        leave_kind=form.get("leave_kind") or None,
        claimed_in=parse_clock(form["claimed_in"]) if form.get("claimed_in") else None,
        claimed_out=parse_clock(form["claimed_out"]) if form.get("claimed_out") else None,
        document_no=form.get("document_no") or None,
    )
    uploads = [u for u in request.files.getlist("files") if u.filename]
    desk = _desk()
    actor = current_actor()
    request_id = desk.file(actor, draft)
    for upload in uploads:
        desk.attach(actor, request_id, upload.filename, upload.read())
    return request_id


def _people() -> list[dict[str, Any]]:
    """People the user may file for, narrowed by ``?q=`` (code or name)."""
    q = (request.args.get("q") or "").strip().casefold()
    allowed = visible_units()
    people = get_store().employees(sorted(allowed) if allowed is not None else None, active_only=True)
    if q:
        people = [p for p in people if q in p["code"].casefold() or q in p["full_name"].casefold()]
    return people[:200]


# --- the day detail ----------------------------------------------------------------------------


def _day_detail(code: str, day_text: str) -> dict[str, Any]:
    person = visible_employee(code)
    day = _day(day_text)
    store = get_store()
    rows = store.day_results_between(day, day, employee_code=code)
    requests = store.requests_where(employee_codes=[code], day_from=day, day_to=day)
    actor = current_actor()
    requests = [r for r in requests if can_see(store, actor, r)]
    manual = store.manual_punches_between(code, day, day, include_revoked=True)
    audit = []
    for item in requests:
        audit += [{**entry, "request": item["id"]} for entry in store.audit_log("request", str(item["id"]))]
    for punch in manual:
        audit += [{**entry, "request": punch["request_id"]} for entry in store.audit_log("manual_punch", str(punch["id"]))]
    audit.sort(key=lambda entry: (entry["at"], entry["id"]))
    by_day = {(code, day.isoformat()): [{"id": r["id"], "kind": r["kind"], "status": r["status"]} for r in requests]}
    judged = day_row(rows[0], by_day.get((code, day.isoformat()))) if rows else None
    return {
        "person": {"code": person["code"], "full_name": person["full_name"], "unit_code": person["unit_code"]},
        "date": day.isoformat(),
        "punches": [{**p, "clock_suspect": bool(p["clock_suspect"])} for p in store.day_punches(code, day)],
        "manual_punches": manual,
        "judgement": judged,
        "rules": judgement_lines(rows[0], state().config.policy) if rows else [],
        "requests": [{**request_view(r), "files": store.request_files(r["id"])} for r in requests],
        "audit": audit,
    }


@bp.route("/employees/<code>/days/<day>")
@login_required
def day_detail(code: str, day: str):
    return render_template("requests/day.html", **_day_detail(code, day))


@bp.route("/api/employees/<code>/days/<day>")
@login_required
def api_day_detail(code: str, day: str):
    return jsonify(_day_detail(code, day))


# --- the first password ------------------------------------------------------------------------


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password (required at first login for imported staff)."""
    if request.method == "POST":
        new = request.form.get("new_password") or ""
        if new != (request.form.get("confirm") or ""):
            flash(_("The two new passwords differ."), "error")
            return render_template("requests/password.html"), 400
        try:
            get_store().change_password(current_user.username, request.form.get("old_password") or "", new,
                                         keep_session=session.get("sid"))
        except Refused as exc:
            flash(say(exc), "error")
            return render_template("requests/password.html"), 400
        current_user.must_change_password = False
        flash(_("Password changed."), "info")
        return redirect(url_for("pages.index"))
    return render_template("requests/password.html")
