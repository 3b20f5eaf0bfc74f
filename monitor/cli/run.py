"""``monitor run``: the collector process."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

import click

from monitor.cli import AppContext, pass_app

STOP_SECONDS = 4.0  # SIGTERM is honoured within 5 s, whatever is running


@click.command()
@click.option("--once", is_flag=True, help="Pull every device once, judge, carry out queued requests, and exit.")
@click.option("--evaluate-minutes", default=5, show_default=True, help="How often new and changed days are judged.")
@click.option("-v", "--verbose", is_flag=True, help="Log every pull, not only problems.")
@pass_app
def run(app: AppContext, once: bool, evaluate_minutes: int, verbose: bool) -> None:
    """Collect punches: pull clocks that keep a log every poll_seconds, listen to
    readers that do not, receive clocks that push (when [push] is configured), judge
    new and changed days, and carry out device requests made on the web site. Runs
    until stopped (Ctrl+C or SIGTERM)."""
    from apscheduler.schedulers import SchedulerNotRunningError
    from apscheduler.schedulers.blocking import BlockingScheduler

    from monitor.service.collector import Collector, schedule

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    config = app.config
    with app.store() as store:  # fail now, with the fix, if the database is missing or damaged
        store.quick_check()
    collector = Collector(config, now=app.now, actor="collector")
    collector.evaluate = _evaluator(app, collector.stopping)
    for device, why in collector.plan.skipped:
        click.echo(f"{device.id}: not collected ({why})", err=True)
    collector.release_clocks()  # a collector killed mid-download left them locked
    if once:
        collector.run_once()
        click.echo(f"Pulled {len(collector.plan.pulled)} device(s); {len(collector.plan.live)} live reader(s) need 'monitor run' without --once.")
        return
    scheduler = BlockingScheduler(timezone=config.site.zone)
    schedule(collector, scheduler, evaluate_minutes=evaluate_minutes)

    ended = threading.Event()

    def stop(_signum: int, _frame: object) -> None:
        # only an event: a handler runs inside whatever the main thread was doing, and
        # shutting the scheduler down there hung for good when that was the scheduler
        # starting a job's thread (its executor's lock, held by the interrupted frame)
        collector.stopping.set()  # the evaluation ends after its current batch

    def shut_down_when_stopping() -> None:
        collector.stopping.wait()
        while not ended.is_set():
            if scheduler.running:
                try:
                    scheduler.shutdown(wait=False)
                except SchedulerNotRunningError:
                    pass  # it stopped meanwhile
                return
            ended.wait(0.05)  # asked to stop while it was still starting

    threading.Thread(target=shut_down_when_stopping, name="stop-on-sigterm", daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    receiver = _start_receiver(app)
    collector.start_live()
    click.echo(
        f"Collecting from {len(collector.plan.pulled)} clock(s) and {len(collector.plan.live)} live reader(s) "
        f"into {config.storage.database} (Ctrl+C stops).",
        err=True,
    )
    try:
        if not collector.stopping.is_set():
            scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        collector.stopping.set()
    finally:
        ended.set()
        collector.stop_live()
        if receiver is not None:
            receiver.stop()
    if not collector.wait_idle(STOP_SECONDS):
        # a download still running: everything committed is safe and the cursor was not
        # moved, so the next start downloads it again; waiting longer would break the
        # promise to stop within 5 s
        click.echo("Stopped with a job still running; it is picked up at the next start.", err=True)
        sys.stdout.flush()
        os._exit(0)


def _start_receiver(app: AppContext):
    """The push receiver beside the collector, when [push] is configured."""
    if not app.config.push.enabled:
        return None
    from monitor.service.push_receiver import ReceiverServer

    receiver = ReceiverServer(app.config, now=app.clock).start()
    click.echo(f"Receiving push clocks on {receiver.url}/iclock/", err=True)
    return receiver


def _evaluator(app: AppContext, stopping: threading.Event):
    """The judging step: every new or changed employee-day, with the config's policy;
    it ends after the current batch once ``stopping`` is set."""
    from monitor.service.evaluation import Evaluation

    policy = app.config.policy

    def judge(store) -> None:
        summary = Evaluation(store, policy, app.now()).run(stop=stopping.is_set)
        for warning in summary.warnings:
            logging.getLogger("monitor.service.collector").warning("%s", warning)
        logging.getLogger("monitor.service.collector").info("judged %d employee-days", summary.judged)

    return judge


def register(cli: click.Group) -> None:
    cli.add_command(run)
