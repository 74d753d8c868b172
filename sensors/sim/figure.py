"""An animated demonstration figure for every catalogue exercise (pure numpy).

One rep of the exercise as the simulator performs it (its minimum-jerk angle course,
:func:`sensors.sim.profile.theta_deg`, with the catalogue's target ROM and tempo) turns
the figure's moving segments about the simulator's own axes (:mod:`sensors.sim.geometry`).
Each frame is a list of 2D :class:`Shape` s in draw order (far first): rounded limbs with
thickness (capsules), the head (circle), the torso (polygon), and the furniture the
exercise needs (box silhouettes). ``rehab demo`` renders them to PNG files and
``kiosk.ui.demo_figure`` draws them on a Kivy canvas.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from exercises.catalogue import CATALOGUE
from sensors.sim.config import RepKind, SimError
from sensors.sim.figure_body import (
    BY_NAME,
    HEAD_RADIUS_M,
    POSTURES,
    SEGMENTS,
    Turn,
    joint_positions,
)
from sensors.sim.figure_moves import SPECS, FigureSpec, Prop
from sensors.sim.geometry import GEOMETRY
from sensors.sim.profile import RepTruth, theta_deg

LEAD_IN_S = 0.6  # still at rest before the rep starts, so the loop shows the start pose
FLOOR_MAX_ELEVATION_DEG = 45.0  # seen from higher up, a floor would fill the picture
OUTLINE_M = 0.012  # renderers ring every shape with the background colour this wide, so
# a limb in front of the body stays visible (same tone, overlapping)


class Tone(StrEnum):
    """What a shape is, for its colour."""

    MOVING = "moving"  # the segment the exercise moves (and what it carries)
    BODY = "body"
    FAR = "far"  # a limb on the far side of the body
    PROP = "prop"
    PROP_TOP = "prop_top"  # a piece of furniture's top face (seen from above)
    FLOOR = "floor"


# Shared by the PNG renderer and the kiosk widget (RGB 0..1): the moving limb in the
# kiosk's primary blue, the body slate, far limbs paler, furniture wood, the floor grey.
TONE_RGB: dict[Tone, tuple[float, float, float]] = {
    Tone.MOVING: (0.04, 0.33, 0.68),
    Tone.BODY: (0.33, 0.37, 0.44),
    Tone.FAR: (0.63, 0.67, 0.73),
    Tone.PROP: (0.80, 0.68, 0.52),
    Tone.PROP_TOP: (0.90, 0.82, 0.70),
    Tone.FLOOR: (0.80, 0.82, 0.85),
}


@dataclass(frozen=True, slots=True, eq=False)
class Shape:
    """``kind`` "capsule" (two points and a radius), "circle" (one point and a radius) or
    "polygon" (its points); coordinates in metres, x right and y up on the screen."""

    kind: str
    points: np.ndarray  # (n, 2)
    radius_m: float
    tone: Tone
    outline: bool = True  # ringed with the background (the torso's parts are not)


@dataclass(frozen=True, slots=True, eq=False)
class Demo:
    """The frames of one rep at ``fps``; ``bounds`` (x0, y0, x1, y1) hold every frame."""

    exercise_id: str
    fps: float
    angles_deg: np.ndarray
    frames: list[list[Shape]]
    bounds: tuple[float, float, float, float]


def spec_for(exercise_id: str) -> FigureSpec:
    try:
        return SPECS[exercise_id]
    except KeyError:
        raise SimError(f"no demonstration figure for {exercise_id!r}: add it to "
                       "sensors/sim/figure_moves.py") from None


def rep_angles(exercise_id: str, fps: float, rx: Prescription | None = None) -> np.ndarray:
    """The exercise angle (deg) over one rep, lead-in and rest included: the simulator's
    angle course at the catalogue's ROM and tempo, or at those prescribed (``rx``)."""
    rom, up, hold, down, rest = _timing(exercise_id, rx)
    t0 = LEAD_IN_S
    rep = RepTruth(1, RepKind.CORRECT, t0, t0 + up + hold / 2.0, t0 + up + hold + down,
                   rom, hold, up, down, rest)
    n = int(round((t0 + up + hold + down + rest) * fps))
    theta, _, _ = theta_deg(np.arange(n) / fps, [rep])
    return theta


@dataclass(frozen=True, slots=True)
class Prescription:
    """A plan's numbers for the demonstration (None: the catalogue's)."""

    rom_deg: float | None = None
    up_s: float | None = None
    hold_s: float | None = None
    down_s: float | None = None


def _timing(exercise_id: str, rx: Prescription | None) -> tuple[float, ...]:
    ex = CATALOGUE[exercise_id]
    rx = rx or Prescription()

    def pick(v: float | None, default: float, lo: float, hi: float) -> float:
        return float(np.clip(default if v is None else v, lo, hi))

    return (pick(rx.rom_deg, ex.target_rom_deg, 1.0, 180.0), pick(rx.up_s, ex.up_s, 0.3, 30.0),
            pick(rx.hold_s, ex.hold_s, 0.0, 60.0), pick(rx.down_s, ex.down_s, 0.3, 30.0),
            min(ex.rest_s, 3.0))


