"""Validating parsed TOML with precise messages: key paths, line numbers, hints.

:class:`Checker` reads typed values out of the parsed tables; a wrong value is recorded
(``FILE:LINE: key.path: what is wrong (what is allowed)``) and a default returned, so
parsing goes on and every problem is reported at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any

KeyPath = tuple[str | int, ...]  # a key's place in the file: ("devices", 0, "port")


# --- locating keys in the file, for line numbers ---------------------------------------


class _Locator:
    """Finds the line of a key path in the TOML text (best effort, never raises)."""

    _header = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def line_of(self, path: KeyPath) -> int | None:
        if not path:
            return None
        # the longest prefix of the path that names a [table] or [[array]] header (dotted
        # headers such as [schedules.office] have no header for their first part)
        start, end, rest = 0, len(self.lines), list(path)
        for size in range(len(path), 0, -1):
            prefix = path[:size]
            index = prefix[-1] if isinstance(prefix[-1], int) else None
            names = prefix[:-1] if index is not None else prefix
            if not names or not all(isinstance(part, str) for part in names):
                continue
            found = self._find_header(".".join(names), index)  # type: ignore[arg-type]
            if found is not None:
                start, end, rest = found, self._next_header(found + 1), list(path[size:])
                break
        if not rest:
            return start + 1
        key = str(rest[0])
        pattern = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
        for number in range(start, end):
            if pattern.match(self.lines[number]):
                return number + 1
        # a dotted or nested key: report the table's header
        return start + 1 if rest != list(path) else None

    def _find_header(self, name: str, index: int | None = None) -> int | None:
        seen = -1
        for number, line in enumerate(self.lines):
            match = self._header.match(line)
            if match and match.group(2).replace(" ", "").replace('"', "").replace("'", "") == name.replace(" ", ""):
                seen += 1
                if index is None or seen == index:
                    return number
        return None

    def _next_header(self, start: int) -> int:
        for number in range(start, len(self.lines)):
            if self._header.match(self.lines[number]):
                return number
        return len(self.lines)


def format_path(path: KeyPath) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text


class Checker:
    """Collects validation problems with key paths and line numbers.

    Section parsers use it to read typed values; a wrong value is recorded and a
    default returned, so parsing goes on and every problem is reported at once.
    """

    def __init__(self, source: str, text: str):
        self.source = source
        self.locator = _Locator(text)
        self.problems: list[str] = []

    def problem(self, path: KeyPath, message: str) -> None:
        line = self.locator.line_of(path)
        where = f"{self.source}:{line}" if line else self.source
        self.problems.append(f"{where}: {format_path(path)}: {message}")

    def table(self, value: Any, path: KeyPath) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.problem(path, f"must be a table, not {_kind(value)}")
            return {}
        return value

    def known_keys(
        self, table: Mapping[str, Any], allowed: set[str] | Mapping[str, Any], path: KeyPath
    ) -> None:
        for key in table:
            if key in allowed:
                continue
            close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(sorted(allowed))}"
            self.problem(path + (key,), f"unknown key{hint}")

    def get(
        self,
        table: Mapping[str, Any],
        key: str,
        kind: type | tuple[type, ...],
        path: KeyPath,
        default: Any = None,
        *,
        required: bool = False,
        choices: tuple[Any, ...] | None = None,
        check: Callable[[Any], str | None] | None = None,
    ) -> Any:
        full = path + (key,)
        if key not in table:
            if required:
                self.problem(full, "is required")
            return default
        value = table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # TOML booleans are ints to Python; keep them apart
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        elif float in kinds and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        else:
            ok = isinstance(value, kinds)
        if not ok:
            names = " or ".join(_type_name(k) for k in kinds)
            self.problem(full, f"must be {names}, not {_kind(value)} {value!r}")
            return default
        if choices is not None and value not in choices:
            allowed = ", ".join(str(c) for c in choices)
            if isinstance(value, str):
                close = difflib.get_close_matches(value, [str(c) for c in choices], n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.problem(full, f"{value!r} is not one of {allowed}{hint}")
            else:
                self.problem(full, f"{value} is not one of {allowed}")
            return default
        if check is not None:
            message = check(value)
            if message:
                self.problem(full, message)
                return default
        return value


def _type_name(kind: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "an array", dict: "a table"}.get(
        kind, kind.__name__
    )


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__
