"""Errors of the push protocol, under the drivers' one root (:class:`DriverError`).

A push clock is an HTTP client: what it sends wrong is a :class:`FrameError` (the
server answers it with a 4xx status), while a bad line inside a good upload is not an
exception at all but a :class:`~drivers.adms.text.LineError` next to the good punches.
"""

from __future__ import annotations

from drivers.base import DriverError, FrameError


class PushFrameError(FrameError):
    """A push request the server must refuse as a whole."""


class BadQuery(PushFrameError):
    """The query string is missing a parameter, repeats one, or holds a bad value."""


class BadSerialNumber(BadQuery):
    """``SN`` is missing, too long, or has characters no clock puts in a serial number."""


class BodyTooLarge(PushFrameError):
    """The body (or its announced ``Content-Length``) is over the cap."""


class UnsafeCommand(DriverError, ValueError):
    """A command outside the whitelist: it will never be sent to a clock.

    Also a :class:`ValueError`, because building one is a programming error, not
    something a device did."""
