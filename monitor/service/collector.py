"""The collector process (``monitor run``): pulls clocks that keep a log, listens to
readers that do not, judges what arrived, and carries out requests queued by the web.

APScheduler only decides *when*: each device that stores records is pulled every
``poll_seconds`` (job id ``pull:<device>``), the evaluation runs every few minutes
(``evaluate``), the device-command queue is read every few seconds (``commands``), a
heartbeat is written every 15 s (``heartbeat``), a backup is taken nightly (``backup``),
and with ``[notify]`` on, digests, alerts and reminders due are sent every minute
(``notify``; what is due is decided from the notification log, so a missed run loses
nothing). Readers without a log (fingerprint, card and line readers) are heard live by
supervisors that reconnect with back-off (:mod:`monitor.service.live`), through the
spool.

Stopping (SIGTERM) sets :attr:`Collector.stopping`: the evaluation ends after its
current batch; :meth:`Collector.wait_idle` lets the process wait a few seconds for
running jobs. Everything committed stays; the rest is picked up by the next run.

Every job opens its own database connection: jobs run in worker threads, and a SQLite
connection belongs to one thread at a time. Devices on one serial port (an RS485 bus)
are pulled one after another under a per-port lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drivers.base import DriverError, driver_class, open_driver
from monitor.config import Config, DeviceConfig
from monitor.errors import MonitorError, NotFound
from monitor.service.health import HEARTBEAT_SECONDS, beat
from monitor.service.ingest import local_naive, pull_device
from monitor.service.keys import open_store
from monitor.store import Store

log = logging.getLogger("monitor.service.collector")

COMMANDS = ("sync-time",)


@dataclass
class CollectorPlan:
    """Which devices are pulled and which are heard live."""

    pulled: list[DeviceConfig] = field(default_factory=list)
    live: list[DeviceConfig] = field(default_factory=list)
    skipped: list[tuple[DeviceConfig, str]] = field(default_factory=list)


def plan(config: Config) -> CollectorPlan:
    result = CollectorPlan()
    for device in config.devices:
        if not device.enabled:
            result.skipped.append((device, "disabled in the config"))
            continue
        capabilities = driver_class(device.protocol).capabilities
        if "fetch" in capabilities:
            result.pulled.append(device)
        elif "live" in capabilities:
            result.live.append(device)
        else:
            result.skipped.append((device, f"a {device.protocol} device can neither be pulled nor heard"))
    return result


class Collector:
    """The collector's work, independent of the scheduler that times it."""

    def __init__(
        self,
        config: Config,
        *,
        now: Callable[[], datetime],
        evaluate: Callable[[Store], Any] | None = None,
        actor: str = "collector",
    ):
        self.config = config
        self.now = now
        self.evaluate = evaluate
        self.actor = actor
        self.plan = plan(config)
        self._port_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.live = None
        self._notifier = None
        self.stopping = threading.Event()
        self._busy = 0
        self._idle = threading.Condition()

    def store(self) -> Store:
        return open_store(self.config, now=self.now)

    def _job(self, work: Callable[[], Any]) -> Any:
        """Run one job, counted, so a stopping process knows when nothing runs any more."""
        if self.stopping.is_set():
            return None
        with self._idle:
            self._busy += 1
        try:
            return work()
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job runs (``False`` when ``timeout`` passed first)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def _port_lock(self, port: str) -> threading.Lock:
        with self._locks_guard:
            return self._port_locks.setdefault(port, threading.Lock())

    # --- jobs -------------------------------------------------------------------------

    def pull(self, device: DeviceConfig) -> None:
        """One pull; a device that does not answer is recorded offline and tried next time."""
        self._job(lambda: self._pull(device))

    def _pull(self, device: DeviceConfig) -> None:
        with self._port_lock(device.settings.port), self.store() as store:
            try:
                report = pull_device(store, device, now=self.now, actor=self.actor)
            except DriverError as exc:
                log.warning("%s", exc)
                self._release(device)  # a transfer cut off may leave the clock locked
                return
        if report.log_shrank:
            log.warning("%s: the device log shrank (someone cleared it); everything it holds was read again", device.id)
        if report.clock_suspect:
            log.warning("%s: device clock %+.0f s off the host; its punches are flagged clock_suspect", device.id, report.clock_offset)
        log.info("%s: %d new, %d already stored", device.id, report.new, report.existing)

    def release_clocks(self) -> None:
        """Unlock every clock that can be locked during a transfer (ZKTeco): a collector
        killed during a download leaves it showing "working...", refusing punches."""
        for device in self.plan.pulled:
            with self._port_lock(device.settings.port):
                self._release(device)

    def _release(self, device: DeviceConfig) -> None:
        if not hasattr(driver_class(device.protocol), "enable"):
            return
        try:
            with open_driver(device.settings, now=local_naive(self.now)) as clock:
                clock.enable()  # type: ignore[attr-defined]
        except DriverError as exc:
            log.warning("%s: could not re-enable the clock: %s", device.id, exc)

    def judge(self) -> None:
        if self.evaluate is None:
            return

        def work() -> None:
            with self.store() as store:
                self.evaluate(store)

        self._job(work)

    def heartbeat(self) -> None:
        """Tell the site and the CLI that the collector is alive."""
        def work() -> None:
            with self.store() as store:
                beat(store, self.now(), devices=len(self.plan.pulled) + len(self.plan.live))

        try:
            self._job(work)
        except MonitorError as exc:
            log.warning("heartbeat not written: %s", exc)

    def backup(self) -> None:
        """The nightly backup, keeping ``[storage] backup_keep`` copies."""
        from monitor.service.backup import nightly_backup

        storage = self.config.storage

        def work() -> None:
            with self.store() as store:
                result = nightly_backup(store, storage.backup_dir, storage.backup_keep, self.now())
            log.info("backup written to %s (%d bytes); %d old copies removed", result.path, result.size, len(result.pruned))

        try:
            self._job(work)
        except MonitorError as exc:
            log.error("nightly backup failed: %s", exc)

    def notify(self) -> None:
        """Send the digests, alerts and reminders due now (after judging, for digests)."""
        from monitor.service.notify.notifier import Notifier

        if self._notifier is None:
            self._notifier = Notifier(self.config, now=self.now, before_digests=self.judge)
        report = self._notifier.tick()
        for error in report.sent.errors:
            log.warning("notification: %s", error)
        if report.digests or report.alerts or report.sent.sent:
            log.info("notify: %d digest(s), %d alert(s) queued; %d sent", report.digests, report.alerts, report.sent.sent)

    def run_commands(self) -> int:
        """Carry out device requests queued by the web site; returns how many were done."""
        done = 0
        with self.store() as store:
            push_clocks = store.push_device_ids()  # the receiver hands theirs over on their heartbeats
            for command in store.pending_device_commands():
                if command["device_id"] in push_clocks:
                    continue
                result = self._run_command(command)
                store.finish_device_command(command["id"], result)
                done += 1
        return done

    def _run_command(self, command: dict[str, Any]) -> str:
        try:
            device = self.config.device(command["device_id"])
        except NotFound as exc:  # the result is shown to the requester
            return f"failed: {exc}"
        if command["command"] != "sync-time":
            return f"failed: unknown command {command['command']!r}"
        from drivers.base import open_driver
        from monitor.service.clock_sync import sync_clock
        from monitor.service.ingest import local_naive

        try:
            with self.store() as store, self._port_lock(device.settings.port), \
                    open_driver(device.settings, now=local_naive(self.now)) as clock:
                synced = sync_clock(clock, device, now=self.now, store=store, actor=command["requested_by"],
                                    reason="requested on the web site")
        except DriverError as exc:
            return f"failed: {exc}"
        return f"done: {synced}"

    def run_once(self) -> None:
        """Pull every device once, judge, and carry out queued commands (``monitor run --once``)."""
        for device in self.plan.pulled:
            self.pull(device)
        self.judge()
        self.run_commands()

    # --- live readers -----------------------------------------------------------------

    def start_live(self) -> None:
        if not self.plan.live:
            return
        from monitor.service.live import LiveCollector

        self.live = LiveCollector(self.store(), now=self.now, spool=self.config.storage.spool)
        for device in self.plan.live:
            self.live.add(device)

    def stop_live(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live.store.close()
            self.live = None


def schedule(collector: Collector, scheduler, *, evaluate_minutes: int = 5, command_seconds: int = 5,
             notify_seconds: int = 60) -> None:
    """Add the collector's jobs to an APScheduler 3.x scheduler, with explicit ids."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    zone = collector.config.site.zone
    start = collector.now()

    def job(work: Callable[..., Any], trigger: Any, job_id: str, name: str, grace: int, *,
            args: list[Any] | None = None, now: bool = True) -> None:
        # every job: one instance at a time, missed runs coalesced into one, a restart
        # replaces rather than doubles it; ``now`` runs it at start as well
        scheduler.add_job(work, trigger, args=args or [], id=job_id, name=name, coalesce=True, max_instances=1,
                          misfire_grace_time=grace, replace_existing=True,
                          **({"next_run_time": start} if now else {}))

    for device in collector.plan.pulled:
        job(collector.pull, IntervalTrigger(seconds=device.poll_seconds, timezone=zone), f"pull:{device.id}",
            f"pull {device.id}", device.poll_seconds, args=[device])
    if collector.evaluate is not None:
        job(collector.judge, IntervalTrigger(minutes=evaluate_minutes, timezone=zone), "evaluate",
            "judge new and changed days", evaluate_minutes * 60)
    job(collector.heartbeat, IntervalTrigger(seconds=HEARTBEAT_SECONDS, timezone=zone), "heartbeat",
        "the collector is alive", HEARTBEAT_SECONDS)
    storage = collector.config.storage
    if storage.backup_keep:
        hour, minute = storage.backup_at.split(":")
        job(collector.backup, CronTrigger(hour=int(hour), minute=int(minute), timezone=zone), "backup",
            "nightly backup", 3600, now=False)
    job(collector.run_commands, IntervalTrigger(seconds=command_seconds, timezone=zone), "commands",
        "device requests from the web site", command_seconds * 4, now=False)
    if collector.config.notify.enabled:
        job(collector.notify, IntervalTrigger(seconds=notify_seconds, timezone=zone), "notify",
            "digests, alerts and reminders due", notify_seconds * 5)
