"""End to end in a real browser: a real Mosquitto, ``rehab clinic serve`` as a subprocess,
a kiosk's DeviceLink with its durable outbox. The therapist account is made with ``rehab
clinic user add``; chromium logs in, sees the device come online, then sees the session the
kiosk sends arrive with its alerts (red flag in the check-in, pain 8 after), and opens it."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from browser_helpers import log_in, wait_until
from tests.helpers.link_helpers import device_config
from tests.helpers.rehab_broker import Broker
from tests.helpers.serve_world import REPO, ServeProcess
from web_world import checkin, session

from mqtt.delivery import ResendPolicy
from mqtt.device import DeviceLink
from therapy.ports import FhirEncoder
from therapy.records import QuestionnaireAnswers
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(120)
QUICK = ResendPolicy(first_s=0.5, factor=2.0, max_s=1.0, unrouted_first_s=0.3)
PASSWORD = "correct horse battery"


@pytest.fixture
def broker(tmp_path: Path):  # type: ignore[no-untyped-def]
    b = Broker(tmp_path / "broker").start()
    yield b
    b.stop()


def _reload_until(d: object, check: object) -> None:
    def fresh(drv: object) -> bool:
        drv.refresh()  # type: ignore[attr-defined]
        time.sleep(0.2)
        return bool(check(drv))  # type: ignore[operator]

    wait_until(d, fresh, 30)


def test_a_kiosk_session_reaches_the_therapist_with_its_alerts(
        broker: Broker, tmp_path: Path, browser: object) -> None:
    from selenium.webdriver.common.by import By

    clinic_dir = tmp_path / "clinic"
    made = subprocess.run([sys.executable, "-m", "rehab.cli", "clinic", "user", "add", "ann",
                           "--password-stdin", "--data-dir", str(clinic_dir)],
                          input=PASSWORD + "\n", capture_output=True, text=True, cwd=REPO)
    assert made.returncode == 0, made.stderr
    serve = ServeProcess(clinic_dir, broker.url)
    dev = TherapyStore(tmp_path / "dev" / "rehab.db")
    link = DeviceLink(device_config(tmp_path / "dev", broker.url), dev, resend=QUICK,
                      reconnect_max_s=1)
    d = browser
    try:
        serve.wait_connected()
        log_in(d, serve.url, "ann", PASSWORD)
        link.start()

        def row_text(drv: object) -> str:
            return drv.find_element(By.CSS_SELECTOR, "table.caseload tbody").text  # type: ignore[attr-defined,no-any-return]

        _reload_until(d, lambda drv: "dev-1" in row_text(drv) and "online" in row_text(drv))
        assert "none yet" in row_text(d)  # no session so far

        now = datetime.now(timezone.utc)
        enc = FhirEncoder("dev-1")
        qr = checkin(now - timedelta(minutes=10), red="fall")
        answers = QuestionnaireAnswers(qr["identifier"]["value"][9:], qr["questionnaire"],
                                       now - timedelta(minutes=10),
                                       tuple((i["linkId"], i["answer"][0]["valueBoolean"])
                                             for i in qr["item"]))
        dev.save_questionnaire(answers, [enc.questionnaire_item(answers)])
        rec = session(now - timedelta(minutes=8), [55.0, 58.5, 61.0], before=3, after=8)
        dev.save_session(rec, enc.session_items(rec))
        assert link.wait_drained(30), f"{dev.outbox_count()} rows wait for a receipt"

        _reload_until(d, lambda drv: "pain 8/10" in row_text(drv))
        alerts = [e.text for e in d.find_elements(By.CSS_SELECTOR, "span.alert")]  # type: ignore[attr-defined]
        assert "red flag in check-in: fall" in alerts and "pain 8/10" in alerts
        assert now.strftime("%Y-%m-%d") in row_text(d)  # the last session is today's
        d.find_element(By.PARTIAL_LINK_TEXT, "dev-1").click()  # type: ignore[attr-defined]
        wait_until(d, lambda drv: drv.find_element(By.TAG_NAME, "h1").text == "dev-1")
        sessions_table = d.find_elements(By.CSS_SELECTOR, "section.card table")[-1]  # type: ignore[attr-defined]
        assert "3 / 10" in sessions_table.text and "58.2°" in sessions_table.text
        d.find_element(By.LINK_TEXT, "reps").click()  # type: ignore[attr-defined]
        wait_until(d, lambda drv: drv.find_element(By.TAG_NAME, "h1").text.startswith("Session"))
        roms = [r.find_elements(By.TAG_NAME, "td")[1].text
                for r in d.find_elements(By.CSS_SELECTOR, "tbody tr")]  # type: ignore[attr-defined]
        assert roms == ["55.0°", "58.5°", "61.0°"]
        assert serve.terminate() == 0
    finally:
        link.stop()
        serve.stop_quietly()
