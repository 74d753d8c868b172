"""The exercise catalogue as therapy sees it: plans refer to these exercises by id.

The catalogue itself lives in :mod:`exercises.catalogue`, a pure layer below both the
sensors (the simulator performs its exercises) and therapy; this module names it for the
plan, parameter and FHIR code. The simulator's limb geometry is not part of it: it lives
in :mod:`sensors.sim.geometry`, keyed by exercise id.
"""

from __future__ import annotations

from exercises.body import CameraView, Joint
from exercises.catalogue import CATALOGUE, Exercise, Position, get_exercise

__all__ = ["CATALOGUE", "CameraView", "Exercise", "Joint", "Position", "get_exercise"]
