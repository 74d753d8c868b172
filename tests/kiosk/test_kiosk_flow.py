"""The kiosk's whole day through :class:`kiosk.vm.flow.KioskFlow`, without Kivy: a real
model (SQLite store, simulated wearables at speed, the real access and lock), injected
time, and a navigator that records what the screen side was asked to show.

First-run PIN, intake, today -> exercise -> pain before -> instruction -> live -> pause
and auto-lock -> PIN -> back on the paused set -> finish -> pain after -> summary; a full
store keeps the pain screen and a second Done stores once; a high pain before stops; a red
flag in the check-in stops; reminders; the inactivity lock; the patient's Settings open
and the installer's behind the installer code."""

from __future__ import annotations

import ast
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from day_plan import PLAN
from fake_navigator import Monotonic, Screens
from full_store import fill, free
from flow_helpers import CODE, PIN, enter, silent_audio, unlock, until

from kiosk.adapters.audio import AudioCues
from kiosk.adapters.history import History
from kiosk.adapters.sources import SimSourceFactory
from kiosk.errors import STORAGE_PROBLEM_TEXT
from kiosk.model import KioskModel
from kiosk.settings import load_settings, save_settings
from kiosk.vm.flow import REMINDER_TEXT, KioskFlow
from kiosk.vm.pain import ADVICE, PainStage
from therapy.plan import parse_plan
from therapy.ports import FakeClock

LOCAL_HELPERS = {"full_store", "day_plan", "fake_navigator", "flow_helpers"}


@dataclasses.dataclass
class Kiosk:
    flow: KioskFlow
    model: KioskModel
    screens: Screens
    mono: Monotonic
    audio: AudioCues
    woken: list[int]


def kiosk(data: Path, *, speed: float = 40.0, clock: FakeClock | None = None,
          pin: str | None = PIN) -> Kiosk:
    if pin is not None:
        data.mkdir(parents=True, exist_ok=True)
        save_settings(data, load_settings(data).with_pin(pin).with_code(CODE))
    mono = Monotonic()
    model = KioskModel(data, sources=SimSourceFactory(speed=speed), monotonic=mono,
                       clock=clock or FakeClock(datetime.now(UTC)))
    screens, woken = Screens(), []
    audio = silent_audio()
    flow = KioskFlow(model, screens, audio, wake=lambda: woken.append(1))
    return Kiosk(flow, model, screens, mono, audio, woken)



def test_the_flow_and_its_test_import_no_kivy(modules_loaded_by) -> None:
    names = set()
    here = Path(__file__)
    for f in (here, *(here.with_name(f"{m}.py") for m in sorted(LOCAL_HELPERS))):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
    names -= LOCAL_HELPERS
    assert "kiosk.vm.flow" in names
    assert sorted(m for m in modules_loaded_by(*sorted(names))
                  if m.split(".")[0] == "kivy") == []


@pytest.mark.timeout(60)
async def test_a_whole_day_without_kivy(tmp_path: Path) -> None:
    k = kiosk(tmp_path / "data", pin=None)  # a new kiosk: no PIN yet
    flow, model, mono = k.flow, k.model, k.mono
    model.store.save_plan(parse_plan(PLAN), json.dumps(PLAN), datetime.now(UTC))
    flow.go("lock")
    assert flow.current == "lock" and k.screens.shown == [("lock", False)]
    view = flow.lock_view()
    assert view.message.startswith("Welcome! Choose a PIN") and view.actions == ()
    flow.go("today")  # nothing opens before a PIN is chosen
    assert flow.current == "lock"
    enter(flow, PIN)
    assert flow.lock_view().message == "Enter the new PIN again"
    enter(flow, PIN)
    assert flow.current == "intake" and flow.intake_vm.first_run  # chosen: unlocked

    vm = flow.intake_vm
    vm.condition = "About the same"
    vm.toggle_goal("Climb stairs")
    flow.intake_done()
    assert flow.current == "intake"  # not every question answered yet
    for key in vm.flags:
        vm.answer(key, False)
    flow.intake_done()
    assert flow.current == "today"

    flow.start_exercise(model.plan()[0].exercises[0])
    assert flow.current == "pain" and flow.pain_vm.stage == PainStage.BEFORE
    flow.pain_vm.choose(2)
    flow.pain_done()
    assert flow.current == "instruction"
    flow.begin_set()
    assert flow.current == "live"
    run = model.run
    assert run is not None
    await until(lambda: run.live.reps_in_set >= 1, 20, "a rep", flow.frame)
    flow.frame()
    assert k.audio.spoken[0] == "Set 1. Begin when ready."  # spoken by the frame tick
    assert k.audio.spoken[1].startswith("1")  # the count

    flow.pause_set()
    assert run.paused
    mono.t += model.lock.lock_after_s  # no touch for the lock timeout while paused
    flow.second()
    assert flow.current == "lock" and model.lock.locked
    assert flow.lock_view().message == "Enter your PIN"  # no health data
    enter(flow, PIN)
    assert flow.current == "live" and run.paused  # back to the paused set
    flow.pause_set()
    assert not run.paused
    await until(lambda: run.live.resting, 30, "the end of set 1", flow.frame)
    flow.second()  # a set resting between sets is not busy, but there was a touch
    assert flow.current == "live"
    flow.begin_set()
    await until(lambda: flow.current == "pain", 30, "pain after", flow.frame)

    assert flow.pain_vm.stage == PainStage.AFTER and flow.pain_vm.before == 2
    flow.pain_vm.choose(3)
    flow.pain_done()
    assert flow.finishing is not None
    await flow.finishing  # written off the UI thread
    assert flow.current == "summary" and model.run is None
    assert flow.summary_vm is not None and flow.summary_vm.pain_text.startswith(
        "Pain before 2 / after 3")
    flow.go("today")
    assert model.today().all_done
    assert [name for name, _bar in k.screens.shown] == [
        "lock", "lock", "intake", "today", "pain", "instruction", "live",
        "lock", "live", "live", "pain", "summary", "today"]  # set 2: live again

    hist = History(model.store.path)
    (row,) = hist.sessions()
    assert row.sets_done == 2 and (row.pain_before, row.pain_after) == (2, 3)
    hist.close()
    assert [str(a.kind) for a in model.store.audit_records()] == [
        "pin_set", "locked", "unlocked"]
    model.close()


