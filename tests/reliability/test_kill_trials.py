"""``monitor run`` killed and stopped for real: kill -9 at random moments during a pull,
during an evaluation and during live reading, checked against ground truth after a
restart (the simulators' logs; an uninterrupted evaluation of the same data);
SIGTERM honoured within 5 s in the middle of an evaluation; and the long-evaluation
scenario of issue 12 (a card every 0.5 s while a big evaluation runs: none lost).

``--reliability-trials=N`` sets the number of kill -9 trials (3 by default, for CI);
the moments are drawn from a seeded generator, so a failing trial can be replayed. Every
kill is checked to have landed inside what it tests (a pull's transfer, an unfinished
evaluation), so a trial cannot silently test nothing."""

from __future__ import annotations

import random
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from drivers.simulators.rfid import CardReaderSimulator
from drivers.simulators.zk import VirtualClock, ZKSimulator
from monitor.config import load_config
from monitor.service.evaluation import Evaluation
from monitor.service.spool import SUFFIX
from monitor.store import Store, copy_database
from tests.reliability.conftest import START_SECONDS, Collector, Site, read, staff, wait_for

SEED = 12
STOP_LIMIT = 5.0  # the issue's promise: SIGTERM honoured within 5 s at any moment


def card_number(n: int) -> str:
    """The card of the ``n``-th presentation, as the reader's decimal format stores it."""
    return f"{3_887_000 + n:010d}"


def stored_log(site: Site, device_id: str) -> list[tuple[str, str]]:
    return sorted(read(site.db, "SELECT device_user_id, punched_at FROM punches WHERE device_id = ?", device_id))


def truth(clock: VirtualClock) -> list[tuple[str, str]]:
    """What the clock holds, as the store writes it (local time with the site's offset)."""
    with clock.lock:
        return sorted((p.user_id, p.timestamp.isoformat() + "+07:00") for p in clock.log)


# --- kill -9 during a pull -------------------------------------------------------------------


ATTEMPTS = 8  # moments tried per pull trial before giving up on landing inside the transfer
LOAD_WEEKS = 8  # how much older each load of new punches is than the one before


def test_kill_9_during_pulls_loses_and_duplicates_nothing(site: Site, trials: int) -> None:
    rng = random.Random(SEED)
    clock = VirtualClock(users=40, records=80_000, seed=SEED)
    moments = []
    loads = 0
    with ZKSimulator(clock, transport="tcp") as simulator:
        site.add_device(f'id = "zk1"\nprotocol = "zkteco"\nport = "{simulator.url}"\ntimeout = 2.0\npoll_seconds = 3600')
        for trial in range(trials):
            # the kill comes a random moment after the transfer began (the clock disabled, or
            # already read): during the download or while its batches are written. A moment
            # that proves too late (everything was stored) is drawn again from a shorter span.
            longest = 2.0
            for attempt in range(ATTEMPTS):
                if trial or attempt:  # new punches to pull (older than the whole log, so never seen)
                    loads += 1
                    with clock.lock:
                        oldest = list(clock.log)[:5_000]  # the first loaded: about 7 weeks of punches
                    # each load 8 weeks further back, so loads never overlap; they must stay after
                    # [storage] punch_not_before (2000), which refuses older punches by design
                    shifted = [(p.timestamp - timedelta(weeks=LOAD_WEEKS * loads), p.user_id, p.state or 0) for p in oldest]
                    assert min(t for t, _, _ in shifted) >= datetime(2000, 1, 1), f"trial {trial}: too many loads ({loads})"
                    clock.load(shifted)
                    longest = min(longest, 0.5)
                before = len(stored_log(site, "zk1"))
                expected = len(truth(clock)) - before
                downloads = clock.downloads
                collector = site.start("--evaluate-minutes", "600")
                wait_for(lambda: not clock.enabled or clock.downloads > downloads, START_SECONDS + 30,
                         f"trial {trial}: the pull's transfer to begin\n{collector.output()}")
                delay = rng.uniform(0, longest)
                assert not threading.Event().wait(delay)  # the moment is the experiment, not a wait for something
                collector.kill()
                stored = len(stored_log(site, "zk1")) - before
                moments.append((trial, attempt, round(delay, 3), stored, expected, clock.downloads - downloads, clock.enabled))
                site.monitor("run", "--once", "--evaluate-minutes", "600")  # the restart
                assert stored_log(site, "zk1") == truth(clock), f"trial {trial}: {moments[-1]}"
                assert clock.enabled, f"trial {trial}: the restart left the clock disabled"
                if stored < expected:
                    break  # the kill landed inside the transfer: this trial tested something
                longest /= 2
            else:
                pytest.fail(f"trial {trial}: no kill landed inside the transfer in {ATTEMPTS} moments: {moments}")
    rows = read(site.db, "SELECT COUNT(*), COUNT(DISTINCT device_user_id || punched_at) FROM punches WHERE device_id = 'zk1'")
    assert rows[0][0] == rows[0][1] == len(clock.log), moments


