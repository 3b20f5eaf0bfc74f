"""Every injected fault, over every transport: the driver recovers where it can, and
where it cannot it fails whole (no partial download) and leaves the clock enabled."""

from __future__ import annotations

import pytest

from drivers.base import DeviceTimeout, Disconnected, FrameError
from drivers.simulators.zk import Faults
from drivers.zkteco import ZKTimeClock

TRANSPORTS = ["tcp", "udp", "pty"]
CHUNK = {"chunk_size": 1024}  # 120 records x 40 bytes = 5 chunks


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_dropped_chunk_is_asked_for_again(zk_sim, zk_settings, transport) -> None:
    sim = zk_sim(transport, faults=Faults(drop_chunk=2))
    with ZKTimeClock(zk_settings(sim, timeout=0.3, **CHUNK)) as device:
        result = device.fetch()
    assert result.punches == sim.clock.log
    assert sim.clock.faults.hits == {"drop_chunk": 1} and sim.clock.enabled


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_corrupt_chunk_is_a_frame_error_and_is_asked_for_again(zk_sim, zk_settings, transport) -> None:
    sim = zk_sim(transport, faults=Faults(corrupt_chunk=3))
    with ZKTimeClock(zk_settings(sim, **CHUNK)) as device:
        result = device.fetch()
        assert device.link.noise == 1  # the damaged packet was seen, and dropped
    assert result.punches == sim.clock.log
    assert sim.clock.faults.hits == {"corrupt_chunk": 1} and sim.clock.enabled


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_chunk_that_stays_corrupt_fails_the_download_whole(zk_sim, zk_settings, transport) -> None:
    sim = zk_sim(transport, faults=Faults(corrupt_chunk=2, times=3))
    with ZKTimeClock(zk_settings(sim, **CHUNK)) as device:
        with pytest.raises(FrameError, match="asked 3 times"):
            device.fetch()
        assert sim.clock.enabled  # re-enabled despite the error
        assert device.fetch().punches == sim.clock.log  # same connection, the clock behaves now


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_disconnect_mid_transfer_fails_whole_and_the_next_pull_completes(zk_sim, zk_settings, transport) -> None:
    sim = zk_sim(transport, faults=Faults(disconnect_chunk=2))
    settings = zk_settings(sim, timeout=0.5, **CHUNK)
    with ZKTimeClock(settings) as device:
        with pytest.raises(Disconnected):
            device.fetch()
    assert sim.clock.enabled  # the driver reconnected to re-enable it
    with ZKTimeClock(settings) as device:
        assert device.fetch().punches == sim.clock.log


def test_a_slow_clock_is_waited_for(zk_sim, zk_settings) -> None:
    sim = zk_sim("tcp", faults=Faults(slow=0.02), records=30)
    with ZKTimeClock(zk_settings(sim, timeout=0.5)) as device:
        assert device.fetch().punches == sim.clock.log


def test_a_clock_slower_than_the_timeout_is_a_timeout_not_a_hang(zk_sim, zk_settings) -> None:
    sim = zk_sim("tcp", faults=Faults(slow=0.3))
    with pytest.raises(DeviceTimeout, match="no answer to CONNECT .* within 0.1 s"):
        ZKTimeClock(zk_settings(sim, timeout=0.1)).open()
