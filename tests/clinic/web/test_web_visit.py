"""The video visit page's rules (issue 16) through the TestClient with the real relay on a
real Mosquitto: only a scheduled appointment of that device opens it, only inside its
window may a call start, offers/cues/hang-ups need the CSRF header and are audited, a
cue is checked before it is sent, a call is reachable only under its own appointment."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from tests.helpers.link_helpers import write_toml
from send_world import PASSWORD, SendWorld, login, send_world_fixture  # noqa: F401  # fixture
from tests.helpers.serve_world import REPO
from starlette.testclient import TestClient

from clinic.errors import ClinicError
from clinic.store import ClinicStore
from clinic.visit import browser_ice, relay_factory
from clinic.web.app import create_app
from clinic.web.sending import signing_key
from clinic.web.visit_page import window
from mqtt.config import load_config
from rehab.commands.clinic import KEY_FILE

pytestmark = pytest.mark.timeout(60)
SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


def _book(w: SendWorld, ident: str, device: str, start: datetime, minutes: int = 30) -> None:
    w.watcher.store.add_appointment(ident, device, start.isoformat(), minutes)


def _json(w: SendWorld, path: str, body: object, csrf: bool = True) -> object:
    headers = {"x-csrftoken": w.csrf()} if csrf else {}
    return w.client.post(path, json=body, headers=headers, follow_redirects=False)


def test_the_visit_follows_the_appointment(send_world: SendWorld) -> None:
    w = send_world
    cfg = load_config(w.clinic_dir, require_device=False)
    w.app.state.visit = relay_factory(  # type: ignore[attr-defined]
        cfg.broker, "c1", lambda: signing_key(w.clinic_dir / KEY_FILE), client_name="t-visit")
    now = datetime.now(timezone.utc)
    _book(w, "a-now", "dev-1", now + timedelta(minutes=5))
    _book(w, "a-later", "dev-1", now + timedelta(days=2))
    _book(w, "a-other", "dev-2", now + timedelta(minutes=5))
    base = "/patients/dev-1/appointments"

    assert w.client.get(f"{base}/nope/visit").status_code == 404
    assert w.client.get(f"{base}/a-other/visit").status_code == 404  # another patient's
    later = w.client.get(f"{base}/a-later/visit").text
    assert "The visit can start from" in later and 'id="call-start" disabled' in later
    r = _json(w, f"{base}/a-later/visit/offer", {"sdp": SDP})
    assert r.status_code == 409 and "can start from" in r.json()["error"]
    page = w.client.get(f"{base}/a-now/visit").text
    assert 'id="call-start">' in page and "/static/visit.js" in page
    assert 'data-stream="/live/events?device=dev-1"' in page

    assert _json(w, f"{base}/a-now/visit/offer", {"sdp": SDP}, csrf=False).status_code == 403
    assert _json(w, f"{base}/a-now/visit/offer", {"sdp": ""}).status_code == 400
    r = _json(w, f"{base}/a-now/visit/offer", {"sdp": SDP})
    assert r.status_code == 200, r.text
    call = r.json()["call"]
    state = w.client.get(f"{base}/a-now/visit/{call}/state").json()
    assert state == {"state": "offered", "reason": "", "answer": None}
    assert w.client.get(f"/patients/dev-1/appointments/a-later/visit/{call}/state"
                        ).status_code == 404  # the call belongs to its own appointment
    assert _json(w, f"{base}/a-now/visit/{call}/cue", {"cue": "faster"}).status_code == 400
    assert _json(w, f"{base}/a-now/visit/{call}/cue",
                 {"cue": "text", "text": "x" * 121}).status_code == 400
    assert _json(w, f"{base}/a-now/visit/{call}/cue", {"cue": "slower"}).status_code == 200
    assert _json(w, f"{base}/a-now/visit/{call}/cue",
                 {"cue": "text", "text": "Keep your back straight"}).status_code == 200
    assert _json(w, f"{base}/a-now/visit/{call}/hangup", {}).status_code == 200
    whats = [a.what for a in w.app.state.audit.rows("dev-1")]  # type: ignore[attr-defined]
    assert f"video visit {call} offered, appointment a-now" in whats
    assert f"video visit {call} cue text: Keep your back straight" in whats
    assert f"video visit {call} hung up" in whats
    w.app.state.visit().stop()  # type: ignore[attr-defined]


def test_without_a_relay_or_a_key_the_page_says_so(send_world: SendWorld) -> None:
    w = send_world
    _book(w, "a-now", "dev-1", datetime.now(timezone.utc))
    assert "not set up on this server" in w.client.get(
        "/patients/dev-1/appointments/a-now/visit").text
    r = _json(w, "/patients/dev-1/appointments/a-now/visit/offer", {"sdp": SDP})
    assert r.status_code == 503
    cfg = load_config(w.clinic_dir, require_device=False)
    (w.clinic_dir / KEY_FILE).unlink()
    w.app.state.visit = relay_factory(  # type: ignore[attr-defined]
        cfg.broker, "c1", lambda: signing_key(w.clinic_dir / KEY_FILE))
    r = _json(w, "/patients/dev-1/appointments/a-now/visit/offer", {"sdp": SDP})
    assert r.status_code == 503 and "rehab clinic keygen" in r.json()["detail"]


def test_window_is_the_kiosks() -> None:
    start = datetime(2026, 6, 1, 10, tzinfo=timezone.utc)
    assert window(start, 30, start - timedelta(minutes=15)) == ""
    assert window(start, 30, start + timedelta(minutes=30)) == ""
    assert "can start from" in window(start, 30, start - timedelta(minutes=16))
    assert "is over" in window(start, 30, start + timedelta(minutes=31))


def test_the_browser_gets_the_clinics_stun_and_turn_servers(tmp_path: Path) -> None:
    write_toml(tmp_path, clinic="c1")
    assert browser_ice(tmp_path) == {"iceServers": [], "iceTransportPolicy": "all"}
    (tmp_path / "rehab.toml").write_text(
        'clinic = "c1"\n[visit]\nstun = ["stun:turn.example.org:3478"]\n'
        'turn = ["turns:turn.example.org:5349?transport=tcp"]\nturn_username = "clinic"\n'
        'turn_password = "p\\"w<"\nrelay_only = true\n')
    ice = browser_ice(tmp_path)
    assert ice == {"iceServers": [
        {"urls": ["stun:turn.example.org:3478"]},
        {"urls": ["turns:turn.example.org:5349?transport=tcp"], "username": "clinic",
         "credential": 'p"w<'}], "iceTransportPolicy": "relay"}
    store = ClinicStore(tmp_path / "clinic.db")
    try:
        app = create_app(store, clinic="c1", secret_key="k", ice=ice)
        app.state.accounts.add("ann", PASSWORD)
        store.add_appointment("a-1", "dev-1", datetime.now(timezone.utc).isoformat(), 30)
        client = TestClient(app)
        login(client)
        page = client.get("/patients/dev-1/appointments/a-1/visit").text
        attr = re.search(r'data-ice="([^"]*)"', page).group(1)  # type: ignore[union-attr]
        assert json.loads(html.unescape(attr)) == ice  # quotes escaped inside the attribute
    finally:
        store.close()
    (tmp_path / "rehab.toml").write_text('clinic = "c1"\n[visit]\nturn = ["turn:x:3478"]\n')
    with pytest.raises(ClinicError, match="turn needs turn_username"):
        browser_ice(tmp_path)
    (tmp_path / "rehab.toml").write_text('[visit]\nstun = ["stun:x:3478"]\nrelay_only = true\n')
    with pytest.raises(ClinicError, match="relay_only needs a turn server"):
        browser_ice(tmp_path)


def test_serve_refuses_a_bad_visit_table_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "rehab.toml").write_text(
        'clinic = "c1"\nbroker = "mqtt://127.0.0.1:1"\n[visit]\nstun = "http://x"\n')
    done = subprocess.run([sys.executable, "-m", "rehab.cli", "clinic", "serve", "--listen",
                           "127.0.0.1:0", "--data-dir", str(tmp_path)], capture_output=True,
                          text=True, cwd=REPO, timeout=60, check=False)
    assert done.returncode == 2 and "[visit] stun must be a list" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
