"""The exercise vocabulary: body segments, joints, planes and the exercise catalogue.

Pure data with no project or I/O imports, so every layer may use it: the simulator
(``sensors.sim``) performs catalogue exercises, the camera's callers take an exercise's
polarity and plane from it, therapy plans refer to it by id, the kiosk shows its names.
"""

from exercises.body import BodySegment, CameraView, Joint, Plane
from exercises.catalogue import CATALOGUE, Exercise, Position, get_exercise

__all__ = ["CATALOGUE", "BodySegment", "CameraView", "Exercise", "Joint", "Plane", "Position",
           "get_exercise"]
