"""Faithfulness: pyzk, an independent implementation of the ZK protocol, reads the
simulated clock over TCP, and what it reads must be what the simulator generated."""

from __future__ import annotations

import pytest

zk = pytest.importorskip("zk", reason="pyzk is a test dependency (pip install pyzk==0.9)")


def pyzk_client(simulator, comm_key: int = 0, *, udp: bool = False):
    client = zk.ZK(simulator.server.host, port=simulator.server.port, timeout=5, password=comm_key,
                   ommit_ping=True, force_udp=udp)
    # pyzk 0.9 opens a UDP socket in __init__ and replaces it on connect without closing
    # it; close it here so the ResourceWarning does not fail the run
    client._ZK__sock.close()
    return client


def read_with_pyzk(simulator, comm_key: int = 0, *, udp: bool = False):
    connection = pyzk_client(simulator, comm_key, udp=udp).connect()
    try:
        return connection.get_users(), connection.get_attendance(), connection.get_time()
    finally:
        connection.disconnect()


@pytest.mark.parametrize("comm_key", [0, 135790])
@pytest.mark.parametrize("record_size", [8, 16, 40])
def test_pyzk_reads_what_the_simulator_generated(zk_sim, record_size, comm_key) -> None:
    simulator = zk_sim("tcp", record_size=record_size, comm_key=comm_key, users=12, records=2500, seed=11)
    clock = simulator.clock
    users, attendance, device_time = read_with_pyzk(simulator, comm_key)
    assert [(u.uid, u.user_id, u.name, u.privilege, str(u.card) if u.card else None) for u in users] == [
        (u.uid, u.user_id, u.name, u.privilege, u.card) for u in clock.users]
    # pyzk calls the verify mode "status" and the in/out state "punch"
    assert [(a.user_id, a.timestamp, a.status, a.punch) for a in attendance] == [
        (p.user_id, p.timestamp, p.verify_mode, p.state) for p in clock.log]
    assert device_time == clock.time()


def test_pyzk_over_udp(zk_sim) -> None:
    simulator = zk_sim("udp", users=5, records=600, seed=4)
    users, attendance, _time = read_with_pyzk(simulator, udp=True)
    assert [u.user_id for u in users] == [u.user_id for u in simulator.clock.users]
    assert [(a.user_id, a.timestamp) for a in attendance] == [(p.user_id, p.timestamp) for p in simulator.clock.log]


def test_pyzk_sets_the_clock(zk_sim) -> None:
    from datetime import datetime

    simulator = zk_sim("tcp")
    connection = pyzk_client(simulator).connect()
    try:
        connection.set_time(datetime(2027, 1, 2, 3, 4, 5))
    finally:
        connection.disconnect()
    assert simulator.clock.time() == datetime(2027, 1, 2, 3, 4, 5)
