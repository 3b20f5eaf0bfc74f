"""The store for the current request, and the app's config and clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, Response, current_app, g
from flask_babel import gettext as _

from monitor.config import Config
from monitor.engine.clock import in_zone
from monitor.errors import StorageError
from monitor.service.keys import open_store
from monitor.store import DatabaseFailure, Store, storage_error


@dataclass(frozen=True)
class WebState:
    config: Config
    now: Callable[[], datetime]


def init_app(app: Flask, config: Config, now: Callable[[], datetime] | None) -> None:
    zone = config.site.zone
    app.extensions["monitor"] = WebState(config=config, now=now or (lambda: datetime.now(zone)))
    app.teardown_appcontext(close_store)
    app.register_error_handler(StorageError, _storage_unavailable)
    app.register_error_handler(DatabaseFailure, _storage_unavailable)


def _storage_unavailable(exc: Exception) -> Response:
    """A full, read-only or damaged database: one clear line and 503, never a traceback
    (plain text: rendering the site's pages would need the database again)."""
    if not isinstance(exc, StorageError):
        exc = storage_error(exc, state().config.storage.database)  # type: ignore[arg-type]
    message = _("The attendance database cannot be used right now: %(reason)s", reason=str(exc))
    return Response(message + "\n", status=503, mimetype="text/plain")


def state() -> WebState:
    return current_app.extensions["monitor"]


def now() -> datetime:
    """Aware local time (the injected clock in tests)."""
    return in_zone(state().now(), state().config.site.zone)


def get_store() -> Store:
    """One SQLite connection per request (SQLite connections are cheap, threads are not safe to share)."""
    if "store" not in g:
        # with the site's key: what the web changes is signed like the rest
        g.store = open_store(state().config, now=now, migrate=False)
    return g.store


def close_store(_exc: BaseException | None = None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()
