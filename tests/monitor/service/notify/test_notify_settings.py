"""Settings: the [notify] section's checks, e-mail addresses from the CLI and the
employee import, opt-outs; every bad value is one clear line."""

from __future__ import annotations

import pytest

from monitor.config import parse_config
from monitor.errors import ConfigError
from monitor.store import Store
from tests.conftest import ZONE


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[notify.smtp]\nhost = "mail"\nsender = "a@b.vn"\npassword = "x"\n',
         "notify.smtp.password: unknown key; did you mean 'password_env'?"),
        ('[notify.smtp]\nhost = "mail"\nsender = "a@b.vn"\nusername = "u"\n',
         "notify.smtp.username: needs password_env (an environment variable) or password_file"),
        ('[notify.smtp]\nhost = "mail"\nsender = "a@b.vn"\nsecurity = "tls"\n',
         "notify.smtp.security: 'tls' is not one of starttls, ssl, none"),
        ('[notify.smtp]\nhost = "mail"\nsender = "Chấm công"\n', "notify.smtp.sender: 'Chấm công' has no e-mail address"),
        ('[notify.alerts]\nto = ["it-at-ubnd"]\n', "notify.alerts.to[0]: 'it-at-ubnd' is not an e-mail address"),
        ('[[notify.webhooks]]\nurl = "https://bridge.vn/hook"\n', "notify.webhooks[0]: give secret_env or secret_file"),
        ('[[notify.webhooks]]\nurl = "ftp://x"\nsecret_env = "S"\n', "notify.webhooks[0].url: 'ftp://x' must start with https://"),
        ('[notify.digest.units.SNV]\nminutes_after_start = -5\n', "notify.digest.units.SNV.minutes_after_start: -5 must not be negative"),
    ],
    ids=["a password in the file", "a login without a password", "unknown security", "a sender without address",
         "a bad alert address", "a webhook without a key", "a webhook URL", "a negative delay"],
)
def test_config_problems_are_one_line_each(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "config.toml")
    assert len(caught.value.problems) == 1
    assert problem in caught.value.problems[0] and caught.value.problems[0].startswith("config.toml:")


def test_a_full_section_parses() -> None:
    config = parse_config(
        '[notify]\nlanguage = "en"\n[notify.smtp]\nhost = "mail.snv.gov.vn"\nsecurity = "ssl"\nusername = "cc"\n'
        'password_env = "PW"\nsender = "Chấm công <cc@snv.gov.vn>"\n[notify.digest]\nafternoon = true\n'
        '[notify.digest.units.SNV]\nminutes_after_start = 30\n',
        "config.toml",
    )
    notify = config.notify
    assert (notify.enabled, notify.language, notify.smtp.port, notify.afternoon) == (True, "en", 465, True)
    assert notify.units["SNV"].minutes_after_start == 30
    assert parse_config("", "config.toml").notify.enabled is False


def test_users_add_and_set_email_language_and_opt_outs(run, initialized, tmp_path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("mat-khau-dai-du\n", encoding="utf-8")
    with Store(initialized, zone=ZONE) as store:
        store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ"}], actor="t")
    result = run("users", "add", "hung", "--role", "manager", "--unit", "SNV", "--email", "hung@snv.gov.vn",
                 "--password-file", secret)
    assert result.exit_code == 0, result.output
    result = run("users", "set", "hung", "--language", "en", "--opt-out", "weekly", "--opt-out", "digest_afternoon")
    assert result.output == "hung: e-mail hung@snv.gov.vn, language en, stopped: digest_afternoon, weekly\n"
    result = run("users", "set", "hung", "--opt-in", "weekly", "--email", "hung2@snv.gov.vn")
    assert result.output == "hung: e-mail hung2@snv.gov.vn, language en, stopped: digest_afternoon\n"
    with Store(initialized, zone=ZONE) as store:
        entry = store.audit_log("user", "hung")[0]
    assert (entry["actor"], entry["before"], entry["after"]) == (
        "tester", '{"email": "hung@snv.gov.vn", "notify_opt_out": "[\\"digest_afternoon\\", \\"weekly\\"]"}',
        '{"email": "hung2@snv.gov.vn", "notify_opt_out": "[\\"digest_afternoon\\"]"}')


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("users", "set", "hung", "--email", "hung at snv"),
         "Error: user hung: 'hung at snv' is not an e-mail address (write it like ten@donvi.gov.vn)\n"),
        (("users", "set", "nobody", "--email", "a@b.vn"), "Error: no user 'nobody' (list them with 'monitor users list')\n"),
        (("users", "add", "x", "--role", "admin", "--email", "x@"),
         "Error: --email: 'x@' is not an e-mail address (write it like ten@donvi.gov.vn)\n"),
    ],
    ids=["bad address", "unknown user", "bad address on add"],
)
def test_bad_addresses_are_one_line(run, initialized, args, message) -> None:
    with Store(initialized, zone=ZONE) as store:
        store.add_user("hung", "mat-khau-dai-du", role="admin", actor="t")
    result = run(*args)
    assert (result.exit_code, result.output) == (2, message)


def test_the_employee_import_takes_an_email_column(run, initialized, tmp_path) -> None:
    with Store(initialized, zone=ZONE) as store:
        store.upsert_units([{"code": "SNV", "name": "Sở Nội vụ"}], actor="t")
    path = tmp_path / "nv.csv"
    path.write_text("Mã nhân viên,Họ và tên,Đơn vị,Thư điện tử\nNV1,Nguyễn Thị Lan,SNV,lan@snv.gov.vn\nNV2,Trần Bình,SNV,\n"
                    "NV3,Lê Tâm,SNV,tam-at-snv\n", encoding="utf-8")
    result = run("import", "employees", path)
    assert result.exit_code == 2
    assert "nv.csv:4: e-mail: 'tam-at-snv' is not an e-mail address" in result.output
    path.write_text(path.read_text(encoding="utf-8").replace("tam-at-snv", "tam@snv.gov.vn"), encoding="utf-8")
    assert run("import", "employees", path).exit_code == 0
    with Store(initialized, zone=ZONE) as store:
        assert store.employee_emails(["NV1", "NV2", "NV3"]) == {"NV1": "lan@snv.gov.vn", "NV3": "tam@snv.gov.vn"}


def test_notify_log_lists_newest_first_as_json(tmp_path, office, mail, clock, run) -> None:
    import json

    from monitor.service.notify.notifier import Notifier
    from tests.monitor.service.notify.notify_helpers import office_config

    Notifier(office_config(tmp_path, office, port=mail.port), now=clock).tick()
    result = run("--config", tmp_path / "config.toml", "notify", "log", "--format", "json", "--kind", "digest")
    rows = json.loads(result.output)
    assert [(r["recipient"], r["status"]) for r in rows] == [
        ("user:truongstc", "sent"), ("user:truongsnv", "sent"), ("user:giamdoc", "sent")]
    assert "payload" not in rows[0]
