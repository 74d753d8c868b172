"""Messages and appointments from the web application to a kiosk over a real Mosquitto:
a reply is signed and lands in the device's store (and the clinic's, marked delivered
once the device acknowledges it); an appointment is booked, moved and cancelled on the
device; bad input is one clear error and sends nothing; no key is said plainly; the
patient's own message shows on the page; every change is in the web audit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from tests.helpers.link_helpers import wait_for
from send_world import SendWorld, send_world_fixture  # noqa: F401  # the fixture

from clinic.web.messages import BadInput, parse_start
from rehab.commands.clinic import KEY_FILE
from therapy.records import Direction

pytestmark = pytest.mark.timeout(60)


def test_a_reply_reaches_the_device_and_shows_delivered(send_world: SendWorld) -> None:
    w = send_world
    w.link.send_message("Knee feels stiff this morning")
    wait_for(lambda: w.watcher.store.messages("dev-1"), 10, "the patient's message")
    page = w.client.get("/patients/dev-1/messages").text
    assert "Knee feels stiff this morning" in page
    assert "dev-1" in w.client.get("/messages").text

    r = w.post("/patients/dev-1/messages", {"text": "Try the heat pack <first>, then the set"})
    assert r.status_code == 303, r.text
    got = wait_for(lambda: [m for m in w.device.messages()
                            if m.direction == Direction.TO_PATIENT], 10, "the reply on the device")
    assert got[0].text == "Try the heat pack <first>, then the set"
    # the device's ack comes back: the clinic marks the reply delivered
    wait_for(lambda: all(acked for _i, d, _t, acked in w.watcher.store.messages("dev-1")
                         if d == "to_patient"), 10, "the device's ack")
    page = w.client.get("/patients/dev-1/messages").text
    assert "Try the heat pack &lt;first&gt;, then the set" in page and "delivered" in page
    audit = w.app.state.audit.rows("dev-1")  # type: ignore[attr-defined]
    assert any(a.action == "change" and "message" in a.what for a in audit)


def test_appointments_booked_moved_and_cancelled_on_the_device(send_world: SendWorld) -> None:
    w = send_world
    start = (datetime.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    r = w.post("/patients/dev-1/appointments",
               {"start": start.strftime("%Y-%m-%dT%H:%M"), "minutes": "45"})
    assert r.status_code == 303, r.text
    appts = wait_for(w.device.appointments, 10, "the appointment on the device")
    assert appts[0].start_at == start.astimezone() and appts[0].minutes == 45
    ident = appts[0].id

    later = start + timedelta(days=1, hours=2)
    r = w.post(f"/patients/dev-1/appointments/{ident}/move",
               {"start": later.strftime("%Y-%m-%dT%H:%M"), "minutes": "30"})
    assert r.status_code == 303, r.text
    wait_for(lambda: w.device.appointments()[0].start_at == later.astimezone(), 10,
             "the move on the device")
    assert [(a.id, a.minutes) for a in w.device.appointments()] == [(ident, 30)]
    assert later.strftime("%Y-%m-%d %H:%M") in w.client.get("/patients/dev-1/messages").text

    r = w.post(f"/patients/dev-1/appointments/{ident}/cancel", {})
    assert r.status_code == 303, r.text
    wait_for(lambda: not w.device.appointments(), 10, "the cancel on the device")
    assert w.watcher.store.appointments("dev-1") == []
    whats = [a.what for a in w.app.state.audit.rows("dev-1")]  # type: ignore[attr-defined]
    assert any("booked" in x for x in whats) and any("moved" in x for x in whats) \
        and any("cancelled" in x for x in whats)
    assert w.post("/patients/dev-1/appointments/nope/cancel", {}).status_code == 404


def test_bad_input_is_one_clear_error_and_sends_nothing(send_world: SendWorld) -> None:
    w = send_world
    r = w.post("/patients/dev-1/messages", {"text": "   "})
    assert r.status_code == 400 and "1..4000 characters" in r.text
    past = (datetime.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    r = w.post("/patients/dev-1/appointments", {"start": past, "minutes": "30"})
    assert r.status_code == 400 and "must be in the future" in r.text
    r = w.post("/patients/dev-1/appointments", {"start": "next tuesday", "minutes": "30"})
    assert r.status_code == 400 and "use a date and time" in r.text
    soon = (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = w.post("/patients/dev-1/appointments", {"start": soon, "minutes": "601"})
    assert r.status_code == 400 and "1..600 minutes" in r.text
    (w.clinic_dir / KEY_FILE).unlink()
    r = w.post("/patients/dev-1/messages", {"text": "hello"})
    assert r.status_code == 503 and "rehab clinic keygen" in r.text
    assert w.watcher.store.messages("dev-1") == [] and w.device.messages() == []
    assert w.watcher.store.appointments("dev-1") == []
    # without the CSRF token or without a login nothing is sent either
    r = w.client.post("/patients/dev-1/messages", data={"text": "x"}, follow_redirects=False)
    assert r.status_code == 403
    w.client.cookies.clear()
    r = w.client.post("/patients/dev-1/messages", data={"text": "x"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert w.watcher.store.messages("dev-1") == []


def test_start_times_are_checked() -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    assert parse_start("2026-06-02T10:00:00+02:00", now) == datetime(
        2026, 6, 2, 8, tzinfo=timezone.utc)
    for bad in ("2026-06-01T11:00:00+00:00", "1999-01-01T10:00:00+00:00", "", "10:00"):
        with pytest.raises(BadInput):
            parse_start(bad, now)
