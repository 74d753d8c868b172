"""Where a set's samples come from. With no wearables paired: the simulator in real time,
labelled "Demo sensors" everywhere it shows. BLE/serial/camera factories plug in here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from kiosk.i18n import _
from kiosk.vm.live import SensorStatus, placement_name
from sensors.source import SampleSource
from therapy.plan import PlanExercise


StatusFn = Callable[[], tuple[SensorStatus, ...]]


class SourceFactory(Protocol):
    """Opens one set's sources: (distal, proximal or None, a function giving the sensors'
    current status for the live screen)."""

    demo: bool

    def open(self, ex: PlanExercise, set_no: int) -> tuple[
        SampleSource, SampleSource | None, StatusFn]: ...


class SimSourceFactory:
    """Simulated wearables (``sensors.sim``), streamed in real time x ``speed``."""

    demo = True

    def __init__(self, speed: float = 1.0, seed: int = 0) -> None:
        self.speed = speed
        self.seed = seed

    def open(self, ex: PlanExercise, set_no: int) -> tuple[
            SampleSource, SampleSource | None, StatusFn]:
        from sensors.sim import SimConfig, sim_sources

        cfg = SimConfig(exercise_id=ex.exercise_id, reps=ex.reps, seed=self.seed + set_no,
                        two_segment=ex.two_imu, rom_deg=ex.target_rom_deg, hold_s=ex.hold_s,
                        up_s=ex.up_s, down_s=ex.down_s, initial_still_s=1.5,
                        final_still_s=1.0)
        # 4 samples at 100 Hz: 25 updates a second, about what a BLE wearable notifies
        distal, proximal = sim_sources(cfg, realtime=True, chunk_size=4, speed=self.speed)
        names = [_("Demo sensor ({placement})").format(placement=placement_name(seg).lower())
                 for seg in ex.sensors]
        status = tuple(SensorStatus(n, True, None, "good", demo=True) for n in names)
        return distal, proximal, lambda: status
