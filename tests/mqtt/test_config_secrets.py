"""No secret in a log line or an error message (issue 12, finding 8): a bad broker URL
with a password in it is reported with the password redacted, by the parser, by the CLI
(one line on stderr, exit 2) and in the kiosk's journal; configs never print it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kiosk.adapters.clinic import OfflineClinic, open_clinic
from mqtt.config import load_config, parse_broker_url, redact_url
from mqtt.errors import ConfigError
from rehab.cli import main
from therapy.store import TherapyStore

SECRET = "s3cr3t-Pw"
BAD_URLS = [
    f"mqtts://dev-1:{SECRET}@broker.example.org:88x3",  # port not a number
    f"mqtts://dev-1:{SECRET}@broker.example.org:99999",  # port out of range
    f"http://dev-1:{SECRET}@broker.example.org",  # wrong scheme
    f"mqtts://dev-1:{SECRET}@[::1",  # urlsplit raises ValueError
    f"mqtts://dev-1:{SECRET}@",  # no host
    f"mqtt://dev-1:{SECRET}@broker.example.org",  # plain MQTT off loopback
    f"mqtts://dev-1:{SECRET}@x@y@broker.example.org:bad",  # '@' inside the password
    f"dev-1:{SECRET}@broker.example.org",  # no scheme at all
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_parser_errors_never_show_the_password(url: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_broker_url(url)
    assert SECRET not in str(exc.value) and "x@y" not in str(exc.value)
    assert SECRET not in redact_url(url)


def test_configs_do_not_print_their_password(tmp_path: Path) -> None:
    cfg = load_config(tmp_path, broker=f"mqtts://dev-1:{SECRET}@broker.example.org",
                      device="dev-1")
    assert cfg.broker.password == SECRET
    assert SECRET not in repr(cfg) and SECRET not in str(cfg.broker) and \
        SECRET not in cfg.broker.url


@pytest.mark.parametrize("url", BAD_URLS)
def test_cli_error_is_one_line_without_the_password(url: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    code = main(["-vv", "sync", "--broker", url, "--device", "dev-1",
                 "--data-dir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and err.startswith("rehab sync: error:")
    assert SECRET not in out + err + caplog.text


def test_kiosk_journal_does_not_show_the_password(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "rehab.toml").write_text(
        f'broker = "mqtts://dev-1:{SECRET}@broker.example.org:88x3"\ndevice = "dev-1"\n')
    store = TherapyStore(tmp_path / "rehab.db")
    with caplog.at_level(logging.DEBUG):
        clinic = open_clinic(tmp_path, store)
    assert isinstance(clinic, OfflineClinic)
    assert "clinic link not started" in caplog.text and "***" in caplog.text
    assert SECRET not in caplog.text
    store.close()


def test_a_config_holding_the_password_is_made_private(tmp_path: Path, caplog) -> None:
    """rehab.toml written by hand (umask 022: 0644) holds the broker password: loading it
    makes it 0600 and says so; a config without a password is left as it is."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    secret = tmp_path / "a" / "rehab.toml"
    secret.write_text(f'broker = "mqtts://broker.example.org"\ndevice = "dev-1"\n'
                      f'username = "dev-1"\npassword = "{SECRET}"\n')
    secret.chmod(0o644)
    plain = tmp_path / "b" / "rehab.toml"
    plain.write_text('broker = "mqtts://broker.example.org"\ndevice = "dev-1"\n')
    plain.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="mqtt.config"):
        load_config(tmp_path / "a")
        load_config(tmp_path / "b")
    assert secret.stat().st_mode & 0o777 == 0o600
    assert plain.stat().st_mode & 0o777 == 0o644
    assert "made it 0600" in caplog.text and SECRET not in caplog.text
