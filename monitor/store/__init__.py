"""The only module that touches SQLite (through sqlite-utils).

``Store`` joins the parts: the punch log (:mod:`.punches`), the directory of units,
employees, enrollments and users (:mod:`.directory`), device state (:mod:`.devices`), push clocks (:mod:`.push`),
the notification log and alert states (:mod:`.notify`).
Keep every SQL statement behind this package so that a central PostgreSQL stays
possible later.
"""

from __future__ import annotations

from monitor.store.accounts import AccountStore
from monitor.store.audit import AuditStore
from monitor.store.base import Checkpoint, DatabaseFailure, storage_error
from monitor.store.batches import BatchStore
from monitor.store.devices import DeviceStore
from monitor.store.directory import ROLES, DirectoryStore, UpsertResult
from monitor.store.integrity import IntegrityReport, IntegrityStore
from monitor.store.leave import LeaveStore
from monitor.store.maintenance import MaintenanceStore, copy_database
from monitor.store.month_close import MonthCloseStore
from monitor.store.month_roster import MonthRosterStore
from monitor.store.notify import NotifyStore
from monitor.store.pipeline import PipelineStore
from monitor.store.punches import AddResult, ChainReport, PunchStore
from monitor.store.push import PushStore
from monitor.store.requests import RequestStore
from monitor.store.results import ResultStore
from monitor.store.timesheets import TimesheetStore
from monitor.store.views import ViewStore

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
    "Checkpoint",
]


class Store(PunchStore, DirectoryStore, DeviceStore, LeaveStore, ResultStore, PushStore, MonthCloseStore, NotifyStore,
            RequestStore, AccountStore, ViewStore, AuditStore, IntegrityStore, BatchStore, MaintenanceStore,
            TimesheetStore, PipelineStore, MonthRosterStore):
    """The attendance database."""

