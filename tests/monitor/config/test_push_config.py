"""The [push] section: defaults, per-device firmware settings, every error with its line."""

from __future__ import annotations

import pytest

from monitor.config import parse_config
from monitor.errors import ConfigError


def test_no_section_means_no_receiver() -> None:
    assert parse_config("").push.enabled is False


def test_a_section_turns_the_receiver_on_with_per_device_settings() -> None:
    push = parse_config(
        '[push]\nport = 8090\nline_ending = "crlf"\n\n[push.devices.sanh]\ntimezone_format = "minutes"\n'
        'states = "legacy"\nverify_modes = { 128 = 1, 129 = 15 }\nmax_clock_offset_seconds = 30\n'
    ).push
    assert (push.enabled, push.port, push.defaults.line_ending) == (True, 8090, "crlf")
    assert push.upload_workers == 1  # one process stores the uploads unless told otherwise
    sanh = push.settings("sanh")
    assert (sanh.timezone_format, sanh.states, sanh.line_ending) == ("minutes", "legacy", "crlf")
    assert sanh.verify_modes == {128: 1, 129: 15} and sanh.clock_suspect(31) and not sanh.clock_suspect(30)
    assert push.settings("other") is push.defaults


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("[push]\nport = 0\n", "config.toml:2: push.port: 0 is not a TCP port (1-65535)", id="port"),
        pytest.param('[push]\ntimezone_format = "hhmm"\n',
                     "config.toml:2: push.timezone_format: 'hhmm' is not one of hh:mm, hours, minutes; did you mean 'hh:mm'?",
                     id="timezone-format"),
        pytest.param('[push]\n\n[push.devices.sanh]\nline_endings = "crlf"\n',
                     "config.toml:4: push.devices.sanh.line_endings: unknown key; did you mean 'line_ending'?", id="device-key"),
        pytest.param("[push]\nupload_workers = 9\n", "config.toml:2: push.upload_workers: 9 must be 0-8", id="workers"),
        pytest.param("[push]\nupload_workers = -1\n", "config.toml:2: push.upload_workers: -1 must be 0-8", id="workers-negative"),
        pytest.param("[push]\nmax_body_bytes = 99999999\n", "config.toml:2: push.max_body_bytes: 99999999 must be 1-2097152",
                     id="body-cap"),
        pytest.param('[push.devices.sanh]\nverify_modes = { face = 1 }\n',
                     "config.toml:2: push.devices.sanh.verify_modes: face = 1: write device code = our code, e.g. 128 = 1",
                     id="verify-map"),
    ],
)
def test_errors_name_the_key_and_line(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    assert caught.value.problems == [problem]


def test_every_key_is_documented_in_the_example() -> None:
    from pathlib import Path

    from monitor.config import load_config
    from monitor.config.push import DEVICE_KEYS, PUSH_KEYS

    example = Path(__file__).resolve().parents[3] / "config.example.toml"
    text = example.read_text(encoding="utf-8")
    section = text[text.index("\n[push]\n"):]
    for key in sorted((PUSH_KEYS | DEVICE_KEYS) - {"devices"}):
        assert f"\n{key} = " in section or f"\n# {key} = " in section, f"{key} is not documented in config.example.toml"
    assert "[push.devices." in section
    assert load_config(example).push.enabled is False  # copying the example opens no port
