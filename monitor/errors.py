"""The exception root of the ``monitor`` layer.

Every error a user can cause (a bad config, a bad input file, an unknown employee, a
database that is not there) derives from :class:`MonitorError`; the CLI turns it into one
line on stderr and exit code 2. Messages say what is wrong, where, and what to do.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Root of every error the ``monitor`` package raises on purpose."""


class ConfigError(MonitorError):
    """The configuration file is missing, unreadable or invalid.

    ``problems`` holds every problem found, one line each, so ``config check`` can list
    them all at once.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class StorageError(MonitorError):
    """The database cannot be opened, is not initialised, or refused a write."""


class InputFileError(MonitorError):
    """An import file cannot be read, or has rows that cannot be imported.

    ``problems`` lists ``(line number, reason)`` pairs.
    """

    def __init__(self, message: str, problems: list[tuple[int, str]] | None = None):
        self.problems = problems or []
        super().__init__(message)


class NotFound(MonitorError):
    """A named unit, employee, device, leave record or user does not exist."""


class Refused(MonitorError):
    """A change was refused because it would break a rule (overlap, last admin, ...)."""


class DeliveryError(MonitorError):
    """A notification could not be delivered (the mail server or a webhook refused it,
    or could not be reached); the message says which and why, never a password."""
