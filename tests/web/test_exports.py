"""The export workers: sized from [web], below the pages' CPU priority, and never holding
more than half of waitress's threads while a file is made."""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import Future
from pathlib import Path

import pytest

from monitor.config import load_config
from tests.conftest import FIXED_NOW
from tests.web.conftest import download, start_serve
from web import create_app
from web.exports import NICENESS, ExportJobs


def _workers_of(pid: int) -> list[int]:
    """The spawned worker processes among ``pid``'s children (Linux /proc)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return [child for child in children
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs (an exited child waiting to be reaped does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _niceness(pid: int) -> int:
    # /proc/PID/stat: the 19th field is the nice value; the name (2nd) may hold spaces
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads process priorities from Linux's /proc")
def test_the_export_worker_runs_below_the_pages_priority(client, auth) -> None:
    auth.login("nhansu")
    assert download(client, "/month/timesheet.xlsx?month=2026-11").status_code == 200
    workers = _workers_of(os.getpid())
    assert workers, "no export worker process was found"
    own = os.nice(0)
    assert {_niceness(worker) for worker in workers} == {min(19, own + NICENESS)}


def test_the_pool_and_its_queue_follow_the_config(web_config: Path) -> None:
    text = web_config.read_text(encoding="utf-8") + "threads = 6\nexport_workers = 2\nexport_queue = 5\n"
    web_config.write_text(text, encoding="utf-8")
    jobs = create_app(load_config(web_config), now=lambda: FIXED_NOW, testing=True).extensions["exports"]
    assert (jobs.workers, jobs.limit, jobs.waiters) == (2, 2 + 5, 3)


def test_at_most_the_allowed_requests_wait_for_a_file() -> None:
    jobs = ExportJobs(1, 2, waiters=1)
    with jobs.waiting_slot() as first:
        assert first
        with jobs.waiting_slot() as second:
            assert not second  # the one slot is taken: this request answers 202 at once
    with jobs.waiting_slot() as again:
        assert again  # given back
    done = Future()
    done.set_result(b"PK")
    assert jobs.wait(done, 60) is True


def test_a_one_thread_server_never_waits_for_a_file() -> None:
    jobs = ExportJobs(1, 2, waiters=0)
    with jobs.waiting_slot() as slot:
        assert not slot


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads child processes from Linux's /proc")
def test_sigterm_stops_the_site_and_its_export_workers(web_config: Path, tmp_path: Path) -> None:
    """A service manager stops the site with SIGTERM: the export workers must go with it,
    not linger as orphans holding the database open."""
    process, _url = start_serve(web_config, tmp_path / "serve.log")
    try:
        workers: list[int] = []
        for _ in range(200):  # the pool is warmed at start; its worker appears within moments
            workers = _workers_of(process.pid)
            if workers:
                break
            time.sleep(0.05)  # polling /proc: there is no event to wait on
        assert workers, "monitor serve started no export worker"
        process.terminate()
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    alive = [pid for pid in workers if _running(pid)]
    assert alive == [], "export workers outlived the site"
    assert "Stopped." in (tmp_path / "serve.log").read_text(errors="replace")

