"""How the demonstration figure performs each catalogue exercise (pure data and numpy).

The moving segment turns by the simulator's exercise angle about the simulator's own axis
(:mod:`sensors.sim.geometry`, ``move_axis``); ``follow`` turns other segments with it so
the body stays whole (a foot stays flat, the arms keep hanging while the trunk bends);
``anchor`` is the point that stays put (the pelvis on a chair, the feet on the floor);
``prop`` the furniture drawn; ``view`` where the viewer stands (azimuth from the front,
towards the patient's left, and elevation, in degrees).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from sensors.sim.figure_body import BACK, DOWN, FWD, LEFT, UP, Vec, _n

Y_LEFT: Vec = (0.0, 1.0, 0.0)
Y_RIGHT: Vec = (0.0, -1.0, 0.0)
X_FWD: Vec = (1.0, 0.0, 0.0)
X_BACK: Vec = (-1.0, 0.0, 0.0)
Z_UP: Vec = (0.0, 0.0, 1.0)
AngleFn = Callable[[float, float], float]  # (exercise angle, target ROM) -> degrees


class Prop(StrEnum):
    FLOOR = "floor"
    CHAIR = "chair"
    STOOL = "stool"
    BED = "bed"
    CHAIR_AHEAD = "chair_ahead"  # standing, holding the back of a chair in front
    BED_ROLL = "bed_roll"  # a rolled towel under the right knee


SIDE = (-90.0, 0.0)  # from the patient's right
FRONT = (0.0, 0.0)


@dataclass(frozen=True, slots=True)
class Follow:
    segment: str
    axis: Vec
    angle: AngleFn


def _k(gain: float) -> AngleFn:
    return lambda th, rom: gain * th


@dataclass(frozen=True, slots=True)
class FigureSpec:
    moving: tuple[str, ...]  # segments turned by the exercise angle about move_axis
    anchor: str = "pelvis"  # segment name + ":start"/":end", or "pelvis"
    prop: Prop = Prop.FLOOR
    view: tuple[float, float] = SIDE
    rest: Mapping[str, Vec] = field(default_factory=dict)  # posture overrides
    follow: tuple[Follow, ...] = ()


def _lean(peak_deg: float) -> AngleFn:
    """Forward lean that peaks mid-movement (standing up from a chair)."""
    return lambda th, rom: peak_deg * math.sin(math.pi * min(max(th / rom, 0.0), 1.0))


def _heel_slide_thigh(th: float, rom: float) -> float:
    """Thigh rise for a knee bend of ``th`` with hip and heel both on the bed (thigh
    0.45 m, shank 0.42 m): tan(a) = L2 sin(th) / (L1 + L2 cos(th))."""
    t = math.radians(th)
    return math.degrees(math.atan2(0.42 * math.sin(t), 0.45 + 0.42 * math.cos(t)))


def _bridge_trunk(th: float, rom: float) -> float:
    """Trunk tilt that keeps the shoulders on the bed as the hips rise."""
    lift = 0.45 * (math.sin(math.radians(42.0)) - math.sin(math.radians(42.0 - th)))
    return math.degrees(math.asin(min(1.0, lift / 0.5)))


_KNEES_UP = {"r_thigh": _n(0.743, 0, 0.669), "l_thigh": _n(0.743, 0, 0.669),
             "r_shank": _n(0.6, 0, -0.8), "l_shank": _n(0.6, 0, -0.8),
             "r_foot": FWD, "l_foot": FWD}
_ARMS_CROSSED = {"r_upper_arm": _n(0.45, 0, -1), "l_upper_arm": _n(0.45, 0, -1),
                 "r_forearm": _n(0.25, 1, 0.35), "l_forearm": _n(0.25, -1, 0.35),
                 "r_hand": _n(0.25, 1, 0.35), "l_hand": _n(0.25, -1, 0.35)}
_HOLD_CHAIR = {"r_upper_arm": _n(0.5, 0, -1), "l_upper_arm": _n(0.5, 0, -1),
               "r_forearm": _n(1, 0, -0.1), "l_forearm": _n(1, 0, -0.1),
               "r_hand": _n(1, 0, -0.1), "l_hand": _n(1, 0, -0.1)}
_ARMS_DOWN = {"r_upper_arm": DOWN, "l_upper_arm": DOWN, "r_forearm": DOWN,
              "l_forearm": DOWN, "r_hand": DOWN, "l_hand": DOWN}

SPECS: dict[str, FigureSpec] = {
    "knee_extension_seated": FigureSpec(("r_shank",), prop=Prop.CHAIR),
    "heel_slide": FigureSpec(
        ("r_shank",), prop=Prop.BED,  # the knee bends by the exercise angle
        follow=(Follow("r_thigh", Y_RIGHT, _heel_slide_thigh),)),
    "sit_to_stand": FigureSpec(
        ("r_thigh", "l_thigh"), anchor="r_foot:start", prop=Prop.CHAIR,
        rest=_ARMS_CROSSED,
        follow=(Follow("r_shank", Y_RIGHT, _k(1.0)), Follow("l_shank", Y_RIGHT, _k(1.0)),
                Follow("trunk", Y_LEFT, _lean(30.0)))),
    "mini_squat": FigureSpec(
        ("r_thigh", "l_thigh"), anchor="r_foot:start", prop=Prop.CHAIR_AHEAD, rest=_HOLD_CHAIR,
        follow=(Follow("r_thigh", Y_LEFT, _k(0.4)), Follow("l_thigh", Y_LEFT, _k(0.4)),
                Follow("r_shank", Y_LEFT, _k(1.0)), Follow("l_shank", Y_LEFT, _k(1.0)),
                Follow("r_foot", Y_RIGHT, _k(0.4)), Follow("l_foot", Y_RIGHT, _k(0.4)),
                Follow("trunk", Y_LEFT, _k(0.5)),
                Follow("r_upper_arm", Y_RIGHT, _k(0.5)), Follow("l_upper_arm", Y_RIGHT, _k(0.5)))),
    "terminal_knee_extension": FigureSpec(
        ("r_shank",), prop=Prop.BED_ROLL,
        rest={"r_thigh": _n(0.966, 0, 0.259), "r_shank": _n(0.866, 0, -0.5), "r_foot": UP}),
    "hamstring_curl_standing": FigureSpec(
        ("r_shank",), anchor="l_foot:start", prop=Prop.CHAIR_AHEAD, rest=_HOLD_CHAIR),
    "straight_leg_raise": FigureSpec(
        ("r_thigh",), prop=Prop.BED,
        rest={k.replace("r_", "l_"): v for k, v in _KNEES_UP.items() if k.startswith("r_")}),
    "hip_abduction_side_lying": FigureSpec(("r_thigh",), prop=Prop.BED, view=(90.0, 20.0)),
    "hip_flexion_standing": FigureSpec(
        ("r_thigh",), anchor="l_foot:start", prop=Prop.CHAIR_AHEAD, rest=_HOLD_CHAIR,
        follow=(Follow("r_shank", Y_LEFT, _k(1.0)),)),
    "hip_extension_prone": FigureSpec(
        ("r_thigh",), prop=Prop.BED,
        rest={"r_upper_arm": _n(0.3, 0.2, 0.0), "l_upper_arm": _n(0.3, -0.2, 0.0),
              "r_forearm": _n(0.2, 1, 0), "l_forearm": _n(0.2, -1, 0),
              "r_hand": _n(0.2, 1, 0), "l_hand": _n(0.2, -1, 0)}),
    "clamshell": FigureSpec(
        ("r_thigh",), prop=Prop.BED, view=(90.0, 50.0),
        rest={"r_thigh": _n(1, 1, 0), "l_thigh": _n(1, 1, 0), "r_shank": _n(1, -1, 0),
              "l_shank": _n(1, -1, 0), "r_foot": _n(1, 0, 0), "l_foot": _n(1, 0, 0)}),
    "bridge": FigureSpec(
        ("r_thigh", "l_thigh"), anchor="r_foot:start", prop=Prop.BED, rest=_KNEES_UP,
        follow=(Follow("r_shank", Y_RIGHT, _k(1.0)), Follow("l_shank", Y_RIGHT, _k(1.0)),
                Follow("trunk", Y_RIGHT, _bridge_trunk),
                Follow("r_upper_arm", Y_LEFT, _bridge_trunk),
                Follow("l_upper_arm", Y_LEFT, _bridge_trunk))),
    "ankle_dorsiflexion_seated": FigureSpec(("r_foot",), prop=Prop.CHAIR),
    "heel_raise_standing": FigureSpec(
        ("r_foot", "l_foot"), anchor="r_foot:end", prop=Prop.CHAIR_AHEAD, rest=_HOLD_CHAIR),
    "shoulder_flexion_standing": FigureSpec(("r_upper_arm",), anchor="r_foot:start"),
    "shoulder_abduction_standing": FigureSpec(("r_upper_arm",), anchor="r_foot:start",
                                              view=FRONT),
    "scaption": FigureSpec(("r_upper_arm",), anchor="r_foot:start", view=(-30.0, 10.0)),
    "shoulder_extension_standing": FigureSpec(("r_upper_arm",), anchor="r_foot:start"),
    "shoulder_external_rotation": FigureSpec(
        ("r_forearm",), prop=Prop.CHAIR, view=(-30.0, 70.0),
        rest={"r_upper_arm": DOWN, "r_forearm": FWD, "r_hand": FWD}),
    "elbow_flexion": FigureSpec(("r_forearm",), prop=Prop.CHAIR, rest=_ARMS_DOWN),
    "elbow_extension_overhead": FigureSpec(
        ("r_forearm",), prop=Prop.CHAIR,
        rest={"r_upper_arm": _n(0.1, 0, 1), "r_forearm": _n(-0.5, 0, -0.866),
              "r_hand": _n(-0.5, 0, -0.866)}),
    "trunk_flexion_seated": FigureSpec(
        ("trunk",), prop=Prop.STOOL, rest=_ARMS_DOWN,
        follow=(Follow("r_upper_arm", Y_RIGHT, _k(1.0)),
                Follow("l_upper_arm", Y_RIGHT, _k(1.0)))),
    "trunk_rotation_seated": FigureSpec(
        ("trunk",), prop=Prop.CHAIR, view=(0.0, 70.0), rest=_ARMS_CROSSED),
    "trunk_side_bend_standing": FigureSpec(
        ("trunk",), anchor="r_foot:start", view=FRONT, rest=_ARMS_DOWN,
        follow=(Follow("r_upper_arm", X_BACK, _k(1.0)),
                Follow("l_upper_arm", X_BACK, _k(1.0)))),
}

__all__ = ["BACK", "DOWN", "FWD", "LEFT", "SPECS", "UP", "X_FWD", "Z_UP", "FigureSpec",
           "Follow", "Prop"]
