"""Repository rules that CI and users depend on."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(.+?)\n```", readme.split("---")[0], flags=re.S)
    assert len(commands) == 2, "the quick start has exactly two commands"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1].strip() in ci.splitlines()


def test_every_package_is_listed_in_pyproject() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    listed = set(re.findall(r'^\s+"([a-z_.]+)",$', pyproject.split("packages = [")[1].split("]")[0], flags=re.M))
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for top in ("monitor", "drivers", "web")
        for path in (ROOT / top).rglob("__init__.py")
    }
    assert found == listed
