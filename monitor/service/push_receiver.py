"""The receiver for clocks that push (ADMS / iclock): a small WSGI application of its
own, served by waitress on its own address and port (``[push]``), beside the collector
and never inside the web site's workers.

A clock is the HTTP client and judges success by the status line alone: on anything
but 200 it sends the same request again later. So every answer here is 200 only once
what the request carried is committed, and everything stored is idempotent.

Endpoints (protocols.md §9): ``/iclock/cdata`` (init, ``type=time``, ATTLOG, OPERLOG,
options), ``/iclock/getrequest`` (heartbeat; the reply carries queued commands),
``/iclock/devicecmd`` (results), ``/iclock/registry``, ``/iclock/push`` and
``/iclock/ping``. A clock unknown by serial number is recorded as waiting for
approval; what it uploads is held apart and attributed to nobody. No answer carries
stored data: a clock learns only its own stamps, the time and its commands.

With upload workers (``[push] upload_workers``, the default), an accepted clock's batch
upload is committed as sent (``push_held``, the same table that keeps a waiting clock's
uploads) and answered at once; the worker stores the held uploads, oldest first, each
in one transaction with its deletion, so a crash in between stores it later, once. A
realtime upload is stored before it is answered, as without workers.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import multiprocessing.util
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any, NamedTuple

from drivers.adms import (
    BodyTooLarge,
    Endpoint,
    PushFrameError,
    PushOptions,
    PushQuery,
    UnsafeCommand,
    check_body,
    check_content_length,
    command_reply,
    endpoint,
    ok_reply,
    options_reply,
    parse_command_results,
    parse_query,
    parse_registry,
    time_reply,
)
from drivers.adms.text import decode_body
from monitor.config import Config, PushDeviceSettings
from monitor.engine.clock import in_zone, wall_time
from monitor.errors import MonitorError, Refused
from monitor.service.push_devices import record_results, store_held_uploads, unsent_result, wire_command
from monitor.service.push_ingest import measure_push_offset, parse_attlog_for, store_attlog, store_operlog
from monitor.service.push_workers import UploadWorkers, WorkerLost, another_job_waits
from monitor.service.push_writer import Checkpointer, HandlerTimes, WriterGate
from monitor.service.keys import open_store
from monitor.store import Store

log = logging.getLogger("monitor.service.push_receiver")

# a contact is written to the database at most this often per clock (heartbeats come
# every few seconds; a status change or a clock's own description is written at once)
TOUCH_SECONDS = 30
# bodies a clock may label otherwise are still read as text; these labels are not text
BINARY_TYPES = ("image/", "audio/", "video/", "multipart/", "application/zip", "application/pdf")
STORED_TABLES = ("ATTLOG", "OPERLOG")
SERVER_VERSION = "attendance-monitor 1"
# an ATTLOG upload of at most this many lines is a realtime one: it goes before backfills
SHORT_UPLOAD_LINES = 20
# a body longer than this is a batch: batches are parsed and stored one at a time
BATCH_BODY_BYTES = 2048
TIMING_KEY = "attendance_monitor.push_kind"  # the environ key naming a request's kind for HandlerTimes
# the held uploads of accepted clocks are looked for this often (seconds) when no upload
# announced itself: those an earlier run left, or one whose storing failed
SPOOL_POLL_SECONDS = 1.0


class Reply(NamedTuple):
    status: int
    text: str
    headers: tuple[tuple[str, str], ...] = ()


class RateLimiter:
    """A token bucket per serial number: ``per_minute`` requests, in bursts of as many."""

    MAX_KEYS = 10_000

    def __init__(self, per_minute: int, monotonic: Callable[[], float] = time.monotonic):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.monotonic = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """0 when a request of ``key`` may go ahead (and counts it), else the seconds to wait."""
        moment = self.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, moment))
            tokens = min(self.capacity, tokens + (moment - last) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, moment)
                return (1.0 - tokens) / self.rate
            if len(self._buckets) >= self.MAX_KEYS and key not in self._buckets:
                # forget clocks whose bucket is full again: they lose nothing by it
                self._buckets = {k: v for k, v in self._buckets.items() if v[0] + (moment - v[1]) * self.rate < self.capacity}
            self._buckets[key] = (tokens - 1.0, moment)
            return 0.0


class PushReceiver:
    """The WSGI application. One database connection per server thread.

    Reads (who is calling, what is queued for it) need no writer; writes go through
    :attr:`gate` (:mod:`monitor.service.push_writer`): short ones first. With
    ``own_checkpoints`` the connections leave WAL checkpoints to the caller's
    :class:`~monitor.service.push_writer.Checkpointer`. With ``workers`` (the server
    has them) the ATTLOG uploads of accepted clocks are parsed and stored by those
    processes (:mod:`monitor.service.push_workers`)."""

    def __init__(self, config: Config, *, now: Callable[[], datetime] | None = None,
                 monotonic: Callable[[], float] = time.monotonic, own_checkpoints: bool = False,
                 workers: UploadWorkers | None = None):
        self.config = config
        self.push = config.push
        zone = config.site.zone
        self._now = now or (lambda: datetime.now(zone))
        self.monotonic = monotonic
        self.limiter = RateLimiter(self.push.requests_per_minute, monotonic)
        self._local = threading.local()
        self._stores: list[Store] = []
        self._stores_lock = threading.Lock()
        self._touched: dict[str, tuple[float, str | None]] = {}  # sn -> (monotonic, status reason written)
        self._registry_key: bytes | None = None
        self._offsets_written: dict[str, float] = {}
        self.gate = WriterGate()
        # One batch at a time, parse included: five batches parsed side by side finish no
        # sooner (the work is bound to the GIL) but leave a short request five busy threads
        # to wait behind for the GIL instead of one.
        self._batches = threading.Lock()
        self.times = HandlerTimes()
        self.own_checkpoints = own_checkpoints
        self.workers = workers
        self.spooled = threading.Event()  # set when an upload is held for the workers to store

    # --- plumbing ---------------------------------------------------------------------

    def now(self) -> datetime:
        return in_zone(self._now(), self.config.site.zone)

    def store(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            # with the site's key: the heads this process writes are signed like the rest
            store = open_store(self.config, now=self.now, migrate=False)
            if self.own_checkpoints:
                store.defer_checkpoints()
            self._local.store = store
            with self._stores_lock:
                self._stores.append(store)
        return store

    def close(self) -> None:
        """Close every connection the server threads opened."""
        with self._stores_lock:
            stores, self._stores = self._stores, []
        for store in stores:
            store.close()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        try:
            reply = self.handle(environ)
        except Exception as exc:  # noqa: BLE001 - the clock must get a status, and will send again
            reply = error_reply(exc, f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}")
        data = reply.text.encode("utf-8")
        status = HTTPStatus(reply.status)
        self.times.record(environ.get(TIMING_KEY, "not iclock"), time.perf_counter() - started)
        start_response(f"{status.value} {status.phrase}", [
            ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data))), *reply.headers,
        ])
        return [data]

    # --- one request ------------------------------------------------------------------

    def handle(self, environ: dict[str, Any]) -> Reply:
        """Answer one request (see the module docstring)."""
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "")
        if "iclock" not in path.split("/")[:-1]:
            return Reply(404, "not an iclock request")
        query = parse_query(environ.get("QUERY_STRING", ""))
        kind = endpoint(method, path, query)
        table = (query.table or "").upper()
        # a fixed set of names: what a clock writes in the URL never makes a new one
        environ[TIMING_KEY] = f"upload {table if table in STORED_TABLES else 'other'}" if kind is Endpoint.UPLOAD else kind.value
        if kind is Endpoint.UNKNOWN:
            return Reply(404, "not an iclock request this server answers")
        wait = self.limiter.wait(query.sn)
        if wait:
            return Reply(503, "too many requests from this clock", (("Retry-After", str(math.ceil(wait))),))
        if kind is Endpoint.PING:
            return Reply(200, ok_reply())
        if kind is Endpoint.QUERY_DATA:
            # newer firmware's answer to DATA QUERY; its body is not known yet, so it is
            # not acknowledged either: the clock keeps the records (docs/adms.md)
            return Reply(501, "querydata is not read by this server")
        body = self._body(environ, method)
        if kind is Endpoint.UPLOAD and len(body) > BATCH_BODY_BYTES:
            environ[TIMING_KEY] += " batch"
        return self._answer(kind, query, body, environ.get("REMOTE_ADDR"))

    def _answer(self, kind: Endpoint, query: PushQuery, body: bytes, address: str | None) -> Reply:
        store = self.store()
        row = store.push_device(query.sn)
        if row is None:
            try:
                with self.gate.hold():
                    row = store.register_push_contact(query.sn, address=address, push_version=query.pushver,
                                                      max_waiting=self.push.max_waiting_devices)
            except Refused as exc:
                log.warning("clock %s at %s refused: %s", query.sn, address, exc)
                return Reply(503, "this server holds no more clocks waiting for approval")
            log.warning("clock %s at %s called in: waiting for approval (monitor devices accept %s --id ID --unit UNIT)",
                        query.sn, address, query.sn)
        if row["state"] == "rejected":
            return Reply(403, "this clock is not accepted by this server")
        if row["comm_key"] and not hmac.compare_digest((query.comkey or "").encode(), row["comm_key"].encode()):
            return Reply(401, "wrong or missing ComKey for this clock")
        accepted = row["state"] == "accepted"
        settings = self.push.settings(row["device_id"]) if accepted else self.push.defaults
        handler = {
            Endpoint.INIT: self._init, Endpoint.PUSH: self._init, Endpoint.TIME: self._time,
            Endpoint.UPLOAD: self._upload, Endpoint.HEARTBEAT: self._heartbeat,
            Endpoint.COMMAND_RESULT: self._results, Endpoint.REGISTRY: self._registry,
        }[kind]
        return handler(store, row, query, body, settings, address)

    def _body(self, environ: dict[str, Any], method: str) -> bytes:
        if method != "POST":
            return b""
        content_type = (environ.get("CONTENT_TYPE") or "").lower()
        if content_type.startswith(BINARY_TYPES):
            raise PushFrameError(f"a {content_type.split(';')[0]} body is not read here: only text is")
        limit = self.push.max_body_bytes
        length = check_content_length(environ.get("CONTENT_LENGTH"), limit)
        stream = environ["wsgi.input"]
        if length or environ.get("CONTENT_LENGTH"):
            return stream.read(length) if length else b""
        body = stream.read(limit + 1)  # no length given (chunked): read at most one byte over the cap
        check_body(body, limit)
        return body

    def _touch(self, store: Store, row: dict[str, Any], address: str | None, *, push_version: str | None = None,
               info: dict[str, Any] | None = None, reason: str | None = None, force: bool = False) -> None:
        """Record the contact, at most every TOUCH_SECONDS unless something changed."""
        sn, moment = row["sn"], self.monotonic()
        last, written_reason = self._touched.get(sn, (None, None))
        if not force and info is None and last is not None and moment - last < TOUCH_SECONDS and reason == written_reason:
            return
        with self.gate.hold():
            store.touch_push_device(sn, address=address, push_version=push_version, info=info, status_reason=reason)
        self._touched[sn] = (moment, reason)

    def _offset_due(self, sn: str) -> bool:
        """An unchanged offset is written again (its check time) at most every TOUCH_SECONDS."""
        moment = self.monotonic()
        if moment - self._offsets_written.get(sn, float("-inf")) < TOUCH_SECONDS:
            return False
        self._offsets_written[sn] = moment
        return True

    def _options(self, settings: PushDeviceSettings) -> PushOptions:
        push = self.push
        return PushOptions(delay=push.delay, error_delay=push.error_delay, trans_interval=push.trans_interval,
                           realtime=push.realtime, utc_offset=self.now().utcoffset() or timedelta(0),
                           timezone_format=settings.timezone_format, sync_time=push.sync_time,
                           server_version=SERVER_VERSION)

    # --- endpoints --------------------------------------------------------------------

    def _init(self, store: Store, row: dict[str, Any], query: PushQuery, body: bytes, settings: PushDeviceSettings,
              address: str | None) -> Reply:
        self._touch(store, row, address, push_version=query.pushver, force=True)
        if row["state"] == "accepted" and self.workers is not None:
            self.spooled.set()  # whatever it has held is stored by the workers, in turn
        elif row["state"] == "accepted" and store.held_push_uploads(row["sn"]):
            # accepted while a previous run was storing its held uploads: finish that first
            with self.gate.hold(bulk=True):
                store_held_uploads(store, row["sn"], row["device_id"], settings, today=self.now().date())
            row = store.push_device(row["sn"]) or row
        return Reply(200, options_reply(row["sn"], self._options(settings), attlog_stamp=row["attlog_stamp"] or "0",
                                        operlog_stamp=row["operlog_stamp"] or "0", line_ending=settings.line_ending))

    def _time(self, store: Store, row: dict[str, Any], query: PushQuery, body: bytes, settings: PushDeviceSettings,
              address: str | None) -> Reply:
        self._touch(store, row, address)
        return Reply(200, time_reply(self.now()))

    def _upload(self, store: Store, row: dict[str, Any], query: PushQuery, body: bytes, settings: PushDeviceSettings,
                address: str | None) -> Reply:
        table = (query.table or "").upper()
        sn = row["sn"]
        if table == "OPTIONS":
            return self._describe(store, row, body, address)
        if table not in STORED_TABLES:
            # photos, templates and other tables: acknowledged so the clock moves on, not read
            self._touch(store, row, address)
            return Reply(200, ok_reply())
        if row["state"] == "waiting":
            text = decode_body(body)
            with self.gate.hold():
                if not store.hold_push_upload(sn, table, query.stamp, text, max_bytes=self.push.held_bytes_per_device):
                    return Reply(503, "this clock waits for approval and holds as much as it may: it keeps the rest")
                if query.stamp:
                    store.set_push_stamp(sn, table, query.stamp)
                self._touch(store, row, address)
            return Reply(200, ok_reply())
        if table == "OPERLOG":
            with self.gate.hold(bulk=True):
                report = store_operlog(store, sn, row["device_id"], body, today=self.now().date())
                if query.stamp:
                    store.set_push_stamp(sn, table, query.stamp)
            if report.tamper:
                log.warning("%s (SN %s): %d tamper signal(s) in its operation log", row["device_id"], sn, report.tamper)
            return Reply(200, ok_reply())
        if self.workers is not None:
            if len(body) <= BATCH_BODY_BYTES:
                return self._attlog_in_worker(_store_upload, row, query, body, settings, address)
            # held by the worker, the one writer of uploads: no wait for the write lock
            # here while it stores what is held
            reply = self._attlog_in_worker(_hold_upload, row, query, body, settings, address)
            self.spooled.set()
            return reply
        if len(body) > BATCH_BODY_BYTES:
            with self._batches:
                return self._attlog(store, row, query, body, settings, address)
        return self._attlog(store, row, query, body, settings, address)

    def _hold(self, store: Store, row: dict[str, Any], query: PushQuery, body: bytes, address: str | None) -> bool:
        """Commit a batch upload as sent, for the workers to store; ``False`` (nothing
        kept) when the clock holds ``held_bytes_per_device`` already."""
        text = decode_body(body)
        with self.gate.hold(), store.write():
            if not store.hold_push_upload(row["sn"], "ATTLOG", query.stamp, text, max_bytes=self.push.held_bytes_per_device):
                return False
            if query.stamp:
                store.set_push_stamp(row["sn"], "ATTLOG", query.stamp)  # held is stored: the clock may forget it
            self._touch(store, row, address)
        return True

    def store_held(self, store: Store, held: dict[str, Any]) -> None:
        """Store one upload held for an accepted clock as it would have been stored when
        it came (the server's time then: the clock's offset, the plausible years), and
        delete it in the same transaction."""
        row = store.push_device(held["sn"])
        if row is None or row["state"] != "accepted":
            return
        settings = self.push.settings(row["device_id"])
        query = PushQuery(sn=held["sn"], table=held["table_name"], stamp=held["stamp"])

        def drop() -> None:  # inside the transaction that stores it
            store.drop_held_push_upload(held["id"])

        if held["table_name"] == "ATTLOG":
            self._attlog(store, row, query, held["body"], settings, None, then=drop, touch=False)
            return
        with self.gate.hold(bulk=True), store.write():
            if held["table_name"] == "OPERLOG":
                store_operlog(store, held["sn"], row["device_id"], held["body"], today=self.now().date())
                if held["stamp"]:
                    store.set_push_stamp(held["sn"], "OPERLOG", held["stamp"])
            drop()

    def _attlog_in_worker(self, job: Callable[..., Reply], row: dict[str, Any], query: PushQuery, body: bytes,
                          settings: PushDeviceSettings, address: str | None) -> Reply:
        """An upload stored (:func:`_store_upload`) or held (:func:`_hold_upload`) by a
        worker process, with this server's time; it goes before the held uploads the
        workers are storing meanwhile."""
        assert self.workers is not None
        try:
            return self.workers.run(job, row, query, body, settings, address, self.now(), urgent=True)
        except WorkerLost as exc:
            log.warning("%s (SN %s): an upload was not stored: %s", row["device_id"], row["sn"], exc)
            return Reply(503, f"{exc}; send it again", (("Retry-After", "1"),))

    def _attlog(self, store: Store, row: dict[str, Any], query: PushQuery, body: bytes | str, settings: PushDeviceSettings,
                address: str | None, *, then: Callable[[], None] | None = None, touch: bool = True) -> Reply:
        """Parse and store an ATTLOG upload; ``then`` runs in its (last) transaction.
        ``touch=False`` leaves the clock's contact as it is (a held upload, stored later)."""
        sn, device_id, now = row["sn"], row["device_id"], self.now()
        # parsed before the writer is asked for: the writer is held only to write
        batch = parse_attlog_for(body, settings, now.date())
        last_seen = datetime.fromisoformat(row["last_seen_at"])
        in_touch = (now - last_seen).total_seconds() <= 3 * self.push.delay + TOUCH_SECONDS
        measured = measure_push_offset(batch.punches, wall_time(now), realtime=in_touch)
        stored_offset = (store.device_row(device_id) or {}).get("clock_offset_seconds")
        offset = stored_offset if measured is None else measured
        suspect = settings.clock_suspect(offset)
        # an upload the store appends in one transaction anyway has all its writes in
        # that one (one commit); a bigger one commits batch by batch and lets the short
        # writes waiting meanwhile go in between
        single = len(batch.punches) <= store.BATCH
        with self.gate.hold(bulk=len(batch.punches) > SHORT_UPLOAD_LINES):
            with store.write() if single else nullcontext():
                if measured is not None and (measured != stored_offset or self._offset_due(sn)):
                    store.record_clock_offset(device_id, measured)
                report = store_attlog(store, sn, device_id, batch, clock_suspect=suspect,
                                      between_batches=None if single else self.gate.let_short_writes_in)
                reasons = []
                if suspect:
                    reasons.append(f"clock {offset:+.0f} s off the server")
                if report.refused:
                    reasons.append(report.refusal_summary)
                if touch:
                    self._touch(store, row, address, reason="; ".join(reasons) or None)
                if query.stamp:
                    store.set_push_stamp(sn, "ATTLOG", query.stamp)
                if then is not None:
                    then()
        if report.refused:
            log.warning("%s (SN %s): %s", device_id, sn, report.refusal_summary)
        return Reply(200, ok_reply())

    def _describe(self, store: Store, row: dict[str, Any], body: bytes, address: str | None) -> Reply:
        info = parse_registry(body)
        with self.gate.hold():
            self._touch(store, row, address, info=info)
            if row["state"] == "accepted":
                store.ensure_device(row["device_id"], model=info.get("DeviceName"),
                                    firmware=info.get("FWVersion") or info.get("FirmVer"))
        return Reply(200, ok_reply())

    def _heartbeat(self, store: Store, row: dict[str, Any], query: PushQuery, body: bytes, settings: PushDeviceSettings,
                   address: str | None) -> Reply:
        info = asdict(query.info) if query.info is not None else None
        self._touch(store, row, address, info=info)
        if row["state"] != "accepted":
            return Reply(200, ok_reply())
        device_id, now = row["device_id"], self.now()
        if query.info is not None:
            with self.gate.hold():
                store.ensure_device(device_id, firmware=query.info.firmware or None)
        if not store.has_open_device_commands(device_id):
            return Reply(200, ok_reply())  # the common heartbeat: one read, no writer
        with self.gate.hold():
            return self._hand_out_commands(store, device_id, settings, now)

    def _hand_out_commands(self, store: Store, device_id: str, settings: PushDeviceSettings, now: datetime) -> Reply:
        """Close the commands that timed out, and put those not yet sent in the reply."""
        timeout = timedelta(seconds=self.push.command_timeout_seconds)
        store.expire_device_commands(device_id, (now - timeout).isoformat(timespec="seconds"),
                                     f"failed: no result from the clock within {self.push.command_timeout_seconds} s")
        pending = []
        for command in store.unsent_device_commands(device_id):
            try:
                pending.append((command["id"], wire_command(command["command"], settings, wall_time(now))))
            except (UnsafeCommand, ValueError) as exc:
                reason = exc if isinstance(exc, UnsafeCommand) else UnsafeCommand(str(exc))
                store.finish_device_command(command["id"], unsent_result(reason))
        if not pending:
            return Reply(200, ok_reply())
        reply = command_reply(pending, line_ending="\r\n" if settings.line_ending == "crlf" else "\n")
        store.mark_device_commands_sent(reply.sent)
        return Reply(200, reply.text)

    def _results(self, store: Store, row: dict[str, Any], query: PushQuery, body: bytes, settings: PushDeviceSettings,
                 address: str | None) -> Reply:
        parsed = parse_command_results(body, max_body=self.push.max_body_bytes)
        self._touch(store, row, address)
        if row["state"] != "accepted":
            return Reply(200, ok_reply())
        with self.gate.hold():
            record_results(store, row["device_id"], parsed.results)
            if parsed.errors:
                store.note_push_refusals(row["sn"], len(parsed.errors), "; ".join(str(e) for e in parsed.errors[:3]))
        return Reply(200, ok_reply())

    def _registry(self, store: Store, row: dict[str, Any], query: PushQuery, body: bytes, settings: PushDeviceSettings,
                  address: str | None) -> Reply:
        self._describe(store, row, body, address)
        return Reply(200, f"RegistryCode={self._registry_code(store, row['sn'])}")

    def _registry_code(self, store: Store, sn: str) -> str:
        # a code the clock can show back, derived from a server secret: it reveals nothing (UNCONFIRMED use)
        if self._registry_key is None:
            with self.gate.hold():
                self._registry_key = store.secret("push-registry").encode()
        return hmac.new(self._registry_key, sn.encode(), hashlib.sha256).hexdigest()[:16]