@pytest.mark.timeout(60)
async def test_a_full_store_keeps_the_pain_screen_and_done_again_stores_once(
        tmp_path: Path) -> None:
    k = kiosk(tmp_path / "data", speed=60.0)
    flow, model = k.flow, k.model
    unlock(flow)
    ex = dataclasses.replace(model.plan()[0].exercises[0], sets=1, reps=2)
    flow.start_exercise(ex)
    flow.pain_vm.choose(1)
    flow.pain_done()
    flow.begin_set()
    await until(lambda: flow.current == "pain", 20, "pain after", flow.frame)
    flow.pain_vm.choose(2)
    waiting = model.outbox_waiting()  # the unlock's audit event
    fill(model)
    flow.pain_done()
    first = flow.finishing
    flow.pain_done()  # a second tap while the record is being written: nothing more
    assert first is not None and flow.finishing is first
    await first
    assert flow.current == "pain" and k.screens.redrawn[-1] == "pain"
    assert flow.pain_vm.question == STORAGE_PROBLEM_TEXT  # the screen's headline
    flow.pain_done()  # Done again, the disk still full
    assert flow.finishing is not None
    await flow.finishing
    assert flow.current == "pain" and model.store.session_ids() == []
    free(model)
    flow.pain_done()
    assert flow.finishing is not None
    await flow.finishing
    assert flow.current == "summary" and flow.pain_vm.problem == ""
    assert model.store.session_ids() == [flow.summary_vm and model.store.session_ids()[0]]
    # the session, one pain-before and ONE pain-after report, each with its outbox row
    assert len(model.store.record_ids()) == 3 and model.outbox_waiting() == waiting + 3
    model.close()


def test_high_pain_before_and_a_red_flag_stop_the_exercise(tmp_path: Path) -> None:
    k = kiosk(tmp_path / "data")
    flow, model = k.flow, k.model
    unlock(flow)
    ex = model.plan()[0].exercises[0]
    flow.start_exercise(ex)
    flow.pain_vm.choose(9)
    assert flow.pain_vm.flagged and flow.pain_vm.advice == ADVICE
    flow.pain_stop()  # "Back to Today"
    assert flow.current == "today" and model.run is None
    assert len(model.store.record_ids()) == 1  # the flagged report, for the clinic

    flow.intake_vm = check = model.intake_needed() or pytest.fail("intake expected")
    for key in check.flags:
        check.answer(key, key == "fall")
    if check.first_run:
        check.condition = "About the same"
    flow.intake_done()
    assert model.red_flag_today()
    flow.start_exercise(ex)  # exercise is paused today
    assert flow.current == "today" and model.run is None
    model.close()


async def test_reminders_fire_once_at_the_plan_time_and_wake_the_screen(
        tmp_path: Path) -> None:
    ten_past = datetime.now().astimezone().replace(hour=10, minute=5, second=0,
                                                   microsecond=0)
    clock = FakeClock(ten_past.astimezone(UTC))
    k = kiosk(tmp_path / "data", clock=clock)
    flow = k.flow
    flow.go("lock")
    assert k.model.settings.reminder_times[0] == "10:00"
    flow.second()
    assert flow.lock_view().notice == REMINDER_TEXT and k.woken == [1]
    assert k.audio.spoken == ["<chime>"]
    clock.advance(60)
    flow.second()  # the same reminder does not fire again
    assert k.woken == [1] and k.audio.spoken == ["<chime>"]
    enter(flow, PIN)
    assert flow.reminder_notice == ""  # the patient is here
    clock.advance(timedelta(hours=7).total_seconds())  # 17:05: one session a day only
    flow.second()
    assert k.woken == [1]
    k.model.close()


