"""A set that reaches its target while the patient is on the call's screen (issue 16), through
the Kivy-free flow with the fake call adapter: on live wearables (which stream on until told,
unlike the demo simulator that stops after its reps) the set used to end only once the
patient came back to the set's screen, because only that screen's frame tick polled it. It
ends where it is now, behind the call, a grace after the target rep; the call's screen stays
up, and pain after and the summary wait for "Back to your exercise"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flow_helpers import until
from tests.helpers.flow_set import begin_one_set
from visit_kiosk import in_call, kiosk
from kiosk.adapters.sources import OpenSet
from kiosk.vm.live import SensorStatus
from kiosk.run import SET_END_GRACE_S
from therapy.plan import PlanExercise

SPEED = 60.0
STILL_AFTER_S = 1200.0  # the patient sits still after the reps: 20 s real at SPEED


class LiveLikeWearables:
    """The simulated wearable as a live one: not a demo, and it goes on streaming (the
    patient resting) long after the reps, until the set closes it."""

    demo = False

    def open(self, ex: PlanExercise, set_no: int) -> OpenSet:
        from sensors.sim import SimConfig, sim_sources

        cfg = SimConfig(exercise_id=ex.exercise_id, reps=ex.reps, seed=set_no,
                        two_segment=ex.two_imu, rom_deg=ex.target_rom_deg, hold_s=ex.hold_s,
                        up_s=ex.up_s, down_s=ex.down_s, initial_still_s=1.5,
                        final_still_s=STILL_AFTER_S)
        distal, proximal = sim_sources(cfg, realtime=True, chunk_size=4, speed=SPEED)
        status = (SensorStatus("Knee sensor", True, 90, "good"),)
        return OpenSet(distal, proximal, lambda: status)


@pytest.mark.timeout(60)
async def test_a_set_reaching_its_target_behind_the_call_ends_there(tmp_path: Path) -> None:
    k = kiosk(tmp_path / "d")
    flow, model, mono = k.flow, k.model, k.mono
    model.sources = LiveLikeWearables()
    spoken: list[str] = []
    flow.audio.say = spoken.append  # type: ignore[method-assign]
    try:
        await in_call(k, 1)
        ex = begin_one_set(flow, "knee_extension_seated", 3)
        assert flow.current == "live"
        run = model.run
        assert run is not None

        def tick() -> None:  # the app's frame clock: 50 ms of the kiosk's clock a frame
            mono.t += 0.05
            flow.frame()

        await until(lambda: run.live.reps_in_set >= 1, 20, "a rep", tick)
        flow.visit_bar_pressed()  # Back to your therapist, mid-set
        assert flow.current == "visit"
        await until(lambda: run.live.reps_in_set >= ex.reps, 20, "the target behind the call",
                    tick)
        reached = mono.t
        # the wearable streams on (STILL_AFTER_S), yet the set ends where it is
        await until(lambda: not run.set_running, 10, "the set to end behind the call", tick)
        assert mono.t - reached >= SET_END_GRACE_S  # after the grace for the last rep
        for _ in range(5):
            tick()
        assert flow.current == "visit" and model.run is run  # the call stays up
        assert str(ex.reps) in spoken  # the count was said as it came, behind the call
        bar = flow.visit_bar()
        assert bar is not None

        spoken.clear()
        flow.visit_bar_pressed()  # Back to your exercise: the set's end, then pain after
        assert flow.current == "live"
        tick()
        assert flow.current == "pain"
        assert not any(s.isdigit() for s in spoken)  # no stale counts said all at once
        flow.pain_vm.choose(1)
        flow.pain_done()
        await until(lambda: flow.current == "summary", 20, "the summary")
        summary: Any = flow.summary_vm
        assert summary.reps == ex.reps and summary.completed
    finally:
        model.close()
