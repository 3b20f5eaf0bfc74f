"""Pieces shared by the readers that have no clock of their own (fingerprint modules,
card readers, Wiegand converters and line printers).

Such a reader only says *who*; the host says *when*: each punch is stamped with the
driver's injected ``now()`` at the moment its frame was complete, as naive local wall
time (the collector passes a clock in the site's zone; an aware value is reduced to its
wall time). A card held on a reader, or a finger left on a sensor, repeats; the
:class:`Debouncer` turns a burst of sightings into one punch.
"""

from __future__ import annotations

import logging
import threading
from abc import abstractmethod
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from drivers.base import DeviceInfo, DeviceSettings, DriverError, FrameError, Punch, TimeClock
from drivers.framing import Framer
from drivers.link import SerialLink

log = logging.getLogger(__name__)


def local_now(now: Callable[[], datetime]) -> datetime:
    """``now()`` as naive local wall time."""
    moment = now()
    return moment.replace(tzinfo=None) if moment.tzinfo is not None else moment


def resolve_options(cls: type[TimeClock], settings: DeviceSettings) -> dict[str, Any]:
    """The device's protocol options with defaults filled in and types checked.

    ``monitor.config`` already checks types for ``[[devices]]`` entries; settings built
    elsewhere (``devices test --url``, tests) get the same checks here.
    """
    values: dict[str, Any] = {}
    for name, (kind, default) in cls.options.items():
        value = settings.options.get(name, default)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise DriverError(
                f"option {name} must be {kind.__name__}, not {value!r}",
                device=settings.id,
                hint=f"fix '{name}' under this device in the config",
            )
        values[name] = value
    unknown = set(settings.options) - set(cls.options)
    if unknown:
        raise DriverError(
            f"unknown option(s) {', '.join(sorted(unknown))} for protocol {cls.protocol}",
            device=settings.id,
            hint=f"known options: {', '.join(sorted(cls.options))}",
        )
    return values


def choice(settings: DeviceSettings, name: str, value: str, allowed: tuple[str, ...]) -> str:
    """Check a string option against its allowed values."""
    if value not in allowed:
        raise DriverError(
            f"option {name} = {value!r} is not one of {', '.join(allowed)}",
            device=settings.id,
            hint=f"fix '{name}' under this device in the config",
        )
    return value


class Debouncer:
    """One punch per presentation of a card or finger.

    A badge seen again less than ``repeat_seconds`` after it was *last seen* belongs to
    the same presentation (a card held on the reader repeats every ~65 ms), so a card
    held for a minute is one punch. ``repeat_seconds = 0`` turns debouncing off.
    """

    def __init__(self, repeat_seconds: float):
        self.window = timedelta(seconds=repeat_seconds)
        self._last_seen: dict[str, datetime] = {}

    def accept(self, badge: str, moment: datetime) -> bool:
        """Whether this sighting is a new punch; records it either way."""
        if not self.window:
            return True
        self._forget_before(moment)
        previous = self._last_seen.get(badge)
        self._last_seen[badge] = moment
        # abs(): a host clock stepped back (NTP) must not open a second punch either
        return previous is None or abs(moment - previous) >= self.window

    def _forget_before(self, moment: datetime) -> None:
        if len(self._last_seen) < 64:
            return
        stale = [badge for badge, seen in self._last_seen.items() if moment - seen >= self.window]
        for badge in stale:
            del self._last_seen[badge]


class StreamReader(TimeClock):
    """An output-only reader: it sends a frame per card or line and answers nothing.

    Subclasses give the framer (:meth:`make_framer`) and turn a frame into a punch
    (:meth:`punch_from`). There is nothing to ask such a reader, so :meth:`info` only
    reports what this session has seen, and ``probe`` cannot find one.
    """

    capabilities = frozenset({"live"})
    default_baudrate = 9600
    model = "serial reader"

    def __init__(self, settings: DeviceSettings, *, now: Callable[[], datetime] = datetime.now):
        super().__init__(settings, now=now)
        self.config = resolve_options(type(self), settings)
        self.check_options()
        self.debouncer = Debouncer(self.config.get("repeat_seconds", 0))
        self._link: SerialLink[Any] | None = None
        self.frames_seen = 0  # good frames, repeats included
        self.bad_frames = 0

    def check_options(self) -> None:
        """Validate option values beyond their types (raise :class:`DriverError`)."""

    @abstractmethod
    def make_framer(self) -> Framer[Any]:
        """A fresh framer for this reader's frame format."""

    @abstractmethod
    def punch_from(self, frame: Any, moment: datetime) -> Punch:
        """The punch a frame stands for, stamped ``moment`` unless it carries a time."""

    @property
    def connected_port(self) -> str | None:
        return self._link.port_name if self._link else None

    def open(self) -> None:
        self.close()
        link = SerialLink.open(self.settings, self.make_framer())
        try:
            # frames queued while nobody listened would be stamped with the wrong time
            link.discard_input()
        except BaseException:
            link.close()
            raise
        self._link = link

    def close(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None

    def info(self) -> DeviceInfo:
        return DeviceInfo(
            protocol=self.protocol,
            model=self.model,
            extra={"port": self.connected_port, "frames_seen": self.frames_seen, "bad_frames": self.bad_frames},
        )

    def listen(self, stop: threading.Event) -> Iterator[Punch]:
        """Yield one punch per presentation until ``stop`` is set."""
        link = self._require_link()
        while not stop.is_set():
            try:
                frame = link.read_frame(0.5, stop)
                if frame is None:
                    continue
                moment = local_now(self.now)  # the frame is complete: this is the punch time
                punch = self.punch_from(frame, moment)
            except FrameError as exc:
                self.bad_frames += 1
                log.warning("%s: dropped a bad frame: %s", self.settings.id, exc)
                continue
            self.frames_seen += 1
            if self.debouncer.accept(punch.user_id, moment):
                yield punch

    def _require_link(self) -> SerialLink[Any]:
        if self._link is None:
            raise DriverError("the reader is not open", device=self.settings.id, hint="call open() first")
        return self._link

