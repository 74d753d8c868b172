"""The exercise vocabulary: body segments, joints, planes and the exercise catalogue.

Pure data with no project or I/O imports, so every layer may use it: the simulator
(``sensors.sim``) performs catalogue exercises, the camera's callers take an exercise's
polarity and plane from it, therapy plans refer to it by id, the kiosk shows its names.
"""

from typing import TYPE_CHECKING

from exercises.body import BodySegment, CameraView, Joint, Plane

if TYPE_CHECKING:
    from exercises.catalogue import CATALOGUE, Exercise, Position, get_exercise

_CATALOGUE_NAMES = frozenset({"CATALOGUE", "Exercise", "Position", "get_exercise"})

__all__ = ["CATALOGUE", "BodySegment", "CameraView", "Exercise", "Joint", "Plane", "Position",
           "get_exercise"]


def __getattr__(name: str) -> object:
    """The catalogue's names, imported on first use: ``from exercises.body import ...``
    (a wearable's segment, in ``sensors.types``) need not load every exercise's texts
    (2.5 ms of ``rehab replay``'s start-up, which uses none)."""
    if name in _CATALOGUE_NAMES:
        from exercises import catalogue

        return getattr(catalogue, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