# --- kill -9 during an evaluation ------------------------------------------------------------


def day_results(db: Path, before: date) -> list[tuple]:
    """Every judged day before ``before``, without the moment it was judged (the
    run's clock); today's own result depends on the time of day and is left out."""
    conn_rows = read(db, "SELECT * FROM day_results WHERE day < ? ORDER BY employee_code, day", before.isoformat())
    columns = [row[1] for row in read(db, "PRAGMA table_info(day_results)")]
    at = columns.index("evaluated_at")
    return [row[:at] + row[at + 1:] for row in conn_rows]


def uninterrupted(site: Site, copy: Path) -> list[tuple]:
    """Ground truth: the same data judged in one uninterrupted run, on a copy."""
    copy_database(site.db, copy)
    config = load_config(site.config)
    zone = config.site.zone
    with Store(copy, zone=zone) as store:
        summary = Evaluation(store, config.policy, datetime.now(zone)).run()
    assert not summary.interrupted and summary.judged > 0
    return day_results(copy, date.today())


def test_kill_9_during_an_evaluation_resumes_to_the_same_results(site: Site, trials: int, tmp_path) -> None:
    rng = random.Random(SEED + 2)
    today = date.today()
    # big enough that every trial's kill finds work left (asserted below)
    people, days = 50 * max(trials, 2), 360
    total = staff(site, people=people, days=days, today=today)
    complete = people * (days + 1)  # every day from the hire date to today
    truth_days = uninterrupted(site, tmp_path / "truth.db")
    assert len(truth_days) == total
    punches = read(site.db, "SELECT id, device_id, device_user_id, punched_at, hash FROM punches ORDER BY id")
    link = tmp_path / "usb-reader"
    site.add_device(f'id = "rfid1"\nprotocol = "rfid"\nport = "{link}"\ncard_format = "decimal"')
    presented: list[str] = []
    confirmed: list[str] = []
    moments = []

    def judged() -> int:
        return read(site.db, "SELECT COUNT(*) FROM day_results")[0][0]

    with CardReaderSimulator(link=link, interval=0) as reader:
        for trial in range(trials):
            before = judged()
            collector = site.start("--evaluate-minutes", "600")
            # the run resumes at once: a random moment after its next batch is written
            wait_for(lambda: judged() > before, START_SECONDS + 30, f"trial {trial}: the evaluation's next batch\n"
                     f"{collector.output()}")
            presenter = Presenter(site, reader, first=len(presented))
            presenter.start()
            delay = rng.uniform(0, 0.4)
            assert not threading.Event().wait(delay)  # the moment is the experiment, not a wait for something
            kill_while_reading(site, collector, presenter)
            presented += presenter.presented
            confirmed += presenter.confirmed
            moments.append((trial, round(delay, 3), before, judged()))
            assert judged() < complete, f"trial {trial}: the evaluation was over before the kill, so it tested nothing: {moments}"
        # the restart finishes the evaluation and drains the spool
        collector = site.start("--evaluate-minutes", "600")
        wait_for(lambda: read(site.db, "SELECT COUNT(*) FROM dirty_days")[0][0] == 0 and len(day_results(site.db, today)) == total,
                 120, f"the restart to finish the evaluation\n{collector.output()}")
        wait_for(lambda: not (site.spool / f"rfid1{SUFFIX}").exists() or (site.spool / f"rfid1{SUFFIX}").stat().st_size == 0,
                 10, "the spool drained")
        took = collector.terminate()
        assert took < STOP_LIMIT, f"SIGTERM took {took:.2f} s:\n{collector.output()}"
    assert day_results(site.db, today) == truth_days, moments
    # the punch log is as it was, and every confirmed card is stored once
    assert read(site.db, "SELECT id, device_id, device_user_id, punched_at, hash FROM punches WHERE device_id = 'gate'"
                " ORDER BY id") == punches
    cards = [row[0] for row in read(site.db, "SELECT device_user_id FROM punches WHERE device_id = 'rfid1'")]
    assert len(cards) == len(set(cards)), "a card was stored twice"
    assert set(confirmed) <= set(cards) <= set(presented), f"lost: {sorted(set(confirmed) - set(cards))}"
    assert "OK" in site.monitor("verify")


