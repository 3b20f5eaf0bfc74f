"""``monitor demo``: a first look with made-up data, end to end.

It builds a made-up provincial office, starts a simulated ZKTeco clock at the gate
(speaking the real protocol over TCP on 127.0.0.1), imports a commune's USB-drive
export as HR would, pulls and judges everything, then runs the collector (``monitor
run``, its own process, with the push receiver) and the web site (``monitor serve``)
until Ctrl+C. A simulated push clock in the lobby calls the receiver and waits for an
administrator to accept it.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import click

from drivers.attlog import PunchFile
from monitor.cli import AppContext, UserError, pass_app
from monitor.config import load_config
from monitor.engine.clock import wall_time
from monitor.imports.directory import (
    check_employees,
    check_enrollments,
    check_units,
    strip_private,
)
from monitor.imports.sample_data import (
    DEMO_UNITS,
    attlog_lines,
    day_punches,
    make_employees,
    workdays,
    write_attlog,
    write_employees_csv,
    write_units_csv,
)

GATE, COMMUNE = "cong-chinh", "xa-an-binh"
LOBBY_SN, LOBBY, LOBBY_USERS = "DEMO7230100001", "sanh", 8
COMMUNE_UNIT = "XA-AN"

DEMO_CONFIG = """# Demo configuration written by 'monitor demo' (a made-up office, a simulated clock).
[site]
name = "UBND tỉnh (mẫu) — demo"
timezone = "Asia/Ho_Chi_Minh"

[storage]
database = "attendance.db"

[web]
host = "127.0.0.1"
port = {web_port}

# The gate clock is simulated by 'monitor demo' (the real ZKTeco protocol over TCP).
[[devices]]
id = "{gate}"
name = "Máy chấm công cổng chính (mô phỏng)"
protocol = "zkteco"
port = "tcp://127.0.0.1:{clock_port}"
unit = "UBND"
poll_seconds = 60

# A push clock in the lobby calls this receiver ('monitor run' starts it); it waits for
# approval on the devices page.
[push]
host = "127.0.0.1"
port = {push_port}
delay = 10
error_delay = 10

# Office hours: summer and winter, five minutes' grace (made-up, like every value here).
[schedules.default]
grace_in_minutes = 5
grace_out_minutes = 5
periods = [
  {{ from = "04-15", to = "10-14", sessions = [["07:00", "11:30"], ["13:30", "17:00"]] }},
  {{ from = "10-15", to = "04-14", sessions = [["07:30", "11:30"], ["13:30", "17:00"]] }},
]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _month_so_far(today: date) -> tuple[date, date]:
    """From the first of the previous month to yesterday: enough history for reports."""
    first_this = today.replace(day=1)
    return (first_this - timedelta(days=1)).replace(day=1), today - timedelta(days=1)


def gate_history(pins: list[str], start: date, end: date, now: datetime, seed: int = 5) -> list[tuple[datetime, str, int]]:
    """What the gate clock holds: realistic days up to yesterday, and this morning so far."""
    rng = random.Random(seed)
    records = []
    for day in [*workdays(start, end), now.date()]:
        for pin in pins:
            for moment, state in day_punches(rng, day):
                if moment <= now:
                    records.append((moment, pin, state))
    records.sort()
    return records


@click.command()
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("demo"), show_default=True,
              help="Folder for the demo config, database and generated files.")
