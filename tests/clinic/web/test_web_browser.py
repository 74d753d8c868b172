"""The clinic web application in a real browser: Debian's chromium driven by Selenium 4
through chromedriver, against uvicorn on a free loopback port, with a store filled from
real device records. Saves the screenshots docs/img/clinic-caseload.png and
docs/img/clinic-patient.png (the README shows them)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from browser_helpers import log_in, wait_until
from sqlalchemy import insert
from tests.helpers.chromium import shot_path
from web_world import filled_store

from clinic.web.app import create_app
from clinic.web_schema import web_labels

REPO = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    world = filled_store(tmp_path / "clinic.db", devices=6, days=45)
    app = create_app(world.store, clinic="clinic-a", secret_key="test-key")
    app.state.accounts.add("ann", "correct horse battery")
    with world.store.engine.begin() as conn:  # the therapist's own labels for some patients
        conn.execute(insert(web_labels), [
            {"device": d, "label": label, "set_by": "ann", "set_at": world.now.isoformat()}
            for d, label in (("dev-001", "M.K. hip, left"), ("dev-002", "R.T. shoulder"),
                             ("dev-004", "Bed 4 (post-op knee)"))])
    for device, segment, pct in (("dev-003", "thigh", 12), ("dev-001", "shank", 85)):
        world.store.add_status_event(device, {  # wearable levels the kiosks reported
            "state": "online", "event": "battery", "segment": segment, "battery_pct": pct,
            "at": world.now.isoformat()})
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)
        world.store.close()


def _shot(driver: object, name: str) -> None:
    out = shot_path(name)
    height = driver.execute_script("return document.body.scrollHeight")  # type: ignore[attr-defined]
    driver.set_window_size(1280, min(max(int(height), 700), 2400))  # type: ignore[attr-defined]
    driver.save_screenshot(str(out))  # type: ignore[attr-defined]


def _h1_is(driver: object, check: object) -> None:
    from selenium.webdriver.common.by import By

    wait_until(driver, lambda d: check(d.find_element(By.TAG_NAME, "h1").text))  # type: ignore[operator]


def test_therapist_logs_in_sees_alerts_and_opens_a_patient(server: str, browser: object) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    log_in(d, server, "ann", "correct horse battery")
    rows = d.find_elements(By.CSS_SELECTOR, "table.caseload tbody tr")  # type: ignore[attr-defined]
    assert len(rows) == 6
    alerts = [e.text for e in d.find_elements(By.CSS_SELECTOR, "span.alert")]  # type: ignore[attr-defined]
    assert "red flag in check-in: fever" in alerts and "pain 8/10" in alerts
    assert "plan rejected: bad_signature" in alerts and "thigh battery 12 %" in alerts
    assert "shank battery" not in " ".join(alerts)  # 85 %: no alert, the level is shown
    table = d.find_element(By.CSS_SELECTOR, "table.caseload").text  # type: ignore[attr-defined]
    assert "Last seen" in table and "shank sensor 85 %" in table
    assert "M.K. hip, left dev-001" in d.find_element(By.CSS_SELECTOR, "table.caseload").text  # type: ignore[attr-defined]
    _shot(d, "clinic-caseload.png")

    d.find_element(By.PARTIAL_LINK_TEXT, "dev-000").click()  # type: ignore[attr-defined]
    _h1_is(d, lambda t: t == "dev-000")
    summary = d.find_element(By.CSS_SELECTOR, "p.summary").text  # type: ignore[attr-defined]
    assert "red flag in check-in: fever" in summary and "pain 8/10" in summary
    label = d.find_element(By.NAME, "label")  # type: ignore[attr-defined]
    label.send_keys("J.S. knee, right")
    d.find_element(By.XPATH, "//button[text()='Save label']").click()  # type: ignore[attr-defined]
    _h1_is(d, lambda t: t == "J.S. knee, right dev-000")
    assert d.find_elements(By.CSS_SELECTOR, "svg.chart circle.rep")  # type: ignore[attr-defined]
    assert d.find_elements(By.CSS_SELECTOR, "table.calendar td.done")  # type: ignore[attr-defined]
    _shot(d, "clinic-patient.png")

    d.find_element(By.LINK_TEXT, "reps").click()  # type: ignore[attr-defined]
    _h1_is(d, lambda t: t.startswith("Session"))
    assert len(d.find_elements(By.CSS_SELECTOR, "tbody tr")) == 10  # type: ignore[attr-defined]