# --- kill -9 during live reading -------------------------------------------------------------


class Presenter(threading.Thread):
    """Presents new cards one after another until stopped; a card counts as confirmed
    once it is on disk (in the spool or the database), which is the collector's promise."""

    def __init__(self, site: Site, reader: CardReaderSimulator, first: int):
        super().__init__(daemon=True)
        self.site, self.reader, self.next = site, reader, first
        self.stopping = threading.Event()
        self.presented: list[str] = []
        self.confirmed: list[str] = []
        self.error: BaseException | None = None

    def on_disk(self, card: str) -> bool:
        spool = self.site.spool / f"rfid1{SUFFIX}"
        if spool.exists() and card.encode() in spool.read_bytes():  # the spool first: it moves on into the database
            return True
        return bool(read(self.site.db, "SELECT 1 FROM punches WHERE device_id = 'rfid1' AND device_user_id = ?", card))

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                card = card_number(self.next)
                self.next += 1
                self.presented.append(card)
                self.reader.card(card, hold=1)
                while not self.stopping.is_set():
                    if self.on_disk(card):
                        self.confirmed.append(card)
                        break
                    self.stopping.wait(0.01)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


def kill_while_reading(site: Site, collector: Collector, presenter: Presenter) -> None:
    """kill -9 the collector while ``presenter`` shows cards, then stop the presenter."""
    collector.kill()
    # a killed collector cannot write "offline": clear the "online" it left, so a wait for
    # "online" sees the next collector's own, written once its port is open (its
    # heartbeat would tell only after a few intervals)
    site.forget_status("rfid1")
    presenter.stopping.set()
    presenter.join(10)
    assert presenter.error is None


def test_kill_9_during_live_reading_loses_and_duplicates_nothing(site: Site, trials: int, tmp_path) -> None:
    rng = random.Random(SEED + 1)
    link = tmp_path / "usb-reader"
    site.add_device(f'id = "rfid1"\nprotocol = "rfid"\nport = "{link}"\ncard_format = "decimal"')
    confirmed: list[str] = []
    presented: list[str] = []
    with CardReaderSimulator(link=link, interval=0) as reader:
        for trial in range(trials):
            collector = site.start("--evaluate-minutes", "600")
            wait_for(lambda: site.status("rfid1") == "online", 30, f"trial {trial}: the reader online\n{collector.output()}")
            presenter = Presenter(site, reader, first=len(presented))
            presenter.start()
            assert not threading.Event().wait(rng.uniform(0.05, 1.5))  # a random moment of reading
            kill_while_reading(site, collector, presenter)
            presented += presenter.presented
            confirmed += presenter.confirmed
        # the last restart replays what the spool still holds and drains it
        collector = site.start("--evaluate-minutes", "600")
        wait_for(lambda: site.status("rfid1") == "online", 30, f"the reader online after the restart\n{collector.output()}")
        wait_for(lambda: not (site.spool / f"rfid1{SUFFIX}").exists() or (site.spool / f"rfid1{SUFFIX}").stat().st_size == 0,
                 10, "the spool drained")
        took = collector.terminate()
        assert took < STOP_LIMIT, f"SIGTERM took {took:.2f} s:\n{collector.output()}"
    cards = [row[0] for row in read(site.db, "SELECT device_user_id FROM punches WHERE device_id = 'rfid1'")]
    assert len(cards) == len(set(cards)), "a card was stored twice"
    assert set(confirmed) <= set(cards), f"lost: {sorted(set(confirmed) - set(cards))}"
    assert set(cards) <= set(presented), "a card nobody presented"
    assert len(confirmed) >= trials  # every trial read something before its kill