def error_reply(exc: Exception, request: str) -> Reply:
    """The answer to a request that raised ``exc`` (``request``: its method and path)."""
    if isinstance(exc, BodyTooLarge):
        return Reply(413, str(exc))
    if isinstance(exc, PushFrameError):
        return Reply(400, str(exc))
    log.error("push request %s failed", request, exc_info=exc)
    return Reply(500, "server error: the request was not stored; send it again later")


# --- in an upload worker process (monitor.service.push_workers) ---------------------------

_worker_receiver: PushReceiver | None = None
_job_now: datetime | None = None


def start_upload_worker(config: Config) -> None:
    """Set up a worker process: a receiver of its own, whose clock is the server's time
    of the job it runs, and whose connection leaves checkpoints to the server."""
    global _worker_receiver
    _worker_receiver = PushReceiver(config, now=lambda: _job_now or datetime.now(config.site.zone), own_checkpoints=True)
    # its connection is closed as the process ends (multiprocessing runs no atexit hooks)
    multiprocessing.util.Finalize(_worker_receiver, _worker_receiver.close, exitpriority=10)


def _worker() -> PushReceiver:
    if _worker_receiver is None:
        raise RuntimeError("start_upload_worker was not run in this process")
    return _worker_receiver


@contextmanager
def _server_time(now: datetime) -> Iterator[None]:
    """The worker's clock reads ``now`` for the block: the server's time of the upload."""
    global _job_now
    _job_now = now
    try:
        yield
    finally:
        _job_now = None


