"""The Live, Messages and Plan pages in a real browser, end to end: a real Mosquitto,
``rehab clinic serve`` as a subprocess (its key from ``rehab clinic keygen``, the account
from ``rehab clinic user add``) and two kiosks' DeviceLinks with the clinic's public key.
Chromium watches two live sets stream in without a reload, replies to a patient's
message (it lands in the device's store), books an appointment, and pushes a plan from
the editor that the device applies (the page then says which version it applied).
Saves docs/img/clinic-live.png, clinic-messages.png and clinic-plan.png."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from browser_helpers import log_in, wait_until
from tests.helpers.chromium import shot_path
from tests.helpers.link_helpers import wait_for, write_toml
from live_events import event, rep
from tests.helpers.rehab_broker import Broker
from send_world import QUICK
from tests.helpers.serve_world import REPO, ServeProcess

from exercises.catalogue import CATALOGUE
from motion.types import QualityFlag
from mqtt.config import load_config
from mqtt.device import DeviceLink
from therapy.ports import EventKind
from therapy.records import Direction
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(150)
PASSWORD = "correct horse battery"


def _rehab(*args: str, stdin: str = "") -> str:
    done = subprocess.run([sys.executable, "-m", "rehab.cli", *args], input=stdin,
                          capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _shot(driver: object, name: str) -> None:
    out = shot_path(name)
    height = driver.execute_script(  # type: ignore[attr-defined]
        "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight")
    driver.set_window_size(1280, min(max(int(height), 700), 2400))  # type: ignore[attr-defined]
    driver.save_screenshot(str(out))  # type: ignore[attr-defined]
    driver.set_window_size(1280, 1000)  # type: ignore[attr-defined]


class Kiosk:
    def __init__(self, tmp: Path, url: str, device: str, pub: str) -> None:
        d = tmp / device
        write_toml(d, broker=url, device=device, clinic="c1", clinic_public_key=pub)
        self.store = TherapyStore(d / "rehab.db")
        self.link = DeviceLink(load_config(d), self.store, resend=QUICK, reconnect_max_s=1)


def serve_messages(serve: ServeProcess) -> list[tuple[str, str | None]]:
    """(direction, acked_at) of the clinic's messages, read from its SQLite file."""
    db = serve.log.parent / "clinic" / "clinic.db"
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT direction, acked_at FROM messages ORDER BY at").fetchall()


def far_end(serve: ServeProcess, k: Kiosk) -> str:
    """Where the device -> clinic chain stands, for a timed-out wait's message: the
    device's outbox and drainer, the clinic's ingest figures, the end of serve's log."""
    try:
        ingest = serve.health()["ingest"]
    except OSError as exc:
        ingest = f"/healthz failed: {exc}"
    log = serve.log.read_text(errors="replace")[-1500:]
    return (f"; device {k.link.cfg.device}: {k.store.outbox_count()} outbox rows left, "
            f"drainer {k.link.drainer.stats}; clinic ingest {ingest}; serve log ...{log}")


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[tuple[ServeProcess, Kiosk, Kiosk]]:
    broker = Broker(tmp_path / "broker").start()
    clinic_dir = tmp_path / "clinic"
    write_toml(clinic_dir, broker=broker.url, clinic="c1")
    pub = _rehab("clinic", "keygen", "--data-dir", str(clinic_dir)).split(
        'clinic_public_key = "')[1].split('"')[0]
    _rehab("clinic", "user", "add", "ann", "--password-stdin", "--data-dir", str(clinic_dir),
           stdin=PASSWORD + "\n")
    serve = ServeProcess(clinic_dir, broker.url)
    kiosks = (Kiosk(tmp_path, broker.url, "dev-1", pub), Kiosk(tmp_path, broker.url, "dev-2", pub))
    try:
        serve.wait_connected()
        for k in kiosks:
            k.link.start()
            assert k.link.wait_connected(10)
        yield serve, *kiosks
    finally:
        for k in kiosks:
            k.link.stop()
        serve.stop_quietly()
        broker.stop()