# --- SIGTERM during an evaluation, and the long evaluation with a card reader -----------------


def test_sigterm_in_the_middle_of_an_evaluation_stops_within_5_s(site: Site) -> None:
    total = staff(site, people=200, days=400, today=date.today())
    collector = site.start("--evaluate-minutes", "600")
    # the evaluation starts at once; its first batches commit as they go
    wait_for(lambda: read(site.db, "SELECT COUNT(*) FROM day_results")[0][0] > 0, 60,
             f"the evaluation's first batch\n{collector.output()}")
    took = collector.terminate()
    judged = read(site.db, "SELECT COUNT(*) FROM day_results")[0][0]
    assert judged < total, "the evaluation ended before the signal: make the office bigger"
    assert took < STOP_LIMIT, f"SIGTERM took {took:.1f} s\n{collector.output()}"
    assert collector.process.returncode == 0, collector.output()
    # a restart finishes the job where it stopped
    site.monitor("run", "--once", "--evaluate-minutes", "600")
    assert read(site.db, "SELECT COUNT(*) FROM dirty_days") == [(0,)]
    per_person = read(site.db, "SELECT COUNT(*), COUNT(DISTINCT day) FROM day_results GROUP BY employee_code")
    assert len(per_person) == 200 and len(set(per_person)) == 1 and per_person[0][0] == per_person[0][1] > 400


def long_evaluation(site: Site, tmp_path, people: int, days: int, cards: int) -> None:
    """A card every 0.5 s while ``monitor run`` judges ``people`` × ``days`` from scratch:
    every card is stored, and the first ones were presented mid-evaluation."""
    total = staff(site, people=people, days=days, today=date.today())
    link = tmp_path / "usb-reader"
    site.add_device(f'id = "rfid1"\nprotocol = "rfid"\nport = "{link}"\ncard_format = "decimal"')
    with CardReaderSimulator(link=link, interval=0) as reader:
        collector = site.start("--evaluate-minutes", "600")
        wait_for(lambda: site.status("rfid1") == "online", 30, f"the reader online\n{collector.output()}")
        wait_for(lambda: read(site.db, "SELECT COUNT(*) FROM day_results")[0][0] > 0, 60,
                 f"the evaluation's first batch\n{collector.output()}")
        judged_when = []
        pace = threading.Event()  # never set: the 0.5 s between cards is the scenario's pace
        for n in range(cards):
            judged_when.append(read(site.db, "SELECT COUNT(*) FROM day_results")[0][0])
            reader.card(card_number(n), hold=1)
            pace.wait(0.5)
        wait_for(lambda: read(site.db, "SELECT COUNT(*) FROM punches WHERE device_id = 'rfid1'")[0][0] >= cards, 30,
                 f"every card stored\n{collector.output()}")
        took = collector.terminate()
        assert took < STOP_LIMIT, f"SIGTERM took {took:.2f} s:\n{collector.output()}"
    assert judged_when[0] < total, "the evaluation was over before the first card: make the office bigger"
    stored = sorted(row[0] for row in read(site.db, "SELECT device_user_id FROM punches WHERE device_id = 'rfid1'"))
    assert stored == [card_number(n) for n in range(cards)]
    assert site.status("rfid1") == "offline"  # stopped cleanly, not left "online"


def test_a_long_evaluation_loses_no_card(site: Site, tmp_path) -> None:
    long_evaluation(site, tmp_path, people=300, days=400, cards=12)


@pytest.mark.reliability_long
def test_the_issues_long_evaluation_loses_no_card(site: Site, tmp_path) -> None:
    long_evaluation(site, tmp_path, people=2_000, days=730, cards=188)
