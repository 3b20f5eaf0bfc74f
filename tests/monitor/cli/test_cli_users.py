"""``monitor users list|disable|enable|set-role|sessions|passwd`` against a real database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from monitor.store import Store
from tests.conftest import ZONE


def _add_manager(run, tmp_path: Path) -> Path:
    secret = tmp_path / "manager-password"
    secret.write_text("mat-khau-quan-ly\n", encoding="utf-8")
    store = Store(tmp_path / "attendance.db", zone=ZONE)
    store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ"}, {"code": "STC", "name": "Sở Tài chính"}], actor="test")
    store.close()
    result = run("users", "add", "quanly", "--role", "manager", "--unit", "SNV", "--password-file", secret)
    assert result.exit_code == 0, result.output
    return secret


def _open_session(tmp_path: Path, username: str) -> str:
    store = Store(tmp_path / "attendance.db", zone=ZONE)
    try:
        return store.open_session(username, address="127.0.0.1", user_agent="test")
    finally:
        store.close()


def _alive(tmp_path: Path, token: str) -> bool:
    store = Store(tmp_path / "attendance.db", zone=ZONE)
    try:
        return store.session_user(token, idle=timedelta(hours=8)) is not None
    finally:
        store.close()


def test_list_shows_role_state_and_sessions(run, initialized, tmp_path: Path) -> None:
    _add_manager(run, tmp_path)
    _open_session(tmp_path, "quanly")
    lines = run("users", "list").output.splitlines()
    assert lines[0].split()[:4] == ["admin", "admin", "active", "0"]
    assert lines[1].split()[:6] == ["quanly", "manager", "active", "1", "session(s)", "SNV"]


def test_disable_ends_sessions_and_enable_restores_login(run, initialized, tmp_path: Path) -> None:
    _add_manager(run, tmp_path)
    token = _open_session(tmp_path, "quanly")
    result = run("users", "disable", "quanly", "--reason", "chuyển công tác")
    assert result.exit_code == 0 and "disabled; their web sessions have ended" in result.output
    assert not _alive(tmp_path, token)
    assert "quanly           manager  disabled" in run("users", "list").output
    assert "already disabled" in run("users", "disable", "quanly").output
    assert run("users", "enable", "quanly").exit_code == 0
    store = Store(tmp_path / "attendance.db", zone=ZONE)
    try:
        assert store.check_password("quanly", "mat-khau-quan-ly") is not None
        actions = [(r["actor"], r["action"], r["reason"]) for r in store.audit_log("user", "quanly")]
    finally:
        store.close()
    assert actions[:2] == [("tester", "enable", None), ("tester", "disable", "chuyển công tác")]


def test_set_role_changes_units_and_ends_sessions(run, initialized, tmp_path: Path) -> None:
    _add_manager(run, tmp_path)
    token = _open_session(tmp_path, "quanly")
    result = run("users", "set-role", "quanly", "--role", "manager", "--unit", "STC")
    assert result.exit_code == 0 and "now manager of STC" in result.output
    assert not _alive(tmp_path, token)
    assert "already is manager of STC" in run("users", "set-role", "quanly", "--role", "manager", "--unit", "STC").output


def test_passwd_ends_sessions(run, initialized, tmp_path: Path) -> None:
    _add_manager(run, tmp_path)
    token = _open_session(tmp_path, "quanly")
    new = tmp_path / "new-password"
    new.write_text("mat-khau-thu-hai\n", encoding="utf-8")
    assert run("users", "passwd", "quanly", "--password-file", new).exit_code == 0
    assert not _alive(tmp_path, token)


def test_sessions_lists_and_ends(run, initialized, tmp_path: Path) -> None:
    _add_manager(run, tmp_path)
    token = _open_session(tmp_path, "quanly")
    assert "open, last seen" in run("users", "sessions", "quanly").output
    assert "1 session(s) of 'quanly' ended." in run("users", "sessions", "quanly", "--end").output
    assert not _alive(tmp_path, token)


def test_refusals_are_one_clear_line(run, initialized, tmp_path: Path) -> None:
    _add_manager(run, tmp_path)
    cases = [
        (("users", "disable", "admin"), "last active admin"),
        (("users", "set-role", "admin", "--role", "hr"), "last active admin"),
        (("users", "set-role", "quanly", "--role", "manager"), "needs at least one unit"),
        (("users", "set-role", "quanly", "--role", "manager", "--unit", "NOPE"), "no unit 'NOPE'"),
        (("users", "enable", "khong-co"), "no user 'khong-co'"),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.exit_code == 2, args
        assert result.output.startswith("Error: ") and message in result.output and len(result.output.splitlines()) == 1
