"""Real HTTP around the push receiver: a raw client, and a proxy that fails on demand.

The proxy sits between a simulated clock and the real receiver on 127.0.0.1 and can
answer 500 before forwarding, forward and then answer 500 or drop the connection (the
receiver stored the upload, the clock does not know it), hold the answer until the
clock times out, or stop listening (the server is down).
"""

from __future__ import annotations

import http.client
import http.server
from collections import deque
from urllib.parse import urlsplit

from tests.http_helpers import RestartableServer

WAIT = 5.0


def request(url: str, method: str, target: str, body: str | bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    """One request to ``url`` (http://host:port); status, text and headers of the answer."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT)
    try:
        payload = body.encode("utf-8") if isinstance(body, str) else body
        connection.request(method, target, body=payload, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8"), dict(response.getheaders())
    finally:
        connection.close()


class FaultyProxy(RestartableServer):
    """Forwards to ``target``; ``fail(*how)`` queues faults for the next requests:
    ``"500-before"``, ``"500-after"``, ``"reset-after"``, ``"hang-after"`` or ``None``."""

    def __init__(self, target: str):
        super().__init__()
        self.target = target
        self.faults: deque[str | None] = deque()
        self.forwarded = 0


    def fail(self, *how: str | None) -> None:
        self.faults.extend(how)


    def _handle(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        fault = self.faults.popleft() if self.faults else None
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        if fault == "500-before":
            self._answer(handler, 500, "injected")
            return
        headers = {name: value for name, value in handler.headers.items() if name.lower() in ("content-type", "user-agent")}
        status, text, _ = request(self.target, handler.command, handler.path, body, headers)
        self.forwarded += 1
        if fault == "500-after":
            self._answer(handler, 500, "injected after the receiver answered")
        elif fault == "reset-after":
            handler.close_connection = True
        elif fault == "hang-after":
            self.release.wait(WAIT)  # the clock times out first
            handler.close_connection = True
        else:
            self._answer(handler, status, text)

    @staticmethod
    def _answer(handler: http.server.BaseHTTPRequestHandler, status: int, text: str) -> None:
        data = text.encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
