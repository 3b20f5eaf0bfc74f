"""Web fixtures: a filled database, the app, a client, a login helper, a real server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from drivers.base import Punch
from monitor.config import Config, load_config
from monitor.service.evaluation import Evaluation
from monitor.store import Store
from tests.conftest import FIXED_NOW, ZONE
from web import create_app

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "mat-khau-thu-nghiem"


def punch(user: str, stamp: str) -> Punch:
    return Punch(user_id=user, timestamp=datetime.fromisoformat(stamp))


def fill(store: Store) -> None:
    """A small made-up office: two departments, a commune, a manager for each."""
    store.upsert_units(
        [
            {"code": "UBND", "name": "UBND tỉnh (mẫu)"},
            {"code": "SNV", "name": "Sở Nội vụ", "parent_code": "UBND"},
            {"code": "SNV-TC", "name": "Phòng Tổ chức", "parent_code": "SNV"},
            {"code": "STC", "name": "Sở Tài chính", "parent_code": "UBND"},
        ],
        actor="test",
    )
    store.upsert_employees(
        [
            {"code": "NV001", "full_name": "Nguyễn Thị Lan", "unit_code": "SNV", "hired_on": "2020-01-01"},
            {"code": "NV002", "full_name": "Trần Văn Bình", "unit_code": "SNV-TC", "hired_on": "2020-01-01"},
            {"code": "NV003", "full_name": "Lê Minh Tâm", "unit_code": "STC", "hired_on": "2020-01-01"},
        ],
        actor="test",
    )
    store.upsert_enrollments(
        [{"device_id": "gate", "device_user_id": str(n), "employee_code": f"NV00{n}"} for n in (1, 2, 3)], actor="test"
    )
    day = "2026-11-25 "
    store.add_punches(
        "gate",
        [
            punch("1", day + "07:41:10"), punch("1", day + "11:31:00"), punch("1", day + "13:29:00"), punch("1", day + "17:02:00"),
            punch("2", day + "07:25:00"), punch("2", day + "17:05:00"),
            punch("1", "2026-11-26 07:28:00"),
        ],
        source="file",
    )
    Evaluation(store, Config(path=None).policy, FIXED_NOW).run()
    store.add_user("admin", PASSWORD, role="admin", actor="test")
    store.add_user("nhansu", PASSWORD, role="hr", actor="test")
    store.add_user("truongsnv", PASSWORD, role="manager", units=["SNV"], full_name="Phạm Quốc Hùng", actor="test")
    store.add_user("truongstc", PASSWORD, role="manager", units=["STC"], actor="test")


@pytest.fixture(scope="session")
def filled_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Filled once per run: password hashing is deliberately slow."""
    path = tmp_path_factory.mktemp("web-template") / "web.db"
    store = Store(path, zone=ZONE, now=lambda: FIXED_NOW, create=True)
    fill(store)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture
def web_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, filled_database: Path) -> Path:
    monkeypatch.delenv("MONITOR_DATABASE", raising=False)
    path = tmp_path / "config.toml"
    path.write_text(
        '[site]\nname = "UBND tỉnh (mẫu)"\n\n[storage]\ndatabase = "web.db"\n\n[web]\nlanguage = "vi"\n',
        encoding="utf-8",
    )
    shutil.copyfile(filled_database, tmp_path / "web.db")
    return path


@pytest.fixture
def app(web_config: Path):
    return create_app(load_config(web_config), now=lambda: FIXED_NOW, testing=True)


@pytest.fixture
def client(app):
    return app.test_client()


class Auth:
    def __init__(self, client) -> None:
        self.client = client

    def csrf(self, path: str = "/login") -> str:
        import re

        page = self.client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def login(self, username: str = "admin", password: str = PASSWORD):
        return self.client.post("/login", data={"username": username, "password": password, "csrf_token": self.csrf()})

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf("/")})


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


@pytest.fixture
def auth_for():
    """A client and login helper for an app built from a given config file."""

    def build(config_path: Path) -> tuple[Any, Auth]:
        client = create_app(load_config(config_path), now=lambda: FIXED_NOW, testing=True).test_client()
        return client, Auth(client)

    return build


# --- a real server and a real browser ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_serve(web_config: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    """``monitor serve`` in a subprocess on 127.0.0.1 and a free port, polled until it
    listens; its output goes to ``log_path`` (a pipe nobody reads could fill and stall the
    server) and is shown when the server fails to start."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), MONITOR_NOW=FIXED_NOW.replace(tzinfo=None).isoformat())
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(web_config), "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            pytest.fail(f"monitor serve exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                pytest.fail(f"monitor serve did not listen within 20 s:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.05)  # polling a subprocess's socket; there is no event to wait on


@pytest.fixture
def live_server(web_config: Path, tmp_path: Path):
    """A real ``monitor serve`` (see :func:`start_serve`), stopped after the test."""
    process, url = start_serve(web_config, tmp_path / "serve.log")
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium found: install Debian's chromium package (apt-get install chromium) or set CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-gpu"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def fetch_export(client, url: str):
    """The answer to an export once it is made: the server waits a moment for its worker
    each time it is asked, then answers 202 while the file is being made. Asking again is
    what a browser does (the 202 page reloads itself); no sleeping here, and a loaded
    machine only costs more polls."""
    for _ in range(60):
        response = client.get(url)
        if response.status_code != 202:
            return response
    pytest.fail(f"{url} still being made after 60 polls")


def download(client, url: str):
    """An export that must succeed (200)."""
    response = fetch_export(client, url)
    assert response.status_code == 200, response.get_data(as_text=True)[-500:]
    return response
