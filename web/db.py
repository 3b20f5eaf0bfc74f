"""The store for the current request, and the app's config and clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, g

from monitor.config import Config
from monitor.engine.clock import in_zone
from monitor.store import Store


@dataclass(frozen=True)
class WebState:
    config: Config
    now: Callable[[], datetime]


def init_app(app: Flask, config: Config, now: Callable[[], datetime] | None) -> None:
    zone = config.site.zone
    app.extensions["monitor"] = WebState(config=config, now=now or (lambda: datetime.now(zone)))
    app.teardown_appcontext(close_store)


def state() -> WebState:
    return current_app.extensions["monitor"]


def now() -> datetime:
    """Aware local time (the injected clock in tests)."""
    return in_zone(state().now(), state().config.site.zone)


def get_store() -> Store:
    """One SQLite connection per request (SQLite connections are cheap, threads are not safe to share)."""
    if "store" not in g:
        config = state().config
        g.store = Store(config.storage.database, zone=config.site.zone, now=now, migrate=False)
    return g.store


def close_store(_exc: BaseException | None = None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()
