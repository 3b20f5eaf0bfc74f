"""The one user lookup of the store: never the password hash, disabled users on request."""

from __future__ import annotations

import pytest

from monitor.errors import NotFound
from monitor.store import Store


def test_a_user_row_never_carries_the_password_hash(store: Store) -> None:
    store.add_user("nhansu", "mot-mat-khau-dai", role="hr", actor="test")
    row = store.user("nhansu")
    assert "password_hash" not in row
    assert row["role"] == "hr" and row["units"] == [] and row["employee_code"] is None


def test_active_only_refuses_a_disabled_user(store: Store) -> None:
    store.add_user("admin", "mot-mat-khau-dai", role="admin", actor="test")
    store.add_user("truong", "mot-mat-khau-dai", role="hr", actor="test")
    store.set_user_active("truong", False, actor="admin")
    assert store.user("truong")["active"] == 0
    with pytest.raises(NotFound, match="no active user 'truong'"):
        store.user("truong", active_only=True)
