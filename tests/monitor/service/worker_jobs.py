"""Jobs for the upload workers' tests: module-level, so a spawned worker imports them."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

log = logging.getLogger("tests.worker_jobs")

_tag: str | None = None
done: list[str] = []  # what jobs run in this process did, in order (serve() run in a thread)


def set_up(tag: str) -> None:
    global _tag
    _tag = tag


def refuse_to_start(reason: str) -> None:
    raise ValueError(reason)


def tag_and_pid() -> tuple[str | None, int]:
    return _tag, os.getpid()


def add(a: int, b: int) -> int:
    return a + b


def warn(text: str) -> str:
    log.warning("from the worker: %s", text)
    log.debug("not wanted by anyone")
    return "warned"


def divide(a: int, b: int) -> float:
    return a / b


def unpicklable() -> object:
    return lambda: None


def record(name: str) -> str:
    done.append(name)
    return name


def hold(started: str, seconds: float) -> str:
    """Say it started (a file), then take ``seconds``: the test kills the worker meanwhile."""
    Path(started).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(seconds)
    return "finished"


def steps_until_asked(limit: int) -> int:
    """Up to ``limit`` steps of work, stopping after the step in which another job waits."""
    from monitor.service.push_workers import another_job_waits

    steps = 0
    while steps < limit:
        steps += 1
        if another_job_waits():
            break
    return steps