def test_inactivity_lock_and_the_installer_code_gate(tmp_path: Path) -> None:
    k = kiosk(tmp_path / "data")
    flow, model, mono = k.flow, k.model, k.mono
    unlock(flow)
    flow.go("messages")
    mono.t += model.lock.lock_after_s - 1
    flow.touch()
    mono.t += model.lock.lock_after_s - 1
    flow.second()
    assert flow.current == "messages"  # the touch started the timer again
    flow.go("settings")  # the patient's own Settings: open with the kiosk unlocked
    assert flow.current == "settings" and k.screens.shown[-1] == ("settings", True)
    flow.open_installer()  # its Installer settings: the code first
    assert flow.current == "lock" and flow.lock_view().actions == ("Back",)
    enter(flow, PIN)  # the patient's PIN does not open them
    assert flow.current == "lock" and "not right" in flow.lock_view().message
    flow.leave_settings_prompt()
    assert flow.current == "settings"  # back where the patient was
    flow.go("installer")  # whatever the way, the code first
    assert flow.current == "lock"
    enter(flow, CODE)
    assert flow.current == "installer" and k.screens.shown[-1] == ("installer", True)
    flow.change_settings(lock_after_s=60.0)  # the installer's: audited as theirs
    assert [(str(a.kind), str(a.actor)) for a in model.store.audit_records()][-1] == (
        "settings_changed", "installer")
    flow.go("settings")
    flow.change_settings(text_scale=1.2)  # the patient's own: audited as theirs
    assert [(str(a.kind), str(a.actor)) for a in model.store.audit_records()][-1] == (
        "settings_changed", "patient")
    flow.go("installer")  # left the installer's screen: the code again
    assert flow.current == "lock"
    enter(flow, CODE)
    assert flow.current == "installer"
    mono.t += model.lock.lock_after_s
    flow.second()
    assert flow.current == "lock" and k.screens.shown[-1] == ("lock", False)
    assert flow.lock_view().actions == ("Change PIN",)
    assert [str(a.kind) for a in model.store.audit_records()][-1] == "locked"
    model.close()


async def test_the_camera_set_up_gate_stops_the_camera_off_the_ui_thread(
        tmp_path: Path) -> None:
    import threading

    from kiosk.adapters.camera import NoCamera

    class Camera:  # a started camera worker: stopping it joins its threads
        def __init__(self) -> None:
            self.stopped_on: list[int] = []

        def latest(self) -> None:
            return None

        def stop(self) -> None:
            self.stopped_on.append(threading.get_ident())

    k = kiosk(tmp_path / "data")
    flow, model = k.flow, k.model
    unlock(flow)

    def no_camera() -> Any:
        raise NoCamera("No camera found: plug in the USB camera and try again.")

    model.camera = no_camera
    flow.open_camera_setup()
    assert flow.current == "installer" and flow.camera_message.startswith("No camera found")
    cam = Camera()
    model.camera = lambda: cam
    flow.open_camera_setup()
    assert flow.current == "camera_setup" and k.screens.camera is cam
    assert flow.camera_message == ""
    flow.go("today")  # left by the top bar: the preview goes, the camera stops
    assert flow.current == "today" and k.screens.camera is None
    await until(lambda: bool(cam.stopped_on), 5, "the camera to stop")
    assert cam.stopped_on != [threading.get_ident()]  # not on the UI thread
    flow.go("settings")
    flow.open_installer()
    enter(flow, CODE)
    flow.open_camera_setup()
    flow.close_camera_setup()  # Back or Done
    assert flow.current == "installer" and k.screens.camera is None
    await until(lambda: len(cam.stopped_on) == 2, 5, "the camera to stop again")
    model.close()


def test_the_patient_changes_their_pin_from_settings(tmp_path: Path) -> None:
    from kiosk.vm.flow import PIN_CHANGED

    k = kiosk(tmp_path / "data")
    flow, model = k.flow, k.model
    unlock(flow)
    flow.go("settings")  # the patient's own Settings > Change PIN: no installer code
    flow.change_my_pin()  # the keypad, the kiosk still unlocked
    assert flow.current == "lock" and not model.lock.locked
    assert flow.lock_view().actions == ("Cancel",)  # changing, not unlocking
    flow.cancel_pin_flow()  # Cancel: back to Settings, unlocked (it left the kiosk locked)
    assert flow.current == "settings" and not model.lock.locked and flow.pin_flow is None
    flow.change_my_pin()
    for entry in (PIN, "3691", "3691"):  # the old PIN, then the new one twice
        enter(flow, entry)
    assert flow.pin_flow is None and flow.current == "settings" and not model.lock.locked
    assert flow.notice_on("settings") == PIN_CHANGED
    flow.lock_now()
    enter(flow, PIN)  # the old one no longer opens the kiosk
    assert flow.current == "lock" and "not right" in flow.lock_view().message
    enter(flow, "3691")
    assert flow.current != "lock" and not model.lock.locked
    kinds = [str(a.kind) for a in model.store.audit_records()]
    assert kinds[-4:] == ["pin_changed", "locked", "pin_failed", "unlocked"]
    model.close()