def posed(exercise_id: str, angle_deg: float,
          rom_deg: float | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every segment's start and end (3D, metres) at ``angle_deg`` of the exercise, placed
    so the spec's anchor stays where it is at rest."""
    spec = spec_for(exercise_id)
    ex = CATALOGUE[exercise_id]
    posture = POSTURES[ex.position]
    dirs = {**posture.directions, **spec.rest}
    axis = GEOMETRY[exercise_id].move_axis
    rom = ex.target_rom_deg if rom_deg is None else rom_deg
    turns = tuple(Turn(s, axis, angle_deg) for s in spec.moving) + tuple(
        Turn(f.segment, f.axis, f.angle(angle_deg, rom)) for f in spec.follow)
    rest = joint_positions(dirs, posture.lateral)
    now = joint_positions(dirs, posture.lateral, turns)
    shift = _anchor(rest, spec.anchor) - _anchor(now, spec.anchor)
    return {k: (a + shift, b + shift) for k, (a, b) in now.items()}


def _anchor(pose: dict[str, tuple[np.ndarray, np.ndarray]], anchor: str) -> np.ndarray:
    name, _, end = anchor.partition(":")
    start, stop = pose[name]
    return stop if end == "end" else start


class View:
    """Orthographic projection from azimuth/elevation (deg): 0/0 faces the patient,
    -90/0 looks at the patient's right side."""

    def __init__(self, azimuth_deg: float, elevation_deg: float) -> None:
        az, el = np.deg2rad(azimuth_deg), np.deg2rad(elevation_deg)
        self.toward = np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
        right = np.cross([0.0, 0.0, 1.0], self.toward)
        self.right = right / np.linalg.norm(right)
        self.up = np.cross(self.toward, self.right)

    def xy(self, p: np.ndarray) -> np.ndarray:
        return np.stack([p @ self.right, p @ self.up], axis=-1)

    def depth(self, p: np.ndarray) -> float:
        return float(np.mean(p @ self.toward))


def _moving_set(spec: FigureSpec) -> set[str]:
    """The moving segments and everything they carry."""
    out = set(spec.moving)
    for seg in SEGMENTS:
        if seg.parent in out:
            out.add(seg.name)
    return out


def body_shapes(exercise_id: str, angle_deg: float, view: View,
                rom_deg: float | None = None) -> list[Shape]:
    """The body at ``angle_deg``, far shapes first."""
    pose = posed(exercise_id, angle_deg, rom_deg)
    moving = _moving_set(spec_for(exercise_id))
    centre = view.depth(pose["trunk"][0][None, :])
    items: list[tuple[float, Shape]] = []
    for seg in SEGMENTS:
        if seg.parent is None:
            continue
        a, b = pose[seg.name]
        d = view.depth(np.stack([a, b]))
        side_far = seg.name[:2] in ("r_", "l_") and d < centre - 0.03
        tone = Tone.MOVING if seg.name in moving else Tone.FAR if side_far else Tone.BODY
        pts = view.xy(np.stack([a, b]))
        items.append((d, Shape("capsule", pts, seg.radius_m, tone, seg.name != "trunk")))
        if seg.name == "head":
            direction = (b - a) / max(float(np.linalg.norm(b - a)), 1e-9)
            c = b + direction * HEAD_RADIUS_M * 0.8
            items.append((d + 0.001, Shape("circle", view.xy(c[None, :]), HEAD_RADIUS_M,
                                           Tone.MOVING if "trunk" in moving else Tone.BODY)))
    # Torso: hips to shoulders (gives the width seen from the front) and the pelvis.
    hips = [pose["r_thigh"][0], pose["l_thigh"][0]]
    shoulders = [pose["l_upper_arm"][0], pose["r_upper_arm"][0]]
    torso_tone = Tone.MOVING if "trunk" in moving else Tone.BODY
    torso = np.stack([hips[0], hips[1], shoulders[0], shoulders[1]])
    d_torso = view.depth(torso)
    items.append((d_torso, Shape("polygon", view.xy(torso), 0.0, torso_tone, False)))
    items.append((d_torso, Shape("capsule", view.xy(np.stack(hips)), 0.1, Tone.BODY, False)))
    items.sort(key=lambda it: it[0])
    return [s for _, s in items]


def _box(lo: tuple[float, float, float], hi: tuple[float, float, float]) -> np.ndarray:
    return np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                     for z in (lo[2], hi[2])])


def _hull(pts: np.ndarray) -> np.ndarray:
    """Convex hull (monotone chain) of 2D points, counter-clockwise."""
    p = sorted(map(tuple, np.round(pts, 9)))
    if len(p) <= 2:
        return np.array(p)

    def half(seq: list) -> list:
        out: list = []
        for q in seq:
            while len(out) >= 2 and ((out[-1][0] - out[-2][0]) * (q[1] - out[-2][1])
                                     - (out[-1][1] - out[-2][1]) * (q[0] - out[-2][0])) <= 0:
                out.pop()
            out.append(q)
        return out

    lower, upper = half(p), half(p[::-1])
    return np.array(lower[:-1] + upper[:-1])