@click.option("--employees", "employee_count", default=60, show_default=True, help="How many made-up employees.")
@click.option("--port", "web_port", type=int, default=8080, show_default=True, help="Port of the web site.")
@click.option("--no-serve", is_flag=True, help="Build, pull and judge, print what was stored, and exit.")
@pass_app
def demo(app: AppContext, folder: Path, employee_count: int, web_port: int, no_serve: bool) -> None:
    """A demo office with made-up Vietnamese units and staff, a simulated time clock,
    the collector and the web site (Ctrl+C stops). Starts afresh each time."""
    from drivers.simulators.zk import VirtualClock, ZKSimulator
    from monitor.service.collector import Collector
    from monitor.service.evaluation import Evaluation

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    now = wall_time(app.now()).replace(microsecond=0)
    start, end = _month_so_far(now.date())
    people = make_employees(employee_count, [code for code, _, parent in DEMO_UNITS if parent])
    at_gate = [p for p in people if p.unit_code != COMMUNE_UNIT]
    in_commune = [p for p in people if p.unit_code == COMMUNE_UNIT]
    gate_pins = {person.code: str(1000 + number) for number, person in enumerate(at_gate, start=1)}

    clock = VirtualClock(users=len(at_gate), records=0, seed=3, now=lambda: wall_time(app.now()))
    loaded = clock.load(gate_history(list(gate_pins.values()), start, end, now))
    simulator = ZKSimulator(clock, transport="tcp").start()
    try:
        clock_port = int(simulator.url.rsplit(":", 1)[1])
        config_path = folder / "config.toml"
        config_path.write_text(DEMO_CONFIG.format(web_port=web_port, clock_port=clock_port, gate=GATE,
                                                  push_port=free_port()), encoding="utf-8")
        app.config_path = config_path
        app.__dict__.pop("config", None)  # the demo has its own config
        config = load_config(config_path)
        click.secho(f"== Demo office in {folder}/ — every name and number is made up", bold=True)
        click.echo(f"Simulated ZKTeco clock '{GATE}' on {simulator.url}: {loaded} punches since {start:%d/%m/%Y}.")

        with app.store(create=True) as store:
            password = secrets.token_urlsafe(9)
            (folder / "admin-password.txt").write_text(password + "\n", encoding="utf-8")
            store.add_user("admin", password, role="admin", actor="demo")

            units_csv, employees_csv = folder / "units.csv", folder / "employees.csv"
            write_units_csv(units_csv)
            write_employees_csv(employees_csv, people)
            store.upsert_units(strip_private(check_units(units_csv, set()).records), actor="demo", reason="demo data")
            staff = check_employees(employees_csv, {u["code"] for u in store.units()})
            store.upsert_employees(strip_private(staff.records), actor="demo", reason="demo data")
            click.echo(f"HR imported {units_csv.name} ({len(DEMO_UNITS)} units) and {employees_csv.name} ({len(people)} staff).")
            store.add_user("truong-snv", password, role="manager", units=["SNV"], full_name="Trưởng phòng (mẫu)", actor="demo")

            enrollments = folder / "enrollments.csv"
            _write_enrollments(enrollments, gate_pins, in_commune)
            checked = check_enrollments(enrollments, {e["code"] for e in store.employees()})
            store.upsert_enrollments(strip_private(checked.records), actor="demo", reason="demo data")

            export = folder / "1_attlog.dat"
            lines = write_attlog(export, attlog_lines(in_commune, start, end))
            store.ensure_device(COMMUNE, name="Máy chấm công UBND xã An Bình (tệp USB)", protocol="zkteco", unit_code=COMMUNE_UNIT)
            added = store.add_punches(COMMUNE, (punch for _, punch in PunchFile(export)), source="file")
            click.echo(f"HR imported the commune clock's USB export {export.name}: {added.new} of {lines} punches new.")

        collector = Collector(config, now=app.now, actor="demo")
        collector.run_once()
        with app.store() as store:
            row = store.device_row(GATE)
            click.echo(f"The collector pulled '{GATE}': {store.device_activity(GATE, start.isoformat())['since']} punches, "
                       f"status {row['status']}, clock offset {row['clock_offset_seconds']:+.0f} s.")
            summary = Evaluation(store, config.policy, app.now()).run()
            click.echo(f"Judged {summary.judged} employee-days.")
            _staff_explains(store, config, app.now(), password)
            _print_today(store, app.now().date())
            report = store.verify_chain()
            click.echo(f"Punch log hash chain: {'intact' if report.ok else 'BROKEN'} over {report.rows} punches.")
        lobby = _lobby_clock(app, config)
        click.echo(f"A push clock (SN {LOBBY_SN}) called the receiver and waits for approval with "
                   f"{lobby.device.next_seq - 1} punches held: accept it on the devices page, or with\n"
                   f"  monitor --config {config_path} devices accept {LOBBY_SN} --id {LOBBY} --unit UBND")

        if no_serve:
            click.echo(f"\nTry: monitor --config {config_path} report day --date {end.isoformat()}")
            return
        _serve(app, config_path, config, folder, password, lobby)
    finally:
        simulator.stop()


def _lobby_clock(app: AppContext, config):
    """The lobby's push clock: it calls a receiver on the demo database and uploads its
    history, which is held until an administrator accepts the clock."""
    from drivers.simulators.adms import PushClock, PushDevice
    from monitor.service.push_receiver import ReceiverServer

    device = PushDevice(LOBBY_SN, users=LOBBY_USERS, records=LOBBY_USERS * 20, seed=11,
                        now=lambda: wall_time(app.now()))
    receiver = ReceiverServer(config, now=app.clock).start()
    try:
        clock = PushClock(receiver.url, device, timeout=10.0)
        clock.init()
        clock.heartbeat()
        clock.upload_pending()
    finally:
        receiver.stop()
    return clock


