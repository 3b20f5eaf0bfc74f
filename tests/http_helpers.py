"""A test's own HTTP server on 127.0.0.1 that can be taken down and brought back on the
same port (a clock then sees "connection refused", then the server again)."""

from __future__ import annotations

import http.server
import threading

WAIT = 5.0  # seconds to wait for the serving thread to end


class RestartableServer:
    """Subclasses answer in :meth:`_handle`; ``release`` lets a hung answer go at the end."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.port = 0
        self.httpd: http.server.ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def come_back(self):
        """Listen (again) on the same port; returns ``self``."""
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner._handle(self)

            do_POST = do_GET

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def go_down(self) -> None:
        """Stop listening: connections are refused until :meth:`come_back`."""
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(WAIT)
            self.httpd = None

    def stop(self) -> None:
        self.release.set()
        self.go_down()

    def _handle(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        raise NotImplementedError
