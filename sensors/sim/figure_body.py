"""The demonstration figure's body: segment sizes, starting postures and forward kinematics.

Pure numpy. World frame as in :mod:`sensors.sim.geometry`: x forward, y the patient's
left, z up (for a lying patient: whatever the posture says). A posture gives every
segment's direction at rest in that frame; a pose turns segments about axes fixed in their
parent segment (as the simulator turns its distal segment in the proximal one), so a
segment carries its children with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from exercises.exercise import Position
from sensors.sim.rotations import axis_angle

Vec = tuple[float, float, float]
FWD: Vec = (1.0, 0.0, 0.0)
BACK: Vec = (-1.0, 0.0, 0.0)
LEFT: Vec = (0.0, 1.0, 0.0)
RIGHT: Vec = (0.0, -1.0, 0.0)
UP: Vec = (0.0, 0.0, 1.0)
DOWN: Vec = (0.0, 0.0, -1.0)


@dataclass(frozen=True, slots=True)
class Segment:
    """One rigid segment: it starts at ``parent``'s end, or at an offset from the start of
    ``parent`` across the body (``lateral_m`` along the patient's left, ``drop_m`` back
    along the parent), and is drawn as a capsule of ``radius_m``."""

    name: str
    parent: str | None
    length_m: float
    radius_m: float
    lateral_m: float = 0.0  # start offset to the patient's left (negative: right)
    from_end: bool = True  # start at the parent's end (else at its start)
    drop_m: float = 0.0  # start offset back along the parent from that point


# Adult proportions (m); the order is parents first.
SEGMENTS: tuple[Segment, ...] = (
    Segment("pelvis", None, 0.0, 0.0),
    Segment("trunk", "pelvis", 0.50, 0.11),
    Segment("head", "trunk", 0.10, 0.045),  # the neck; the head sits on its end
    Segment("r_upper_arm", "trunk", 0.30, 0.05, lateral_m=-0.19, drop_m=0.04),
    Segment("r_forearm", "r_upper_arm", 0.26, 0.04),
    Segment("r_hand", "r_forearm", 0.08, 0.035),
    Segment("l_upper_arm", "trunk", 0.30, 0.05, lateral_m=0.19, drop_m=0.04),
    Segment("l_forearm", "l_upper_arm", 0.26, 0.04),
    Segment("l_hand", "l_forearm", 0.08, 0.035),
    Segment("r_thigh", "pelvis", 0.45, 0.075, lateral_m=-0.09, from_end=False),
    Segment("r_shank", "r_thigh", 0.42, 0.055),
    Segment("r_foot", "r_shank", 0.18, 0.04),
    Segment("l_thigh", "pelvis", 0.45, 0.075, lateral_m=0.09, from_end=False),
    Segment("l_shank", "l_thigh", 0.42, 0.055),
    Segment("l_foot", "l_shank", 0.18, 0.04),
)
BY_NAME: dict[str, Segment] = {s.name: s for s in SEGMENTS}
HEAD_RADIUS_M = 0.11


def _n(*v: float) -> Vec:
    a = np.asarray(v, float)
    a = a / np.linalg.norm(a)
    return (float(a[0]), float(a[1]), float(a[2]))


def _both(side: str, direction: Vec) -> dict[str, Vec]:
    return {f"r_{side}": direction, f"l_{side}": direction}


def _limbs(upper_arm: Vec, forearm: Vec, thigh: Vec, shank: Vec, foot: Vec) -> dict[str, Vec]:
    return {**_both("upper_arm", upper_arm), **_both("forearm", forearm),
            **_both("hand", forearm), **_both("thigh", thigh), **_both("shank", shank),
            **_both("foot", foot)}


@dataclass(frozen=True, slots=True)
class Posture:
    """Segment directions at rest and the patient's left (``lateral``), world frame."""

    directions: Mapping[str, Vec]
    lateral: Vec


POSTURES: dict[Position, Posture] = {
    Position.STANDING: Posture(
        {"trunk": UP, "head": UP, **_limbs(DOWN, DOWN, DOWN, DOWN, FWD)}, LEFT),
    Position.SEATED: Posture(
        {"trunk": UP, "head": UP,
         **_limbs(_n(0.15, 0, -1), _n(1, 0, -0.25), FWD, DOWN, FWD)}, LEFT),
    # Lying on the back, head back (-x), feet forward, toes up.
    Position.SUPINE: Posture(
        {"trunk": BACK, "head": BACK, **_limbs(FWD, FWD, FWD, FWD, UP)}, LEFT),
    # Lying face down, head forward (+x), toes into the bed.
    Position.PRONE: Posture(
        {"trunk": FWD, "head": FWD, **_limbs(BACK, BACK, BACK, BACK, DOWN)}, LEFT),
    # Lying on the left side (left = down), head back, facing +y; bottom knee bent.
    Position.SIDE_LYING: Posture(
        {"trunk": BACK, "head": BACK, **_limbs(FWD, FWD, FWD, FWD, LEFT),
         "l_thigh": _n(1, 1, 0), "l_shank": _n(1, -1, 0), "l_upper_arm": _n(0.3, 1, 0),
         "l_forearm": _n(-1, 0.4, 0)},
        DOWN),
}


@dataclass(frozen=True, slots=True)
class Turn:
    """Turn ``segment`` (and its children) by ``angle_deg`` about ``axis`` (fixed in the
    parent segment; expressed in the rest frame)."""

    segment: str
    axis: Vec
    angle_deg: float


def joint_positions(directions: Mapping[str, Vec], lateral: Vec,
                    turns: tuple[Turn, ...] = ()) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Start and end point (3,) of every segment, pelvis at the origin."""
    rot: dict[str, np.ndarray] = {}
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    lat = np.asarray(lateral, float)
    own: dict[str, np.ndarray] = {}
    for t in turns:
        r = axis_angle(t.axis, np.array([np.deg2rad(t.angle_deg)]))[0]
        own[t.segment] = own.get(t.segment, np.eye(3)) @ r
    for seg in SEGMENTS:
        r_own = own.get(seg.name, np.eye(3))
        if seg.parent is None:
            rot[seg.name] = r_own
            out[seg.name] = (np.zeros(3), np.zeros(3))
            continue
        r_parent = rot[seg.parent]
        p_start, p_end = out[seg.parent]
        base = p_end if seg.from_end else p_start
        p_dir = np.asarray(directions.get(seg.parent, UP), float)
        start = base + r_parent @ (seg.lateral_m * lat - seg.drop_m * p_dir)
        rot[seg.name] = r_parent @ r_own
        d = rot[seg.name] @ np.asarray(directions[seg.name], float)
        out[seg.name] = (start, start + seg.length_m * d)
    return out
