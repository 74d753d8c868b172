"""The visit page's greyed-out "Start video visit" says why beside it, in readable contrast
(issue 16, G1's look at the dashboard shots: a pale button and no reason): outside the
appointment's window, on a server without video visits, with the patient's kiosk offline.
Through the TestClient with the real relay on a real Mosquitto (send_world)."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from send_world import SendWorld, send_world_fixture  # noqa: F401  # fixture
from sqlalchemy import delete, insert

from clinic.schema import devices
from clinic.visit import relay_factory
from clinic.web.sending import signing_key
from clinic.web.visit_start import BEFORE, NOT_SET_UP, OFFLINE, OVER, start_blocked
from mqtt.config import load_config
from rehab.commands.clinic import KEY_FILE

pytestmark = pytest.mark.timeout(60)
CSS = Path(__file__).resolve().parents[3] / "clinic" / "web" / "static" / "clinic.css"


@pytest.mark.parametrize(("closed", "no_relay", "kiosk", "why"), [
    ("", False, "online", ""),
    ("", False, None, ""),  # never reported: may still answer
    ("", False, "offline", OFFLINE),
    ("The visit can start from 2026-12-01 10:05 (15 minutes ...)", False, "online", BEFORE),
    ("This appointment is over: book a new one to call the patient.", False, None, OVER),
    ("", True, "online", NOT_SET_UP),
    ("This appointment is over: book a new one.", True, "offline", NOT_SET_UP),
])
def test_start_blocked(closed: str, no_relay: bool, kiosk: str | None, why: str) -> None:
    assert start_blocked(closed, no_relay, kiosk) == why


def _start(page: str) -> tuple[bool, str]:
    """(disabled, the reason shown beside it) of the page's Start button."""
    button = re.search(r'<button[^>]*id="call-start"[^>]*>', page)
    why = re.search(r'<span class="why" id="call-why">([^<]*)</span>', page)
    assert button and why, "no Start button or reason on the page"
    assert 'aria-describedby="call-why"' in button.group(0)
    return " disabled" in button.group(0), html.unescape(why.group(1))


def test_the_page_says_why_start_is_greyed_out(send_world: SendWorld) -> None:
    w = send_world
    now = datetime.now(timezone.utc)
    for ident, start in (("a-now", now + timedelta(minutes=5)),
                         ("a-later", now + timedelta(days=2)),
                         ("a-past", now - timedelta(days=2))):
        w.watcher.store.add_appointment(ident, "dev-1", start.isoformat(), 30)
    base = "/patients/dev-1/appointments"
    assert _start(w.client.get(f"{base}/a-now/visit").text) == (True, NOT_SET_UP)

    cfg = load_config(w.clinic_dir, require_device=False)
    w.app.state.visit = relay_factory(  # type: ignore[attr-defined]
        cfg.broker, "c1", lambda: signing_key(w.clinic_dir / KEY_FILE), client_name="t-visit")
    assert _start(w.client.get(f"{base}/a-now/visit").text) == (False, "")
    assert _start(w.client.get(f"{base}/a-later/visit").text) == (True, BEFORE)
    assert _start(w.client.get(f"{base}/a-past/visit").text) == (True, OVER)

    engine = w.app.state.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:  # the kiosk's last word: offline (its will on the broker)
        conn.execute(delete(devices).where(devices.c.device == "dev-1"))
        conn.execute(insert(devices).values(device="dev-1", state="offline",
                                            last_seen=now.isoformat()))
    assert _start(w.client.get(f"{base}/a-now/visit").text) == (True, OFFLINE)


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_greyed_out_button_and_reason_are_readable() -> None:
    css = CSS.read_text(encoding="utf-8")
    rule = re.search(r"\.visit button:disabled \{([^}]*)\}", css)
    assert rule, "no .visit button:disabled rule in clinic.css"
    body = rule.group(1)
    fg = re.search(r"(?<![-\w])color: (#[0-9a-f]{6})", body)
    bg = re.search(r"background: (#[0-9a-f]{6})", body)
    assert fg and bg, body
    assert "opacity: 1" in body  # not faded by the global button:disabled rule
    assert _contrast(fg.group(1), bg.group(1)) >= 4.5
    muted = re.search(r"--muted: (#[0-9a-f]{6})", css)
    assert muted and ".visit .why { color: var(--muted); }" in css
    assert _contrast(muted.group(1), "#ffffff") >= 4.5
