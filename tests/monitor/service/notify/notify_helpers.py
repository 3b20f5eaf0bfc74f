"""Helpers for the notification tests: a real SMTP server on 127.0.0.1 (aiosmtpd), a
real HTTP receiver for webhooks, a self-signed certificate, and a small office.

Fixtures using them live in ``conftest.py`` beside it; tests import helpers
from here by this module's name."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import subprocess
import threading
import warnings
from datetime import date, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from drivers.base import Punch
from monitor.config import Config, parse_config
from monitor.service.evaluation import Evaluation
from monitor.store import Store

PASSWORD = "mat-khau-thu-nghiem"
SMTP_USER = "chamcong@snv.gov.vn"
SMTP_SECRET = "bi-mat-smtp-123"  # smtplib logs in with ASCII only


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Controller(Controller):
    def factory(self):  # noqa: ANN201 - aiosmtpd's hook
        with warnings.catch_warnings():
            # with implicit TLS (SMTPS) aiosmtpd cannot see that the session is encrypted
            # and warns that AUTH without TLS is unsafe; here it is encrypted
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
            return super().factory()


class MailSink:
    """A real SMTP server in a thread; received messages are parsed and kept.

    ``reply`` (e.g. ``"451 4.3.0 try later"``) makes it refuse messages; ``hold`` makes
    it wait inside DATA until the event is set (to stop a sender mid-message)."""

    def __init__(self, *, tls: Any = None, implicit_tls: bool = False, auth: tuple[str, str] | None = None):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.reply: str | None = None
        self.hold: threading.Event | None = None
        self.entered = threading.Event()
        self._changed = threading.Condition()
        self.port = free_port()
        kwargs: dict[str, Any] = {}
        if implicit_tls:
            kwargs["ssl_context"] = tls
        elif tls is not None:
            kwargs.update(tls_context=tls, require_starttls=True)
        if auth is not None:
            user, secret = auth

            def authenticator(server, session, envelope, mechanism, data):  # noqa: ANN001 - aiosmtpd's signature
                ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == secret
                return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535

            # with implicit TLS the server cannot tell the session is encrypted: do not ask it to
            kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=tls is not None and not implicit_tls)
        self.controller = _Controller(self, hostname="127.0.0.1", port=self.port, **kwargs)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802 - aiosmtpd's hook
        self.entered.set()
        if self.hold is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait, 10)
        if self.reply:
            return self.reply
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._changed:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._changed.notify_all()
        return "250 OK"

    def start(self) -> MailSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with the openssl command."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


class HookReceiver:
    """A real HTTP server that records each POST (headers and body) and answers ``status``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._changed:
                    receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                    receiver._changed.notify_all()
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> HookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def json(self, index: int) -> dict[str, Any]:
        return json.loads(self.requests[index]["body"])


# --- a small office ------------------------------------------------------------------------

NOTIFY_TOML = """
[notify]
site_url = "https://chamcong.example.gov.vn"

[notify.smtp]
host = "127.0.0.1"
port = {port}
security = "{security}"
sender = "Chấm công <chamcong@snv.gov.vn>"
timeout = 5
{extra}

[notify.retry]
attempts = 3
first_delay_seconds = 60
"""


def office_config(tmp_path: Path, database: Path, *, port: int, security: str = "none", extra: str = "",
                  more: str = "") -> Config:
    text = (f'[site]\nname = "UBND tỉnh (mẫu)"\n\n[storage]\ndatabase = "{database}"\n'
            + NOTIFY_TOML.format(port=port, security=security, extra=extra) + more)
    config_path = tmp_path / "config.toml"
    config_path.write_text(text, encoding="utf-8")
    return parse_config(text, str(config_path), base=tmp_path)


def punch(user: str, stamp: str) -> Punch:
    return Punch(user_id=user, timestamp=datetime.fromisoformat(stamp))


def fill_office(store: Store, now: datetime) -> None:
    """Units UBND > SNV > SNV-TC and STC; four people; Wed 25 and Thu 26/11/2026."""
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
            {"code": "NV004", "full_name": "Phạm Đức Anh", "unit_code": "SNV", "hired_on": "2020-01-01"},
            {"code": "NV005", "full_name": "Vũ Thị Hằng", "unit_code": "SNV-TC", "hired_on": "2020-01-01"},
        ],
        actor="test",
    )
    store.upsert_enrollments(
        [{"device_id": "gate", "device_user_id": str(n), "employee_code": f"NV00{n}"} for n in range(1, 6)], actor="test"
    )
    store.add_punches(
        "gate",
        [
            # Wednesday: Lan late 11', leaves early; Bình forgets to punch out
            punch("1", "2026-11-25 07:41:10"), punch("1", "2026-11-25 16:40:00"),
            punch("2", "2026-11-25 07:25:00"),
            punch("4", "2026-11-25 07:20:00"), punch("4", "2026-11-25 17:05:00"),
            punch("5", "2026-11-25 07:22:00"), punch("5", "2026-11-25 17:01:00"),
            # Thursday morning: Lan late 22', Bình on time; Anh not in yet; Hằng on a business trip
            punch("1", "2026-11-26 07:52:30"), punch("2", "2026-11-26 07:28:00"),
        ],
        source="file",
    )
    store.add_leave("NV005", date(2026, 11, 26), date(2026, 11, 26), part="full", kind="CT",
                    reason="Công tác Hà Nội theo QĐ 123/QĐ-SNV", actor="test")
    Evaluation(store, Config(path=None).policy, now).run()
    store.add_user("admin", PASSWORD, role="admin", actor="test")
    store.add_user("truongsnv", PASSWORD, role="manager", units=["SNV"], full_name="Phạm Quốc Hùng", actor="test")
    store.add_user("truongstc", PASSWORD, role="manager", units=["STC"], full_name="Đỗ Văn Khoa", actor="test")
    store.add_user("giamdoc", PASSWORD, role="manager", units=["UBND"], full_name="Hoàng Minh Đức", actor="test")
    store.set_user_contact("truongsnv", email="hung@snv.gov.vn", actor="test")
    store.set_user_contact("truongstc", email="khoa@stc.gov.vn", language="en", actor="test")
    store.set_user_contact("giamdoc", email="duc@ubnd.gov.vn", actor="test")
    store.set_user_contact("admin", email="it@ubnd.gov.vn", actor="test")
