"""Body vocabulary: where a wearable sits, which joint an exercise moves, in which plane.

Pure names, imported by every layer that talks about the body: the sensors (a source's
segment), the simulator, the motion core's callers, therapy and the kiosk.
"""

from __future__ import annotations

from enum import StrEnum


class BodySegment(StrEnum):
    """Where a wearable sits. Values reach payloads and the UI, so they never change."""

    THIGH = "thigh"
    SHANK = "shank"
    FOOT = "foot"
    PELVIS = "pelvis"
    TRUNK = "trunk"
    UPPER_ARM = "upper_arm"
    FOREARM = "forearm"
    HAND = "hand"
    UNKNOWN = "unknown"


class Joint(StrEnum):
    """The joint an exercise moves. Values reach FHIR observations: never rename them."""

    KNEE = "knee"
    HIP = "hip"
    ELBOW = "elbow"
    SHOULDER = "shoulder"
    TRUNK = "trunk"
    ANKLE = "ankle"


class Plane(StrEnum):
    """The body plane the movement lies in (a camera must look across it)."""

    SAGITTAL = "sagittal"  # forwards and back: seen side-on
    FRONTAL = "frontal"  # out to the side: seen facing the patient
    TRANSVERSE = "transverse"  # turning about the body's long axis: no camera view shows it


class CameraView(StrEnum):
    """Where a camera stands to measure an exercise's joint angle in its image plane."""

    SIDE = "side"  # side-on: sagittal movements
    FRONT = "front"  # facing the patient: frontal movements
