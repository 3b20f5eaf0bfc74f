"""Config parsing: defaults, every problem reported at once, messages word for word."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_config, parse_config
from monitor.errors import ConfigError

BAD_CONFIGS = [
    pytest.param(
        '[site]\nname = "x\n',
        ["config.toml:2:10: invalid TOML: Illegal character '\\n'"],
        id="toml-syntax-error-has-line-and-column",
    ),
    pytest.param(
        '[site]\nnmae = "Sở Nội vụ"\n',
        ["config.toml:2: site.nmae: unknown key; did you mean 'name'?"],
        id="unknown-key-did-you-mean",
    ),
    pytest.param(
        '[sites]\nname = "x"\n',
        ["config.toml:1: sites: unknown key; did you mean 'site'?"],
        id="unknown-section-did-you-mean",
    ),
    pytest.param(
        '[site]\ntimezone = "Asia/Hanoi"\n',
        ["config.toml:2: site.timezone: unknown time zone 'Asia/Hanoi' (use an IANA name such as 'Asia/Ho_Chi_Minh')"],
        id="unknown-time-zone",
    ),
    pytest.param(
        "[storage]\ndatabase = 5\n",
        ["config.toml:2: storage.database: must be a string, not an integer 5"],
        id="wrong-type",
    ),
    pytest.param(
        'site = "x"\n',
        ["config.toml:1: site: must be a table, not a string"],
        id="section-not-a-table",
    ),
    pytest.param(
        '[site]\nname = true\ntimezone = "Mars/Base"\n[storage]\ndatabse = "a.db"\n',
        [
            "config.toml:2: site.name: must be a string, not a boolean True",
            "config.toml:3: site.timezone: unknown time zone 'Mars/Base' (use an IANA name such as 'Asia/Ho_Chi_Minh')",
            "config.toml:5: storage.databse: unknown key; did you mean 'database'?",
        ],
        id="every-problem-at-once",
    ),
    pytest.param(
        "[web]\nexport_workers = 0\nexport_queue = -1\ntrusted_proxies = 9\n",
        [
            "config.toml:2: web.export_workers: 0 export workers: give 1 to 16, at most the cores the pages can spare"
            " (1 on 2 cores)",
            "config.toml:3: web.export_queue: -1 queued exports: give 0 (busy at once when the workers are taken) to 100",
            "config.toml:4: web.trusted_proxies: 9 proxies: give 0 (the site is reached directly) or the number of"
            " reverse proxies in front (1 for one nginx or IIS), at most 5",
        ],
        id="export-pool-and-proxies-out-of-range",
    ),
    pytest.param(
        '[web]\nexport_workers = "2"\n',
        ['config.toml:2: web.export_workers: must be an integer, not a string \'2\''],
        id="export-workers-not-a-number",
    ),
]


@pytest.mark.parametrize(("text", "problems"), BAD_CONFIGS)
def test_bad_config_messages(text: str, problems: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "config.toml")
    assert caught.value.problems == problems


def test_defaults_without_sections(tmp_path: Path) -> None:
    config = parse_config("", "config.toml", base=tmp_path)
    assert config.site.timezone == "Asia/Ho_Chi_Minh"
    assert config.storage.database == tmp_path / "attendance.db"
    assert config.devices == ()
    assert (config.web.export_workers, config.web.export_queue, config.web.trusted_proxies) == (1, 2, 0)


def test_database_is_relative_to_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONITOR_DATABASE", raising=False)
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "config.toml").write_text('[storage]\ndatabase = "data/cham-cong.db"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = load_config(folder / "config.toml")
    assert config.storage.database == (folder / "data" / "cham-cong.db").resolve()


def test_environment_overrides_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[storage]\ndatabase = "a.db"\n', encoding="utf-8")
    monkeypatch.setenv("MONITOR_DATABASE", str(tmp_path / "other.db"))
    assert load_config(path).storage.database == tmp_path / "other.db"


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")


def test_config_with_bom_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONITOR_DATABASE", raising=False)
    path = tmp_path / "config.toml"
    path.write_bytes('\ufeff[site]\nname = "UBND xã An Bình"\n'.encode("utf-8"))
    assert load_config(path).site.name == "UBND xã An Bình"


def test_config_check_lists_every_problem(run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[site]\nnmae = "x"\ntimezone = "Nowhere/City"\n', encoding="utf-8")
    result = run("config", "check", bad)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{bad}:2: site.nmae: unknown key; did you mean 'name'?",
        f"{bad}:3: site.timezone: unknown time zone 'Nowhere/City' (use an IANA name such as 'Asia/Ho_Chi_Minh')",
        f"{bad}: 2 problems.",
    ]


def test_config_check_ok(run, config_file: Path) -> None:
    result = run("config", "check", config_file)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{config_file}: OK (0 device(s)")


def test_commands_show_a_config_error_as_one_line(run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[site\n", encoding="utf-8")
    result = run("verify", config=bad)
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith(f"Error: {bad}:1:")
    assert "Traceback" not in result.output


def test_the_example_config_is_valid_and_documents_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONITOR_DATABASE", raising=False)
    example = Path(__file__).resolve().parents[3] / "config.example.toml"
    config = load_config(example)
    assert [d.id for d in config.devices] == ["cong-chinh"]
    text = example.read_text(encoding="utf-8")
    from monitor.config.core import DEVICE_KEYS, SITE_KEYS, STORAGE_KEYS, WEB_KEYS

    for key in SITE_KEYS | STORAGE_KEYS | DEVICE_KEYS | WEB_KEYS:
        if key == "url":  # the same as port under another name; documented in its comment
            assert "url" in text
            continue
        assert f"\n{key} = " in text or f"\n# {key} = " in text, f"{key} is not documented in config.example.toml"
