"""Video visits wired into the kiosk's flow (no Kivy; the fake call adapter): a call from
the clinic puts the consent question up wherever the patient is, and hanging up leads
back there; mid-PIN it waits and comes up right after the PIN; a set started during the
connected call is stored and queued marked supervised with the visit's appointment; the
kiosk does not lock itself during a call."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from flow_helpers import PIN, enter, unlock, until
from visit_kiosk import kiosk, offer
from kiosk.vm.flow_visit import VISIT_WAITING
from kiosk.vm.visit import Phase
from therapy.plan import exercise_from_catalogue
from therapy.supervised import VISIT_EXT, is_supervised


async def test_a_call_shows_wherever_the_patient_is_and_hanging_up_returns_there(
        tmp_path: Path) -> None:
    k = kiosk(tmp_path / "d")
    flow, vm = k.flow, k.vm
    unlock(flow)
    flow.go("progress")
    vm.offered(offer(1))
    assert flow.current == "visit" and k.screens.shown[-1] == ("visit", False)
    assert vm.phase == Phase.RINGING and not vm.camera_on  # the consent question first
    await vm.accept()
    k.calls[0].connect()
    assert vm.phase == Phase.IN_CALL and flow.current == "visit"
    k.mono.t += k.model.lock.lock_after_s + 1  # no touch for the lock timeout
    flow.second()
    assert flow.current == "visit" and not k.model.lock.locked  # no lock mid-call
    await vm.hang_up()
    assert flow.current == "visit" and vm.phase == Phase.ENDED  # why it ended, and OK
    flow.visit_done()
    assert flow.current == "progress" and k.screens.shown[-1] == ("progress", True)
    k.model.close()


async def test_mid_pin_the_call_waits_and_comes_up_after_the_pin(tmp_path: Path) -> None:
    k = kiosk(tmp_path / "d")
    flow, vm = k.flow, k.vm
    flow.go("lock")
    flow.key("2")
    flow.key("5")  # half-way through the PIN
    vm.offered(offer(2))
    assert flow.current == "lock" and flow.lock_view().dots == "● ●"  # the digits typed are kept
    assert flow.lock_view().notice == VISIT_WAITING  # says why, no health data
    flow.key("8")
    flow.key("0")
    flow.submit_entry()
    assert flow.current == "visit" and vm.phase == Phase.RINGING
    vm.decline()
    flow.visit_done()
    assert flow.current in ("intake", "today")  # where the PIN led (first run: intake)
    assert flow.lock_view().notice == ""
    k.model.close()


async def test_a_call_that_stops_ringing_on_the_lock_screen_leaves_no_notice(
        tmp_path: Path) -> None:
    k = kiosk(tmp_path / "d")
    k.flow.go("lock")
    k.vm.offered(offer(3))
    assert k.flow.lock_view().notice == VISIT_WAITING
    k.vm.decline()  # stands in for the clinic giving up: no longer active
    assert k.flow.lock_view().notice == ""
    enter(k.flow, PIN)
    assert k.flow.current != "visit"
    k.model.close()


@pytest.mark.timeout(60)
async def test_a_set_during_the_call_is_marked_supervised(
        tmp_path: Path) -> None:
    k = kiosk(tmp_path / "d")
    flow, vm, model = k.flow, k.vm, k.model
    unlock(flow)
    ex = dataclasses.replace(exercise_from_catalogue("knee_extension_seated"), sets=1,
                             reps=2)
    vm.offered(offer(4))
    await vm.accept()
    k.calls[0].connect()
    sup = vm.supervision
    assert sup is not None
    assert k.screens.shown[-1] == ("visit", True)  # in the call: the top bar is there
    flow.go("today")
    flow.start_exercise(ex)  # the therapist asks for a set (the patient taps Start)
    run = model.run
    assert run is not None and run.ctl.appointment_id == "appt-4"
    flow.pain_vm.choose(1)
    flow.pain_done()
    flow.begin_set()
    assert flow.current == "live"
    await until(lambda: run.live.reps_in_set >= 1, 30, "a rep", flow.frame)
    vm.signal(_cue(sup.call))  # a cue mid-set: spoken, the set stays on screen
    assert flow.current == "live"
    await until(lambda: flow.current == "pain", 30, "pain after", flow.frame)
    flow.pain_vm.choose(1)
    flow.pain_done()
    await until(lambda: flow.current == "summary", 20, "the summary")
    rows = [json.loads(r.payload) for r in model.store.outbox_batch(0, 100)]
    bundles = [b for b in rows if b.get("resourceType") == "Bundle"]
    [bundle] = bundles
    summary = bundle["entry"][0]["resource"]
    assert is_supervised(bundle) and is_supervised(summary)
    assert {"url": VISIT_EXT, "valueString": "appt-4/call-4"} in summary["extension"]
    await vm.hang_up()
    vm.dismiss()
    assert vm.supervision is None
    k.model.close()


def _cue(call: str) -> Any:
    from mqtt.visit import Cue, CueKind

    return Cue(call, CueKind.SLOWER, "Slower")


@pytest.mark.timeout(30)
async def test_one_capture_feeds_the_pose_worker_and_the_call_and_closes_after_both(
        tmp_path: Path) -> None:
    from kiosk.adapters.camera import CallCamera, SharedCamera
    from sensors.camera.pose import ScriptedPose
    from sensors.camera.synthetic import SyntheticFrames

    sources: list[SyntheticFrames] = []

    def capture(device: Any) -> SyntheticFrames:
        assert device == "/dev/video-test"
        sources.append(SyntheticFrames(64, 48, 30.0))
        return sources[-1]

    cam = SharedCamera("/dev/video-test", capture=capture, pose=lambda: ScriptedPose([]))
    preview = cam.preview()
    assert preview.latest() is None  # nothing open: the screen keeps no camera on
    worker = cam.open_pose()  # the camera set-up
    call = CallCamera(cam).subscribe("call")  # a visit answered meanwhile
    assert cam.opened_ == 1 and len(sources) == 1  # one capture, two consumers
    await until(lambda: worker.frames_ >= 3 and call.latest() is not None, 10, "frames")
    await until(lambda: preview.latest() is not None, 5, "the preview")
    await asyncio.to_thread(worker.stop)  # leaving the set-up: the call goes on
    got = call.read(timeout_s=2.0)
    assert got is not None and got[1].shape == (48, 64, 3)
    call.close()  # the call ended: the last consumer left, the camera is closed
    assert cam._hub is None and preview.latest() is None
    again = cam.subscribe("call")
    assert cam.opened_ == 2
    again.close()
    # no camera at all: a call still goes, with a blank picture
    none = CallCamera(SharedCamera(dev_dir=tmp_path)).subscribe("call")
    assert none.latest() is None
    none.close()


async def test_a_call_during_the_camera_check_closes_it_and_returns_to_settings(
        tmp_path: Path) -> None:
    k = kiosk(tmp_path / "d")
    flow = k.flow
    stopped: list[int] = []
    worker = type("Worker", (), {"stop": lambda self: stopped.append(1),
                                 "latest": lambda self: None})()
    k.model.camera = lambda: worker
    unlock(flow)
    flow.go_direct("installer")  # behind the installer code (its own tests cover it)
    flow.open_camera_setup()
    assert flow.current == "camera_setup"
    k.vm.offered(offer(5))
    assert flow.current == "visit" and flow.camera_worker is None
    await until(lambda: stopped == [1], 5, "the camera check's worker stopped")
    k.vm.decline()
    flow.visit_done()
    assert flow.current == "settings"  # the patient's Settings: the installer's need the code
    k.model.close()
