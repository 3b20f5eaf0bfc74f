"""The site's key: a secret outside the database that signs the logs' heads.

``monitor init`` makes it (32 random bytes as hex, mode 0600: readable only by the user
that runs the collector and the site). Every process that writes the database opens it
through :func:`open_store`, so every head and digest it writes is signed; whoever edits
the file with plain sqlite3 but without the key cannot make a rewrite pass ``verify``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from monitor.config import Config
from monitor.errors import StorageError
from monitor.store import Store

KEY_BYTES = 32


def load_key(path: Path) -> bytes | None:
    """The key in ``path``; ``None`` when there is no such file (a database made before
    keys existed: heads stay unsigned until ``monitor init`` makes one)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except PermissionError:
        raise StorageError(
            f"cannot read the key file {path}: permission denied (run the monitor as the service user that owns it)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StorageError(f"cannot read the key file {path}: {exc}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise StorageError(
            f"the key file {path} does not hold a key ({KEY_BYTES * 2} hex digits): restore it from your backup of the key"
        )
    return key


def create_key(path: Path) -> bool:
    """Make a new key file readable only by its owner; ``False`` when one exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(handle, "w", encoding="ascii") as file:
        file.write(secrets.token_hex(KEY_BYTES) + "\n")
        file.flush()
        os.fsync(file.fileno())
    return True


def open_store(
    config: Config,
    *,
    now: Callable[[], datetime] | None = None,
    create: bool = False,
    migrate: bool = True,
) -> Store:
    """The database of ``config`` with the site's key, as every writing process opens it."""
    key = load_key(config.storage.key_file)
    return Store(config.storage.database, zone=config.site.zone, now=now, create=create, migrate=migrate, key=key)
