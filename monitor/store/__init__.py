"""The only module that touches SQLite (through sqlite-utils).

``Store`` joins the parts: the punch log (:mod:`.punches`), the directory of units,
employees, enrollments and users (:mod:`.directory`), device state (:mod:`.devices`).
Keep every SQL statement behind this package so that a central PostgreSQL stays
possible later.
"""

from __future__ import annotations

from monitor.store.base import DatabaseFailure, storage_error
from monitor.store.batches import BatchStore
from monitor.store.devices import DeviceStore
from monitor.store.directory import ROLES, DirectoryStore, UpsertResult
from monitor.store.integrity import IntegrityReport, IntegrityStore
from monitor.store.leave import LeaveStore
from monitor.store.maintenance import MaintenanceStore, copy_database
from monitor.store.punches import AddResult, ChainReport, PunchStore
from monitor.store.results import ResultStore

__all__ = [
    "Store",
    "AddResult",
    "ChainReport",
    "UpsertResult",
    "ROLES",
    "DatabaseFailure",
    "IntegrityReport",
    "storage_error",
    "copy_database",
]


class Store(PunchStore, DirectoryStore, DeviceStore, LeaveStore, ResultStore, IntegrityStore, BatchStore,
            MaintenanceStore):
    """The attendance database."""

