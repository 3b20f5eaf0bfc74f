"""The exception root of the ``monitor`` layer.

Every error a user can cause (a bad config, a bad input file, an unknown employee, a
database that is not there) derives from :class:`MonitorError`; the CLI turns it into one
line on stderr and exit code 2. Messages say what is wrong, where, and what to do.
"""

from __future__ import annotations

from typing import Any


class Message(str):
    """An English sentence that keeps its message id and values.

    It is a ``str``, so the CLI, logs and tests read it as the English sentence. The web
    shows it in the reader's language: it looks ``msgid`` up in the catalog and fills in
    ``values`` (dates in the language's format, nested messages translated too). Mark a
    refusal with :func:`N_` wherever a person at a web page can cause it.
    """

    msgid: str
    values: dict[str, Any]

    def __new__(cls, msgid: str, /, **values: Any) -> Message:
        text = super().__new__(cls, msgid % values if values else msgid)
        text.msgid = msgid
        text.values = values
        return text

    @classmethod
    def words(cls, words: list[str], separator: str = ", ") -> Message:
        """Vocabulary words (statuses, violations, roles) joined, each shown translated;
        "none" for no words."""
        if not words:
            return N_("none")
        return cls(separator.join(f"%(w{n})s" for n in range(len(words))),
                   **{f"w{n}": cls(word) for n, word in enumerate(words)})

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled into the export worker and back like any str, values kept
        return (_message, (self.msgid, self.values))


def _message(msgid: str, values: dict[str, Any]) -> Message:
    return Message(msgid, **values)


def N_(msgid: str, /, **values: Any) -> Message:  # noqa: N802 - gettext's conventional marker name
    """Mark ``msgid`` (with ``%(name)s`` placeholders) for translation; see :class:`Message`."""
    return Message(msgid, **values)


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