def _store_upload(row: dict[str, Any], query: PushQuery, body: bytes, settings: PushDeviceSettings,
                  address: str | None, now: datetime) -> Reply:
    """Store one ATTLOG upload of an accepted clock, as the server's threads would."""
    receiver = _worker()
    try:
        with _server_time(now):
            return receiver._attlog(receiver.store(), row, query, body, settings, address)
    except Exception as exc:  # noqa: BLE001 - answered like the server's own threads answer
        return error_reply(exc, "POST /iclock/cdata")


def _hold_upload(row: dict[str, Any], query: PushQuery, body: bytes, settings: PushDeviceSettings,
                 address: str | None, now: datetime) -> Reply:
    """Hold a batch upload of an accepted clock for :func:`_store_next_held`; one that
    would take the clock over ``held_bytes_per_device`` is stored at once instead."""
    receiver = _worker()
    try:
        with _server_time(now):
            store = receiver.store()
            if receiver._hold(store, row, query, body, address):
                return Reply(200, ok_reply())
            return receiver._attlog(store, row, query, body, settings, address)
    except Exception as exc:  # noqa: BLE001 - answered like the server's own threads answer
        return error_reply(exc, "POST /iclock/cdata")


def _store_held_until_asked() -> int:
    """Store the held uploads of accepted clocks, oldest first, until none is held or
    another job waits for this worker (it goes next: a realtime punch waits for one
    upload's storing at most); returns how many were stored."""
    stored = 0
    while _store_next_held():
        stored += 1
        if another_job_waits():
            break
    return stored