def prop_boxes(exercise_id: str) -> list[tuple[np.ndarray, Tone]]:
    """The furniture as 3D boxes (8 corners each), placed against the rest pose."""
    spec = spec_for(exercise_id)
    rest = posed(exercise_id, 0.0)
    pts = np.concatenate([np.stack(v) for v in rest.values()])
    foot_z = min(min(rest[f"{s}_foot"][0][2], rest[f"{s}_foot"][1][2]) for s in "rl")
    floor = foot_z - 0.05
    x0, x1 = float(pts[:, 0].min()) - 0.3, float(pts[:, 0].max()) + 0.3
    boxes: list[tuple[np.ndarray, Tone]] = []
    pelvis = rest["pelvis"][0]
    if spec.prop in (Prop.BED, Prop.BED_ROLL):
        low = float(min(p[2] - BY_NAME[k].radius_m for k, ab in rest.items() for p in ab
                        if k not in ("pelvis",)))
        top = low - 0.005
        boxes.append((_box((x0 + 0.15, -0.45, top - 0.14), (x1 - 0.15, 0.45, top)), Tone.PROP))
        if spec.prop == Prop.BED_ROLL:
            knee = rest["r_thigh"][1]
            boxes.append((_box((knee[0] - 0.07, -0.25, top), (knee[0] + 0.07, 0.05,
                                                                knee[2] - 0.05)), Tone.PROP))
        return boxes
    boxes.append((_box((x0 - 0.4, -0.5, floor - 0.03), (x1 + 0.4, 0.5, floor)), Tone.FLOOR))
    if spec.prop in (Prop.CHAIR, Prop.STOOL):
        seat = pelvis[2] - 0.09
        sx0, sx1 = pelvis[0] - 0.12, pelvis[0] + 0.32
        boxes.append((_box((sx0, -0.22, seat - 0.05), (sx1, 0.22, seat)), Tone.PROP))
        for lx in (sx0, sx1 - 0.04):
            boxes.append((_box((lx, 0.16, floor), (lx + 0.04, 0.2, seat - 0.05)), Tone.PROP))
        if spec.prop == Prop.CHAIR:
            boxes.append((_box((sx0 - 0.06, -0.22, seat), (sx0 - 0.01, 0.22, seat + 0.45)),
                          Tone.PROP))
    elif spec.prop == Prop.CHAIR_AHEAD:
        hand = rest["r_hand"][1]
        cx = hand[0] + 0.03
        boxes.append((_box((cx, -0.22, floor + 0.45), (cx + 0.05, 0.22, hand[2] + 0.02)),
                      Tone.PROP))
        boxes.append((_box((cx, -0.22, floor + 0.42), (cx + 0.42, 0.22, floor + 0.47)),
                      Tone.PROP))
        for lx in (cx, cx + 0.38):
            boxes.append((_box((lx, 0.16, floor), (lx + 0.04, 0.2, floor + 0.42)), Tone.PROP))
    return boxes


def demo(exercise_id: str, fps: float = 12.0, rx: Prescription | None = None) -> Demo:
    """Every frame of one rep of ``exercise_id`` (see module doc), at the catalogue's ROM
    and tempo or at those a plan prescribes (``rx``)."""
    if exercise_id not in CATALOGUE:
        known = ", ".join(sorted(CATALOGUE))
        raise SimError(f"unknown exercise {exercise_id!r}; known: {known}")
    spec = spec_for(exercise_id)
    view = View(*spec.view)
    props: list[tuple[tuple[bool, float], Shape]] = []
    for b, tone in prop_boxes(exercise_id):
        if tone == Tone.FLOOR and spec.view[1] >= FLOOR_MAX_ELEVATION_DEG:
            continue
        key = (tone != Tone.FLOOR, view.depth(b))
        props.append((key, Shape("polygon", _hull(view.xy(b)), 0.0, tone, False)))
        top = b[b[:, 2] == b[:, 2].max()]  # its top face, lighter: a depth cue from above
        if tone == Tone.PROP and spec.view[1] > 0.0:
            props.append(((True, key[1] + 1e-6), Shape("polygon", _hull(view.xy(top)), 0.0,
                                                       Tone.PROP_TOP, False)))
    props.sort(key=lambda it: it[0])
    prop_shapes = [s for _, s in props]
    angles = rep_angles(exercise_id, fps, rx)
    rom = _timing(exercise_id, rx)[0]
    frames = [prop_shapes + body_shapes(exercise_id, float(a), view, rom) for a in angles]
    # The floor runs off both sides: only its top edge counts for the bounds.
    pts = np.concatenate([np.concatenate([s.points - s.radius_m, s.points + s.radius_m])
                          for f in frames for s in f if s.tone != Tone.FLOOR]
                         + [s.points.max(axis=0)[None, :] * [0.0, 1.0] for s in prop_shapes
                            if s.tone == Tone.FLOOR])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return Demo(exercise_id, fps, angles, frames,
                (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])))
