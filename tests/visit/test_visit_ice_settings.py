"""STUN/TURN servers from ``[visit]`` in rehab.toml (kiosk/adapters/call.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.adapters.call import CallError, IceServer, load_ice_servers


def _toml(tmp_path: Path, text: str) -> Path:
    (tmp_path / "rehab.toml").write_text('device = "dev-a"\n' + text)
    return tmp_path


def test_no_file_or_table_means_host_candidates_only(tmp_path: Path) -> None:
    assert load_ice_servers(tmp_path) == ()
    assert load_ice_servers(_toml(tmp_path, "")) == ()


def test_stun_and_turn_with_credentials(tmp_path: Path) -> None:
    d = _toml(tmp_path, '[visit]\nstun = "stun:turn.example.org:3478"\n'
              'turn = ["turn:turn.example.org:3478?transport=udp", '
              '"turns:turn.example.org:5349?transport=tcp"]\n'
              'turn_username = "kiosk"\nturn_password = "s3cret"\n')
    assert load_ice_servers(d) == (
        IceServer(("stun:turn.example.org:3478",)),
        IceServer(("turn:turn.example.org:3478?transport=udp",
                   "turns:turn.example.org:5349?transport=tcp"), "kiosk", "s3cret"))


@pytest.mark.parametrize("text, match", [
    ('[visit]\nturn = ["turn:t.example.org"]\n', "turn_username and turn_password"),
    ('[visit]\nstun = ["http://t.example.org"]\n', "list of stun: URLs"),
    ('[visit]\nstun = 5\n', "list of stun: URLs"),
    ('visit = "yes"\n', r"\[visit\] must be a table"),
    ('[visit\n', "not valid TOML"),
])
def test_bad_settings_say_what_to_fix(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(CallError, match=match):
        load_ice_servers(_toml(tmp_path, text))


def test_relay_only_needs_a_turn_server_and_a_boolean(tmp_path: Path) -> None:
    from kiosk.adapters.call import load_call_settings

    assert not load_call_settings(tmp_path).relay_only
    with pytest.raises(CallError, match="relay_only needs a turn server"):
        load_call_settings(_toml(tmp_path, '[visit]\nrelay_only = true\n'))
    with pytest.raises(CallError, match="relay_only must be true or false"):
        load_call_settings(_toml(tmp_path, '[visit]\nrelay_only = "yes"\n'))
