"""The layering rules of DESIGN.md, read from the source (ast), so they cannot rot.

* no import circle inside ``monitor/``, ``drivers/`` or ``web/``;
* the engine is pure: of ours it imports only ``monitor.errors`` and itself, and nothing
  of SQLite, Flask, pyserial or APScheduler;
* only the store touches SQLite, and the store does not read the config;
* drivers know nothing of ``monitor`` or ``web``;
* the web never opens SQL or a serial port of its own.

Every import counts: module level, inside functions and under ``TYPE_CHECKING``. A lazy
import hides a circle from Python at start-up, not from a reader.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("monitor", "drivers", "web")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> Iterator[tuple[str, int]]:
    """``(imported module, line)`` for every import in the file; ``from a import b``
    yields ``a.b`` as well as ``a``, since ``b`` may be a module."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            yield base, node.lineno
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def _sources() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


SOURCES = _sources()


def _graph() -> dict[str, dict[str, int]]:
    """Our module → {our module it imports: line}."""
    graph: dict[str, dict[str, int]] = {}
    for module, path in SOURCES.items():
        edges: dict[str, int] = {}
        for name, line in _imports(path, module):
            if name in SOURCES and name != module:
                edges.setdefault(name, line)
        graph[module] = edges
    return graph


def _external(module: str) -> Iterator[tuple[str, int]]:
    for name, line in _imports(SOURCES[module], module):
        yield name, line


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _offences(modules_under: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    found = []
    for module in sorted(SOURCES):
        if not _in(module, modules_under):
            continue
        for name, line in _external(module):
            if any(_in(name, bad) for bad in forbidden) and not any(_in(name, ok) for ok in allowed):
                found.append(f"{SOURCES[module].relative_to(ROOT)}:{line} imports {name}")
    return sorted(set(found))


def test_the_packages_are_found() -> None:
    # guards the rules below against silently checking nothing
    assert "monitor.engine.judge" in SOURCES
    assert "monitor.store" in SOURCES
    assert "drivers.base" in SOURCES
    assert "web" in SOURCES


def test_no_import_circles() -> None:
    cycles = _cycles(_graph())
    assert cycles == [], "import circles: " + "; ".join(" ↔ ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_circle() -> None:
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert _cycles(graph) == [["a", "b", "c"]]


OUR_PACKAGES = ("monitor", "drivers", "web")
SQLITE = ("sqlite3", "sqlite_utils")


@pytest.mark.parametrize(
    ("modules", "forbidden", "allowed"),
    [
        pytest.param(
            "monitor.engine",
            OUR_PACKAGES + SQLITE + ("flask", "serial", "apscheduler", "waitress", "click"),
            ("monitor.errors", "monitor.engine"),
            id="the engine is pure",
        ),
        pytest.param("monitor.store", ("monitor.config", "monitor.service", "monitor.cli", "web"), (), id="the store reads no config"),
        pytest.param("drivers", ("monitor", "web"), (), id="drivers know nothing of monitor"),
        pytest.param("web", SQLITE + ("serial", "drivers", "apscheduler"), (), id="the web opens no SQL and no port"),
        pytest.param("monitor.config", SQLITE + ("monitor.store", "monitor.service", "flask"), (), id="the config reads no database"),
        pytest.param("monitor.reports", ("serial", "flask", "apscheduler"), (), id="reports open no port"),
    ],
)
def test_layer_imports(modules: str, forbidden: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    assert _offences(modules, forbidden, allowed) == []


def test_only_the_store_touches_sqlite() -> None:
    offences = [
        line
        for package in PACKAGES
        for line in _offences(package, SQLITE)
        if not line.startswith(str(Path("monitor", "store")))
    ]
    assert offences == []


def test_the_rules_catch_an_offence(tmp_path: Path) -> None:
    # the checker itself: a module that imports sqlite3 is reported with its line
    path = tmp_path / "probe.py"
    path.write_text("import os\n\ndef f():\n    import sqlite3\n", encoding="utf-8")
    assert ("sqlite3", 4) in list(_imports(path, "probe"))