def test_live_messages_and_plan_editor_in_the_browser(
        clinic: tuple[ServeProcess, Kiosk, Kiosk], browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    serve, k1, k2 = clinic
    d = browser
    log_in(d, serve.url, "ann", PASSWORD)

    # --- Live: two patients' sets stream in; the page is not reloaded ----------------
    d.find_element(By.LINK_TEXT, "Live").click()  # type: ignore[attr-defined]
    wait_until(d, lambda drv: drv.find_element(By.ID, "live-status").text == "connected")
    d.execute_script("window.notReloaded = true")  # type: ignore[attr-defined]
    knee = CATALOGUE["knee_extension_seated"].target_rom_deg
    k1.link.live_listener(event(EventKind.SESSION_STARTED))
    k1.link.live_listener(event(EventKind.SET_STARTED))
    k2.link.live_listener(event(EventKind.SESSION_STARTED, session="s-2",
                                exercise="heel_slide"))
    k2.link.live_listener(event(EventKind.SET_STARTED, session="s-2", exercise="heel_slide"))
    for n, rom in enumerate((knee * 0.95, knee * 1.02, knee * 0.7), start=1):
        flags = (QualityFlag.INCOMPLETE_ROM,) if rom < knee * 0.85 else ()
        k1.link.live_listener(event(EventKind.REP, r=rep(n, round(rom, 1), *flags)))
    k2.link.live_listener(event(EventKind.REP, session="s-2", exercise="heel_slide",
                                r=rep(1, 88.0, QualityFlag.TOO_FAST)))

    def card(device: str) -> str:
        return d.find_element(By.ID, f"live-{device}").text  # type: ignore[attr-defined,no-any-return]

    wait_until(d, lambda _d: "incomplete_rom" in card("dev-1") and "too_fast" in card("dev-2"),
               15)
    assert d.execute_script("return window.notReloaded === true")  # type: ignore[attr-defined]
    chips = d.find_elements(By.CSS_SELECTOR, "#live-dev-1 .reps .rep")  # type: ignore[attr-defined]
    assert [c.get_attribute("class") for c in chips] == ["rep in", "rep in", "rep low"]
    assert "3 reps" in card("dev-1") and CATALOGUE["knee_extension_seated"].name in card("dev-1")
    assert CATALOGUE["heel_slide"].name in card("dev-2")
    _shot(d, "clinic-live.png")
    k2.link.live_listener(event(EventKind.SESSION_ENDED, session="s-2", exercise="heel_slide"))
    wait_until(d, lambda drv: not drv.find_elements(By.ID, "live-dev-2"), 10)
    stopped = event(EventKind.SET_ENDED)  # dev-1's camera unplugged: the set ended by it
    stopped.extra["failed"] = True
    k1.link.live_listener(stopped)
    wait_until(d, lambda _d: "sensor stopped" in card("dev-1"), 10)

    # --- Messages: the patient writes, the therapist replies, the device has it --------
    k1.link.send_message("The left knee is sore after the second set.")
    d.find_element(By.LINK_TEXT, "Messages").click()  # type: ignore[attr-defined]

    def inbox_has_it(drv: object) -> bool:
        drv.refresh()  # type: ignore[attr-defined]
        return "dev-1" in drv.find_element(By.CSS_SELECTOR, "table.inbox").text  # type: ignore[attr-defined,no-any-return]

    wait_until(d, inbox_has_it, 20)
    d.find_element(By.PARTIAL_LINK_TEXT, "dev-1").click()  # type: ignore[attr-defined]
    wait_until(d, lambda drv: "sore after the second set" in drv.find_element(
        By.CSS_SELECTOR, "ol.thread").text)
    d.find_element(By.NAME, "text").send_keys(  # type: ignore[attr-defined]
        "Thanks. Do one set today and ice it afterwards; we talk on Thursday.")
    d.find_element(By.XPATH, "//button[text()='Sign and send']").click()  # type: ignore[attr-defined]
    wait_until(d, lambda drv: "Message signed and sent." in drv.page_source)
    got = wait_for(lambda: [m for m in k1.store.messages()
                            if m.direction == Direction.TO_PATIENT], 15, "the reply on dev-1")
    assert got[0].text == "Thanks. Do one set today and ice it afterwards; we talk on Thursday."
    book = d.find_element(By.CSS_SELECTOR, "form.book input[name=start]")  # type: ignore[attr-defined]
    d.execute_script("arguments[0].value = '2030-03-07T10:30'", book)  # type: ignore[attr-defined]
    d.find_element(By.XPATH, "//button[text()='Book']").click()  # type: ignore[attr-defined]
    wait_until(d, lambda drv: "Appointment signed and sent." in drv.page_source)
    appts = wait_for(k1.store.appointments, 15, "the appointment on dev-1")
    assert appts[0].start_at.strftime("%Y-%m-%d %H:%M") == "2030-03-07 10:30"

    def delivered(drv: object) -> bool:
        drv.refresh()  # type: ignore[attr-defined]
        return " · delivered" in drv.find_element(By.CSS_SELECTOR, "ol.thread").text  # type: ignore[attr-defined,no-any-return]

    wait_until(d, delivered, 20, lambda: "' · delivered' on the thread; clinic's messages "
               f"{serve_messages(serve)}" + far_end(serve, k1))
    _shot(d, "clinic-messages.png")

    # --- Plan editor: choose, preview, sign and push; the device applies it ------------
    d.find_element(By.LINK_TEXT, "Plan").click()  # type: ignore[attr-defined]
    wait_until(d, lambda drv: drv.find_element(By.TAG_NAME, "h1").text.startswith("Plan"))
    Select(d.find_element(By.NAME, "ex_0")).select_by_value("knee_extension_seated")  # type: ignore[attr-defined]
    Select(d.find_element(By.NAME, "side_0")).select_by_value("left")  # type: ignore[attr-defined]
    for name, value in (("sets_0", "3"), ("reps_0", "12"), ("rom_0", "65")):
        d.find_element(By.NAME, name).send_keys(value)  # type: ignore[attr-defined]
    Select(d.find_element(By.NAME, "ex_1")).select_by_value("heel_slide")  # type: ignore[attr-defined]
    d.find_element(By.XPATH, "//button[text()='Preview']").click()  # type: ignore[attr-defined]
    wait_until(d, lambda drv: drv.find_elements(By.ID, "preview"))
    preview = d.find_element(By.ID, "preview").text  # type: ignore[attr-defined]
    assert "3 × 12" in preview and "65°" in preview
    assert CATALOGUE["heel_slide"].instructions.split(".")[0] in preview
    d.find_element(By.XPATH, "//button[text()='Sign and push']").click()  # type: ignore[attr-defined]
    wait_until(d, lambda drv: "Plan signed and pushed" in drv.page_source)
    wait_for(k1.store.current_plan, 15, "the plan on dev-1")
    plan = k1.store.current_plan()[0]  # type: ignore[index]
    assert (plan.version, plan.exercises[0].reps, plan.exercises[0].target_rom_deg) == (1, 12, 65)

    def applied(drv: object) -> bool:
        drv.refresh()  # type: ignore[attr-defined]
        return drv.find_element(By.ID, "plan-status").find_elements(  # type: ignore[attr-defined,no-any-return]
            By.CSS_SELECTOR, ".applied-version")

    wait_until(d, applied, 20, lambda: "the applied version on the plan page" + far_end(serve, k1))
    assert d.find_element(By.CSS_SELECTOR, ".applied-version").text == "1"  # type: ignore[attr-defined]
    d.execute_script("window.scrollTo(0, 0)")  # type: ignore[attr-defined]
    Select(d.find_element(By.NAME, "ex_2")).select_by_value("bridge")  # type: ignore[attr-defined]
    d.find_element(By.XPATH, "//button[text()='Preview']").click()  # type: ignore[attr-defined]
    wait_until(d, lambda drv: drv.find_elements(By.ID, "preview"))
    _shot(d, "clinic-plan.png")
    d.get("about:blank")  # type: ignore[attr-defined]  # closes the live stream before the stop
    assert serve.terminate() == 0
