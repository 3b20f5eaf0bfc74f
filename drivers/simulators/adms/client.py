"""The push clock on the wire: real HTTP requests (``http.client``) to a server URL.

Every step is one method, so tests drive the clock without sleeping:
:meth:`PushClock.init`, :meth:`~PushClock.sync_time`, :meth:`~PushClock.heartbeat`,
:meth:`~PushClock.punch`, :meth:`~PushClock.upload_pending`, :meth:`~PushClock.upload_operlog`.
A step never raises for a network problem, as a clock never crashes on one: it returns
what got through, keeps the rest for the next try and counts the failure in
:attr:`PushClock.stats` (:attr:`~PushClock.last_error` says what went wrong).
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from datetime import timedelta, timezone
from urllib.parse import quote, urlencode, urlsplit

from drivers.adms.commands import CommandResult, format_command_result, parse_command_reply
from drivers.adms.replies import parse_options_reply, parse_time_reply, parse_timezone
from drivers.simulators.adms.device import PushDevice, Record

DEFAULT_BATCH = 100


@dataclass
class Stats:
    requests: int = 0
    failures: int = 0  # timeouts, refused connections, statuses other than 200
    uploads: int = 0  # ATTLOG posts the server acknowledged (duplicates included)
    records_acknowledged: int = 0
    commands: int = 0
    reboots: int = 0


class PushClock:
    """A :class:`PushDevice` talking to ``server_url`` (``http://host:port``, with an
    optional path prefix in front of ``/iclock``)."""

    def __init__(self, server_url: str, device: PushDevice, *, timeout: float = 10.0, batch_size: int = DEFAULT_BATCH):
        parts = urlsplit(server_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"server URL {server_url!r}: write http://HOST:PORT (or https://)")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.device = device
        self.timeout = timeout
        self.batch_size = batch_size
        self.stats = Stats()
        self.last_error: str | None = None
        self.initialized = False
        self.info_due = True  # the first heartbeat after init carries INFO=
        self.options: dict[str, str] = {}
        self.utc_offset = timedelta(hours=7)
        self.pending_results: list[CommandResult] = []  # results the server has not taken yet

    # --- HTTP ---------------------------------------------------------------------------

    def _request(self, method: str, endpoint: str, params: dict[str, str], body: str | None = None) -> str | None:
        """The reply text of a 200 answer, or ``None`` after any failure."""
        params = {"SN": self.device.sn, **params}
        if self.device.comkey is not None:
            params["ComKey"] = self.device.comkey
        # the INFO value holds a space: clocks' encoding of it is UNCONFIRMED, %20 is what HTTP allows
        target = f"{self.prefix}/iclock/{endpoint}?{urlencode(params, quote_via=quote, safe=',:')}"
        connection_class = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        connection = connection_class(self.host, self.port, timeout=self.timeout)
        headers = {"User-Agent": self.device.profile.user_agent}
        payload = None
        if body is not None:
            payload = body.encode("utf-8")
            headers["Content-Type"] = "text/plain"
        self.stats.requests += 1
        try:
            connection.request(method, target, body=payload, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            if response.status != 200:
                return self._failed(f"{method} {endpoint}: HTTP {response.status}")
            self.last_error = None
            return text
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timeout, bad status line
            return self._failed(f"{method} {endpoint}: {exc.__class__.__name__} {exc}")
        finally:
            connection.close()

    def _failed(self, reason: str) -> None:
        self.stats.failures += 1
        self.last_error = reason
        return None

    # --- steps --------------------------------------------------------------------------

    def init(self) -> bool:
        """``GET cdata?options=all``; applies the options (stamps, time zone...)."""
        profile = self.device.profile
        reply = self._request("GET", "cdata", {"options": "all", "pushver": profile.pushver, "language": profile.language})
        if reply is None:
            return False
        self.options = parse_options_reply(reply)
        try:
            self.utc_offset = parse_timezone(self.options.get("TimeZone", "+07:00"))
        except ValueError:
            pass  # keep the previous zone, as a clock keeps its setting
        if self.options.get("ATTLOGStamp", "").strip() in ("0", "") and self.device.faults.zero_stamp_resends_all:
            self.device.forget_uploads()
        self.initialized = True
        self.info_due = True
        return True

    def option(self, name: str, default: int) -> int:
        """A numeric option from the last init reply (``Delay``, ``Realtime``...)."""
        try:
            return int(float(self.options.get(name, default)))
        except ValueError:
            return default

    def sync_time(self) -> bool:
        """``GET cdata?type=time``: set the clock from the server's time, in the zone
        the init reply gave."""
        reply = self._request("GET", "cdata", {"type": "time"})
        if reply is None:
            return False
        try:
            moment = parse_time_reply(reply)
        except ValueError:
            self._failed(f"not a time reply: {reply[:40]!r}")
            return False
        self.device.set_time(moment.astimezone(timezone(self.utc_offset)).replace(tzinfo=None))
        return True

    def punch(self, pin: str | None = None, **details) -> Record:
        """Someone punches at the clock; see :meth:`PushDevice.punch`."""
        return self.device.punch(pin, **details)

    def upload_pending(self) -> int:
        """Post what the server has not acknowledged (records asked for again by a
        ``DATA QUERY`` first), in batches; returns how many records were acknowledged.
        A failed batch stays pending and the step stops there."""
        device, sent = self.device, 0
        while True:
            with device.lock:
                requery = bool(device.requeried)
                batch = [device.requeried[i] for i in range(min(self.batch_size, len(device.requeried)))] \
                    if requery else device.pending(self.batch_size)
            if not batch:
                return sent
            body = device.attlog_body(batch)
            params = {"table": "ATTLOG", "Stamp": device.stamp(batch)}
            if self._request("POST", "cdata", params, body) is None:
                return sent
            self.stats.uploads += 1
            if device.faults.duplicate_uploads and self._request("POST", "cdata", params, body) is not None:
                self.stats.uploads += 1
            with device.lock:
                if requery:
                    for _ in batch:
                        device.requeried.popleft()
                else:
                    device.acknowledge(batch)
            sent += len(batch)
            self.stats.records_acknowledged += len(batch)

    def upload_operlog(self) -> int:
        """Post the waiting OPLOG lines; returns how many were acknowledged."""
        device = self.device
        with device.lock:
            lines = list(device.operations)
        if not lines:
            return 0
        body = "".join(line + device.dialect.line_ending for line in lines)
        stamp = lines[-1].split("\t")[2].replace(" ", "T")
        if self._request("POST", "cdata", {"table": "OPERLOG", "Stamp": stamp}, body) is None:
            return 0
        with device.lock:
            for _ in lines:
                device.operations.popleft()
        return len(lines)

    def heartbeat(self) -> list[CommandResult]:
        """``GET getrequest`` (with ``INFO=`` the first time after init), then carry out
        the commands, re-post what a ``DATA QUERY`` asked for, and post the results.
        Inits first when needed. Returns the results of this heartbeat's commands."""
        if not self.initialized and not self.init():
            return []
        self._post_results()  # results a failed devicecmd left behind go first
        params = {"INFO": self.device.status().format()} if self.info_due else {}
        reply = self._request("GET", "getrequest", params)
        if reply is None:
            return []
        self.info_due = False
        results, rebooting = [], False
        for command_id, text in parse_command_reply(reply):
            result, reboot = self.device.execute(command_id, text)
            results.append(result)
            rebooting = rebooting or reboot
            self.stats.commands += 1
        if any(result.cmd == "DATA" and result.ok for result in results) or any(r.cmd == "CHECK" for r in results):
            self.upload_pending()
        self.pending_results.extend(results)
        self._post_results()
        if rebooting:
            self.reboot()
        return results

    def _post_results(self) -> bool:
        if not self.pending_results:
            return True
        body = "".join(format_command_result(result) for result in self.pending_results)
        if self._request("POST", "devicecmd", {}, body) is None:
            return False
        self.pending_results.clear()
        return True

    def reboot(self) -> None:
        """Restart: the log survives (it is in flash), the session does not."""
        self.stats.reboots += 1
        self.initialized = False
        self.info_due = True

    def register(self) -> str | None:
        """``POST registry`` as newer firmware does; the ``RegistryCode`` or ``None``."""
        device, profile = self.device, self.device.profile
        body = ",".join(["DeviceType=att", f"~DeviceName={profile.model}", f"FirmVer={profile.firmware}",
                         f"IPAddress={profile.ip}", f"UserCount={len(device.users)}", f"~MaxAttLogCount={device.buffer_size}"])
        reply = self._request("POST", "registry", {}, body)
        if reply is None:
            return None
        name, _, code = reply.strip().partition("=")
        return code if name == "RegistryCode" else None