def _store_next_held() -> bool:
    """Store the oldest upload held for an accepted clock, with the server's time when it
    came; ``False`` when none is held."""
    receiver = _worker()
    store = receiver.store()
    held = store.next_spooled_upload()
    if held is None:
        return False
    with _server_time(datetime.fromisoformat(held["received_at"])):
        receiver.store_held(store, held)
    return True


# --- serving ------------------------------------------------------------------------------


class ReceiverServer:
    """The receiver under waitress on ``host:port``, and a sweep that marks accepted
    clocks offline when they stop calling in."""

    SWEEP_SECONDS = 60.0

    def __init__(self, config: Config, *, now: Callable[[], datetime] | None = None,
                 host: str | None = None, port: int | None = None):
        from waitress import create_server

        push = config.push
        # the workers start before the port opens: no clock waits for their start-up
        # a slot per server thread, and one for the thread that stores the held uploads
        self.workers = (UploadWorkers(push.upload_workers, push.threads + 1, start_upload_worker, (config,)).start()
                        if push.upload_workers else None)
        self.receiver = PushReceiver(config, now=now, own_checkpoints=True, workers=self.workers)
        self.checkpointer = Checkpointer(lambda: open_store(config, now=self.receiver.now, migrate=False), self.receiver.gate)
        proxy: dict[str, Any] = {}
        if push.trusted_proxy:
            proxy = {"trusted_proxy": push.trusted_proxy, "trusted_proxy_headers": {"x-forwarded-for"},
                     "clear_untrusted_proxy_headers": True}
        try:
            self.server = create_server(self.receiver, host=host or push.host, port=push.port if port is None else port,
                                        threads=push.threads, ident="attendance-monitor", **proxy)
        except OSError as exc:
            if self.workers is not None:
                self.workers.stop()
            raise MonitorError(f"the push receiver cannot listen on {host or push.host}:{push.port if port is None else port}: "
                               f"{exc.strerror or exc} (another program has the port? change [push] port)") from None
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._closing = threading.Lock()  # the loop closes its sockets; stop() must not write to a closed trigger
        self._closed = False
        self._stopped = False

    @property
    def url(self) -> str:
        host = self.server.effective_host
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{self.server.effective_port}"

    def start(self) -> ReceiverServer:
        """Serve in background threads (``monitor run``, tests); :meth:`stop` ends them."""
        self._start_helpers()
        thread = threading.Thread(target=self._serve, name="push-receiver", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until :meth:`stop` (``monitor receive``)."""
        self._start_helpers()
        self._serve()

    def _start_helpers(self) -> None:
        self.checkpointer.start()
        helpers = [(self._sweep, "push-sweep")]
        if self.workers is not None:
            helpers.append((self._store_held, "push-held"))
        for target, name in helpers:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def store_held_uploads(self) -> int:
        """Have the workers store every upload held for an accepted clock now, in this
        thread; returns how many. A test knows then that what was answered is stored."""
        if self.workers is None:
            return 0
        stored = 0
        while done := self.workers.run(_store_held_until_asked):
            stored += done
        return stored

    def _store_held(self) -> None:
        """Have the workers store the uploads held for accepted clocks, oldest first, in
        jobs that give way to any other job (:func:`_store_held_until_asked`); when none
        is held, wait for the next one announced, or look again every SPOOL_POLL_SECONDS."""
        assert self.workers is not None
        spooled = self.receiver.spooled
        while not self.stopping.is_set():
            spooled.clear()  # an upload held from now on wakes the wait below
            try:
                stored = self.workers.run(_store_held_until_asked)
            except WorkerLost as exc:
                # a new worker takes over; not at once, should this upload be what kills them
                log.warning("push receiver: storing a held upload was cut short (it stays held; tried again in %.0f s): %s",
                            SPOOL_POLL_SECONDS, exc)
                stored = 0
            except (MonitorError, RuntimeError) as exc:
                log.error("push receiver: a held upload could not be stored (it stays held; tried again in %.0f s): %s",
                          SPOOL_POLL_SECONDS, exc)
                stored = 0
            if not stored:
                spooled.wait(SPOOL_POLL_SECONDS)

    def _serve(self) -> None:
        import waitress.wasyncore as wasyncore

        server = self.server
        try:
            while not self.stopping.is_set():
                wasyncore.loop(timeout=1.0, map=server._map, use_poll=server.adj.asyncore_use_poll, count=1)
        finally:
            # the sockets belong to this loop: closed here, once, never from another thread
            with self._closing:
                wasyncore.close_all(server._map)
                self._closed = True

    def stop(self, timeout: float = 10.0) -> None:
        """Stop listening, let running requests finish, close the connections."""
        with self._closing:
            if self._stopped:
                return
            self._stopped = True
            self.stopping.set()
            self.receiver.spooled.set()  # the held uploads' thread stops after its job
            if not self._closed:
                self.server.pull_trigger()  # wakes the loop's poll at once
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout)
        self.server.task_dispatcher.shutdown(timeout=timeout)
        if self.workers is not None:
            self.workers.stop()
        self.checkpointer.stop(timeout)
        self.receiver.close()

    def _sweep(self) -> None:
        silent = timedelta(seconds=max(3 * self.receiver.push.delay, 120))
        while not self.stopping.wait(self.SWEEP_SECONDS):
            try:
                cutoff = (self.receiver.now() - silent).isoformat(timespec="seconds")
                with self.receiver.gate.hold():
                    gone = self.receiver.store().mark_silent_push_devices(cutoff)
                for device_id in gone:
                    log.warning("push clock %s went silent: offline", device_id)
            except MonitorError as exc:
                log.warning("push sweep: %s", exc)

