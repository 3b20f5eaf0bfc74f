"""``monitor simulate``: virtual time clocks for rehearsals, demos and tests.

Each protocol adds its own subcommand to the :data:`simulate` group.
"""

from __future__ import annotations

import signal
import sys
import threading

import click

from monitor.cli import AppContext, UserError, pass_app
from monitor.service.ingest import local_naive


@click.group()
def simulate() -> None:
    """Serve a virtual time clock that speaks a real protocol (for rehearsals and demos)."""


def _address(value: str, option: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise click.BadParameter(f"write HOST:PORT, e.g. 127.0.0.1:4370 (got {value!r})", param_hint=option)
    return host or "127.0.0.1", int(port)


@simulate.command("zk")
@click.option("--tcp", "tcp_address", metavar="HOST:PORT", help="Serve over TCP (the 50 50 82 7D framing).")
@click.option("--udp", "udp_address", metavar="HOST:PORT", help="Serve over UDP (bare packets).")
@click.option("--pty", "use_pty", is_flag=True, help="Serve on a new pseudo-terminal, as a serial clock; prints its path.")
@click.option("--link", type=click.Path(dir_okay=False), help="With --pty: also make this symlink to it (a stable port name).")
@click.option("--framing", type=click.Choice(["tcp", "bare"]), default="tcp", show_default=True,
              help="With --pty: the serial framing (UNCONFIRMED; see docs/zkteco.md).")
@click.option("--users", "user_count", type=click.IntRange(0, 65000), default=20, show_default=True, help="Users to generate.")
@click.option("--records", "record_count", type=click.IntRange(0), default=1000, show_default=True, help="Attendance records to generate.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same users and records.")
@click.option("--clock-offset", type=float, default=0.0, show_default=True, help="Seconds the device clock is ahead (negative: behind).")
@click.option("--comm-key", type=click.IntRange(0), default=0, show_default=True, help="Comm key the host must give (0: none).")
@click.option("--record-size", type=click.Choice(["8", "16", "40"]), default="40", show_default=True,
              help="Attendance record layout (8 and 16 come with 28-byte users, 40 with 72-byte users).")
@click.option("--drop-chunk", type=click.IntRange(1), metavar="N", help="Fault: leave chunk N of an attendance download unanswered the first time.")
@click.option("--corrupt-chunk", type=click.IntRange(1), metavar="N", help="Fault: damage a byte of chunk N the first time it is sent.")
@click.option("--disconnect-at-chunk", type=click.IntRange(1), metavar="N", help="Fault: cut the connection when chunk N is first asked for.")
@click.option("--slow", type=click.FloatRange(0), default=0.0, metavar="SECONDS", help="Fault: wait this long before every answer.")
@click.option("--cleared-log", is_flag=True, help="Fault: clear the log after the first complete download (as someone at the keypad would).")
@pass_app
def simulate_zk(app: AppContext, tcp_address, udp_address, use_pty, link, framing, user_count, record_count, seed,
                clock_offset, comm_key, record_size, drop_chunk, corrupt_chunk, disconnect_at_chunk, slow, cleared_log) -> None:
    """A virtual ZKTeco clock. Type 'punch USERID [STATE]' to punch, 'clear' to clear its log, 'quit' to stop."""
    from drivers.simulators.zk import Faults, VirtualClock, ZKSimulator

    chosen = [name for name, value in (("--tcp", tcp_address), ("--udp", udp_address), ("--pty", use_pty)) if value]
    if len(chosen) != 1:
        raise click.UsageError("choose exactly one of --tcp HOST:PORT, --udp HOST:PORT or --pty")
    if link and not use_pty:
        raise click.UsageError("--link goes with --pty")
    faults = Faults(drop_chunk=drop_chunk, corrupt_chunk=corrupt_chunk, disconnect_chunk=disconnect_at_chunk,
                    slow=slow, cleared_log=cleared_log)
    clock = VirtualClock(users=user_count, records=record_count, seed=seed, clock_offset=clock_offset,
                         comm_key=comm_key, record_size=int(record_size), faults=faults, now=local_naive(app.now))
    if tcp_address or udp_address:
        transport = "tcp" if tcp_address else "udp"
        host, port = _address(tcp_address or udp_address, chosen[0])
    else:
        transport, host, port = "pty", "127.0.0.1", 0
    try:
        simulator = ZKSimulator(clock, transport=transport, host=host, port=port, link=link, framing=framing)
    except ImportError:
        raise UserError("--pty needs a POSIX system (Linux, macOS); on Windows use --tcp or --udp") from None
    except OSError as exc:
        raise UserError(f"cannot serve on {chosen[0]} {tcp_address or udp_address or link or ''}: {exc.strerror or exc}") from None
    # a service manager stops us with SIGTERM: leave through the same clean-up as Ctrl-C
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with simulator:
            _announce(simulator, clock, record_size, comm_key, use_pty, framing)
            _console(clock)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _announce(simulator, clock, record_size: str, comm_key: int, use_pty: bool, framing: str) -> None:
    click.echo(f"Simulated ZK clock at {simulator.url}  ({record_size}-byte records, {len(clock.users)} users, "
               f"{len(clock.log)} records, clock {clock.time():%Y-%m-%d %H:%M:%S}"
               f"{', comm key set' if comm_key else ''})")
    if use_pty:
        click.echo(f"Configure: port = \"{simulator.url}\"  (serial framing {framing!r})")
    click.echo("Type 'punch USERID [STATE]', 'clear' or 'quit'. Ctrl-C stops.")


def _console(clock) -> None:
    """Read commands from stdin until 'quit'; at end of input keep serving until Ctrl-C."""
    known = {user.user_id for user in clock.users}
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        command = words[0].lower()
        if command in ("quit", "exit"):
            return
        if command == "clear":
            clock.clear_log()
            click.echo("log cleared")
        elif command == "punch" and len(words) in (2, 3):
            user_id = words[1]
            if clock.record_size == 16 and not user_id.isdigit():
                click.echo("this clock's records hold numeric user ids only")
                continue
            if not user_id.isascii() or len(user_id) > 24:
                click.echo("a user id is at most 24 ASCII characters")
                continue
            state = int(words[2]) if len(words) == 3 and words[2].isdigit() else 0
            punch = clock.punch(user_id, state=state)
            if punch is None:
                click.echo("the clock is disabled (a download is running); punch refused")
            else:
                note = "" if user_id in known else " (not a user of this clock)"
                click.echo(f"punch {user_id} at {punch.timestamp:%Y-%m-%d %H:%M:%S} state {state}{note}; "
                           f"{len(clock.listeners)} listener(s) told")
        else:
            click.echo("commands: punch USERID [STATE] | clear | quit")
    threading.Event().wait()  # stdin closed (running as a service): serve until interrupted


def register(cli: click.Group) -> None:
    cli.add_command(simulate)
