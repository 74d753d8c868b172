"""What one set is measured against, as one value: :class:`SetParams`, and the one place an
analyzer is built from it (:func:`build_analyzer`).

The kiosk, ``rehab session``, ``rehab sim`` and ``rehab replay`` all build their
:class:`~motion.pipeline.SetAnalyzer` here, so none of them can drop a value the others
pass (a positional ``(rate, rom, hold, two_imu)`` factory once lost ``lifts`` and the
tempo: a forward trunk bend was measured as if it lifted, and ``too_fast`` never saw the
plan). Pure: the values come from the therapy layer (``therapy.params.set_params``) or the
command line; nothing here reads a plan or a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from motion.pipeline import SetAnalyzer


@dataclass(frozen=True, slots=True)
class SetParams:
    """Everything the exercise and the prescription say about measuring one set.

    ``lifts``: the movement raises the measured segment (False: a forward trunk bend; None:
    not known, as for a recording replayed without its exercise: the rest pose tells).
    Targets left None make the set calibrate from its own first reps (motion.quality).
    ``target_tempo_s`` is the prescribed up + down time of one rep. ``side`` ("left",
    "right", ...) is carried for the record; the analyzer does not need it. ``two_imu``:
    a proximal sensor is fed too (the joint angle instead of one segment's).
    """

    exercise_id: str | None = None
    lifts: bool | None = None
    target_rom_deg: float | None = None
    target_hold_s: float | None = None
    target_tempo_s: float | None = None
    side: str | None = None
    two_imu: bool = False


def build_analyzer(rate_hz: float, params: SetParams) -> SetAnalyzer:
    """A fresh analyzer for one set at ``rate_hz``, given every value ``params`` holds.

    The pipeline (numpy, imufusion) is imported here, not at the top, so the therapy
    package can hold SetParams values without loading the motion core.
    """
    from motion.pipeline import SetAnalyzer

    return SetAnalyzer(rate_hz, **analyzer_kwargs(params))


def analyzer_kwargs(params: SetParams) -> dict[str, Any]:
    """The analyzer's keyword arguments from ``params``: one mapping for
    :func:`build_analyzer` and the camera + IMU set (``motion.camera_set.CameraImuSet``)."""
    return {
        "target_rom_deg": params.target_rom_deg,
        "target_hold_s": params.target_hold_s,
        "target_tempo_s": params.target_tempo_s,
        "two_imu": params.two_imu,
        "lifts": params.lifts,
    }