def _staff_explains(store, config, now: datetime, password: str) -> None:
    """HR's account, and a staff member of SNV who explains their latest violation (a
    lateness, an absence, ...) on the site: the request waits in truong-snv's inbox, so the
    whole workflow can be tried."""
    from monitor.service.requests import Actor, Draft, RequestDesk, stored_violations

    store.add_user("nhansu", password, role="hr", full_name="Phòng Tổ chức cán bộ (mẫu)", actor="demo")
    desk = RequestDesk(store, config.policy, config.requests, now)
    recent = store.day_results_between(now.date() - timedelta(days=14), now.date() - timedelta(days=1), unit_codes=["SNV"])
    explainable = [(date.fromisoformat(row["day"]), store.employee(row["employee_code"]), stored_violations(row)[0])
                   for row in recent if stored_violations(row) and not row.get("provisional")]
    explainable = sorted((found for found in explainable if desk.deadline_for(found[1], found[0]) >= now.date()),
                         key=lambda found: found[0], reverse=True)
    person = explainable[0][1] if explainable else store.employees(["SNV"], active_only=True)[0]
    store.add_user("nhanvien", password, role="staff", employee_code=person["code"], full_name=person["full_name"],
                   actor="demo")
    if not explainable:
        click.echo(f"{person['full_name']} (nhanvien) has nothing to explain within the deadline this time.")
        return
    day, _person, violation = explainable[0]
    request_id = desk.file(Actor("nhanvien", "staff", employee_code=person["code"]),
                           Draft(person["code"], "explanation", day, "Họp giao ban tại Sở (mẫu)", violation=violation,
                                 category="hop"))
    click.echo(f"{person['full_name']} (nhanvien) explained {violation} on {day:%d/%m/%Y}: request #{request_id}"
               " waits for truong-snv.")


def _write_enrollments(path: Path, gate_pins: dict[str, str], in_commune) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["device_id", "device_user_id", "employee_code"])
        for code, pin in gate_pins.items():
            writer.writerow([GATE, pin, code])
        for code, pin in list(gate_pins.items())[:LOBBY_USERS]:  # the lobby clock's users, ready for its acceptance
            writer.writerow([LOBBY, pin, code])
        for person in in_commune[:-1]:  # the last one is not enrolled yet: their punches wait as unknown
            writer.writerow([COMMUNE, person.pin, person.code])


def _print_today(store, today: date) -> None:
    from monitor.reports.attendance import day_report

    yesterday = today - timedelta(days=1)
    while yesterday.weekday() >= 5:
        yesterday -= timedelta(days=1)
    rows = day_report(store, yesterday)
    late = [r for r in rows if r["late_minutes"]]
    absent = [r for r in rows if r["status"] == "absent"]
    click.echo(f"On {yesterday:%d/%m/%Y}: {len(late)} late, {len(absent)} absent without leave, of {len(rows)} staff.")
    for row in late[:3]:
        click.echo(f"  {row['name']} ({row['unit']}) arrived {row['arrival']}, {row['late_minutes']} min late")


def _serve(app: AppContext, config_path: Path, config, folder: Path, password: str, lobby) -> None:
    """The collector in its own process, the web site in this one, until Ctrl+C."""
    from waitress import serve

    from web import create_app

    with socket.socket() as probe:
        try:
            probe.bind((config.web.host, config.web.port))
        except OSError:
            raise UserError(f"port {config.web.port} is in use: run the demo with --port PORT") from None
    env = dict(os.environ)
    collector = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config_path), "run"], env=env)
    url = f"http://{config.web.host}:{config.web.port}/"
    click.secho(f"\nOpen {url}", bold=True)
    click.echo(f"  admin / {password}      (everything)")
    click.echo(f"  truong-snv / {password} (a manager: Sở Nội vụ only; a request waits in the inbox)")
    click.echo(f"  nhansu / {password}     (HR: every unit, the month close and the timesheets)")
    click.echo(f"  nhanvien / {password}   (staff of Sở Nội vụ: their own days and requests)")
    click.echo(f"  (the password is also in {folder}/admin-password.txt; Ctrl+C stops the demo)")
    import threading

    from drivers.simulators.adms import PushClock
    from drivers.simulators.adms import run as run_push_clock

    # the lobby clock goes on calling the collector's receiver: a punch every few minutes
    receiver_url = f"http://{config.push.host}:{config.push.port}"
    stop_lobby = threading.Event()
    lobby_thread = threading.Thread(target=run_push_clock, args=(receiver_url, LOBBY_SN, stop_lobby),
                                    kwargs={"clock": PushClock(receiver_url, lobby.device), "punch_every": 180.0},
                                    daemon=True)
    lobby_thread.start()
    try:
        serve(create_app(config, now=app.clock), host=config.web.host, port=config.web.port, threads=config.web.threads)
    except KeyboardInterrupt:
        pass
    finally:
        stop_lobby.set()
        lobby_thread.join(10)
        collector.terminate()
        try:
            collector.wait(timeout=10)
        except subprocess.TimeoutExpired:
            collector.kill()


def register(cli: click.Group) -> None:
    cli.add_command(demo)
