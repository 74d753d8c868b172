"""What to simulate: :class:`SimConfig` (exercise, reps, tempo, noise) and its errors."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from exercises.body import Joint
from exercises.catalogue import CATALOGUE, Exercise
from sensors.sim.geometry import GEOMETRY, LimbGeometry
from sensors.source import SensorError


class SimError(SensorError):
    """A simulation that cannot be run as asked (unknown exercise, bad rep list...)."""


class RepKind(StrEnum):
    """How one simulated repetition is performed. Values reach the truth JSON."""

    CORRECT = "correct"
    FAST = "fast"  # up/down x FAST_TEMPO_FACTOR, no hold
    PARTIAL = "partial"  # ROM x PARTIAL_ROM_FACTOR


FAST_TEMPO_FACTOR = 0.45
PARTIAL_ROM_FACTOR = 0.5

# Proximal angle = coupling * exercise angle (+ sway): how much the proximal segment follows.
DEFAULT_COUPLING: dict[Joint, float] = {
    Joint.KNEE: 0.15,
    Joint.ELBOW: 0.2,
    Joint.HIP: 0.1,
    Joint.SHOULDER: 0.05,
    Joint.TRUNK: 0.1,
    Joint.ANKLE: 0.05,
}


@dataclass(frozen=True, slots=True)
class SimConfig:
    """One simulated set. ``None`` timing/ROM fields take the catalogue's values.

    Noise defaults are those of a consumer MEMS IMU (gyro bias up to ~1.5 °/s, white noise
    ~0.2 °/s, accel bias up to 0.05 m/s²). ``mounting="random"`` turns the sensor on its
    segment by a seeded uniformly random rotation; ``"strapped"`` follows the wearing rule
    for two sensors (face out on the same side of the limb, tilted up to 25°, strap at any
    angle); ``"identity"`` aligns it with the segment; ``"auto"`` (default) is strapped
    for two segments and random for one.
    """

    exercise_id: str = "knee_extension_seated"
    reps: int = 10
    rate_hz: float = 100.0
    seed: int = 0
    two_segment: bool = False
    rom_deg: float | None = None
    rom_jitter: float = 0.08
    hold_s: float | None = None
    up_s: float | None = None
    down_s: float | None = None
    rest_s: float | None = None
    tempo_jitter: float = 0.15
    rep_kinds: tuple[str, ...] | None = None
    partial_rom_factor: float = PARTIAL_ROM_FACTOR  # a "partial" rep's share of the ROM
    # The level each rep comes back to, drawn about the first rest's (sd, as a share of the
    # ROM): a patient does not put the limb down in the same place every time. 0 (the
    # default) rests every rep at the same angle; the recorded subjects' rest level moves
    # by a median 3 % of the ROM from one rep to the next, 13-16 % at the 90th percentile.
    rest_jitter: float = 0.0
    initial_still_s: float = 2.0
    final_still_s: float = 2.0
    sensor_distance_m: float = 0.3
    proximal_sensor_distance_m: float | None = None  # None -> half the proximal segment
    mounting: str = "auto"
    off_axis_wobble_deg: float = 1.5
    gyro_noise_rad_s: float = 0.004
    gyro_bias_rad_s: float = 0.026
    gyro_bias_drift_rad_s_sqrt_s: float = 0.0005
    accel_noise_m_s2: float = 0.03
    accel_bias_m_s2: float = 0.05
    drop_prob: float = 0.002
    gap_s: float = 0.0
    proximal_coupling: float | None = None
    proximal_sway_deg: float = 4.0
    t0_s: float = 0.0

    @property
    def exercise(self) -> Exercise:
        try:
            return CATALOGUE[self.exercise_id]
        except KeyError:
            known = ", ".join(sorted(CATALOGUE))
            raise SimError(f"unknown exercise {self.exercise_id!r}; known: {known}") from None

    @property
    def geometry(self) -> LimbGeometry:
        """The simulated limb for this exercise (:mod:`sensors.sim.geometry`)."""
        _ = self.exercise
        try:
            return GEOMETRY[self.exercise_id]
        except KeyError:
            raise SimError(f"the simulator has no limb geometry for {self.exercise_id!r}: "
                           "add it to sensors/sim/geometry.py") from None

    def mounting_mode(self) -> str:
        if self.mounting == "auto":
            return "strapped" if self.two_segment else "random"
        return self.mounting

    def kinds(self) -> tuple[RepKind, ...]:
        """The kind of each rep (all correct unless ``rep_kinds`` says otherwise)."""
        if self.rep_kinds is None:
            return (RepKind.CORRECT,) * self.reps
        if len(self.rep_kinds) != self.reps:
            raise SimError(f"rep_kinds has {len(self.rep_kinds)} entries for {self.reps} reps")
        try:
            return tuple(RepKind(k) for k in self.rep_kinds)
        except ValueError as exc:
            raise SimError(f"{exc}; rep kinds are {', '.join(k.value for k in RepKind)}") from exc

    def validate(self) -> None:
        """Raise :class:`SimError` saying what to change when the config cannot run."""
        _ = self.geometry
        if self.reps < 1:
            raise SimError(f"reps must be >= 1, got {self.reps}")
        if not 1.0 <= self.rate_hz <= 1000.0:
            raise SimError(f"rate_hz must be within 1..1000, got {self.rate_hz}")
        if self.mounting not in ("auto", "random", "identity", "strapped"):
            raise SimError(
                f"mounting must be 'auto', 'random', 'strapped' or 'identity', got {self.mounting!r}"
            )
        if not 0.0 <= self.drop_prob < 0.5:
            raise SimError(f"drop_prob must be within [0, 0.5), got {self.drop_prob}")
        if self.gap_s < 0.0 or self.initial_still_s < 0.0 or self.final_still_s < 0.0:
            raise SimError("gap_s, initial_still_s and final_still_s must be >= 0")
        if not 0.0 <= self.rest_jitter <= 0.5:
            raise SimError(f"rest_jitter must be within [0, 0.5], got {self.rest_jitter}")
        if not 0.0 < self.partial_rom_factor <= 1.0:
            raise SimError(f"partial_rom_factor must be within (0, 1], got "
                           f"{self.partial_rom_factor}")
        self.kinds()

    @property
    def coupling(self) -> float:
        if self.proximal_coupling is not None:
            return self.proximal_coupling
        return DEFAULT_COUPLING.get(self.exercise.joint, 0.1)
