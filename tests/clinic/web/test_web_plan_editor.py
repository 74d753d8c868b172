"""The plan editor over a real Mosquitto: a preview validated by parse_plan (errors name the
field, nothing is sent), a plan signed and pushed from the form that a kiosk applies, and
the plans page showing the version each device applied or why it refused one."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from tests.helpers.link_helpers import wait_for, write_toml
from send_world import QUICK, SendWorld, make_key, send_world_fixture  # noqa: F401  # the fixture

from clinic.web.plan_editor import EditorError, form_to_plan
from exercises.catalogue import CATALOGUE
from mqtt.config import load_config
from mqtt.device import DeviceLink
from therapy.plan import parse_plan
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(60)


def plan_form(version: int, **rows: str) -> dict[str, object]:
    today = date.today()
    form: dict[str, object] = {
        "plan_id": "knee-rehab", "version": str(version), "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=30)).isoformat(), "sessions": "1",
        "days": ["mon", "wed", "fri"], "ex_0": "knee_extension_seated", "side_0": "left",
        "sets_0": "3", "reps_0": "12", "hold_0": "2", "rom_0": "65", "ex_1": "heel_slide",
        "side_1": "left"}
    form.update(rows)
    return form


def test_the_form_shows_the_catalogue_and_a_preview_sends_nothing(
        send_world: SendWorld) -> None:
    w = send_world
    page = w.client.get("/patients/dev-1/plan").text
    for ex in CATALOGUE.values():
        assert ex.name in page
    assert CATALOGUE["heel_slide"].instructions.split(".")[0] in page
    r = w.post("/patients/dev-1/plan", {**plan_form(1), "action": "preview"})
    assert r.status_code == 200 and 'id="preview"' in r.text
    assert "3 × 12" in r.text and "65°" in r.text
    assert CATALOGUE["knee_extension_seated"].instructions.split(".")[0] in r.text
    r = w.post("/patients/dev-1/plan", {**plan_form(1, rom_0="400"), "action": "push"})
    assert r.status_code == 400 and "exercises[0].target_rom_deg" in r.text
    r = w.post("/patients/dev-1/plan", {**plan_form(1, ex_0="moonwalk"), "action": "push"})
    assert r.status_code == 400 and "unknown exercise" in r.text
    r = w.post("/patients/dev-1/plan", {**plan_form(1, reps_0="lots"), "action": "push"})
    assert r.status_code == 400 and "not a number" in r.text
    r = w.post("/patients/dev-1/plan", {**plan_form(1), "days": [], "action": "push"})
    assert r.status_code == 400 and "schedule.days" in r.text
    assert w.watcher.store.latest_plan("dev-1") is None and w.device.current_plan() is None


def test_a_plan_pushed_from_the_editor_is_applied_and_shown(
        send_world: SendWorld, tmp_path: Path) -> None:
    w = send_world
    r = w.post("/patients/dev-1/plan", {**plan_form(1), "action": "push"})
    assert r.status_code == 303, r.text
    wait_for(w.device.current_plan, 10, "the plan on the device")
    plan = w.device.current_plan()[0]  # type: ignore[index]
    assert plan.version == 1 and plan.exercises[0].reps == 12
    assert plan.exercises[0].target_rom_deg == 65 and str(plan.exercises[0].side) == "left"
    assert [str(d) for d in plan.schedule.days] == ["mon", "wed", "fri"]
    # the device's AuditEvent arrives: the page says which version it applied
    wait_for(lambda: "applied version" in w.client.get("/patients/dev-1/plan").text, 15,
             "the device's plan_applied AuditEvent")
    row = w.client.get("/plans").text
    assert "applied" in row
    # the editor starts from the plan in force, one version up; the same version is refused
    page = w.client.get("/patients/dev-1/plan").text
    assert 'name="version" type="number" min="1" value="2"' in page
    r = w.post("/patients/dev-1/plan", {**plan_form(1), "action": "push"})
    assert r.status_code == 400 and "not above 1" in r.text
    r = w.post("/patients/dev-1/plan", {**plan_form(1500), "action": "push"})
    assert r.status_code == 400 and "more than 1000 above" in r.text

    # a device with another clinic key refuses the plan; the plans page says why
    dev2 = tmp_path / "dev2"
    write_toml(dev2, broker=w.broker.url, device="dev-2", clinic="c1",
               clinic_public_key=make_key(tmp_path / "other-clinic"))
    store2 = TherapyStore(dev2 / "rehab.db")
    link2 = DeviceLink(load_config(dev2), store2, resend=QUICK, reconnect_max_s=1)
    link2.start()
    try:
        assert link2.wait_connected(10)
        r = w.post("/patients/dev-2/plan", {**plan_form(1), "action": "push"})
        assert r.status_code == 303
        wait_for(lambda: "bad_signature" in w.client.get("/plans").text, 15,
                 "dev-2's plan_rejected AuditEvent")
        assert store2.current_plan() is None
    finally:
        link2.stop()
    audit = [a.what for a in w.app.state.audit.rows("dev-1")]  # type: ignore[attr-defined]
    assert "plan knee-rehab version 1 pushed" in audit


def test_form_to_plan_takes_catalogue_values_for_empty_numbers() -> None:
    obj = form_to_plan({"plan_id": "p", "version": "3", "valid_from": "2026-01-05",
                        "valid_until": "2026-02-05", "days": "mon,thu",
                        "ex_0": "heel_slide", "side_0": "right", "sets_0": ""})
    plan = parse_plan(obj)
    assert plan.exercises[0].sets == CATALOGUE["heel_slide"].sets
    assert plan.valid_until.date() == date(2026, 2, 5)  # the whole last day
    with pytest.raises(EditorError, match="valid from"):
        form_to_plan({"version": "1", "valid_from": "soon", "valid_until": "2026-02-05"})
