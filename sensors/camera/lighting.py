"""Is the light good enough for the pose model? Too dark, backlit or washed out (pure: numpy).

Measured on the camera's own picture (BGR, 8 bit), with or without a person found: a room
too dark for the model gives no person, and the patient must then hear "turn on a light",
not "step into the picture". Levels are luma (Rec. 601, 0-255, gamma-encoded as the
camera delivers it), read on every 4th pixel of every 4th row (19,200 of a 640x480 frame).

- TOO_DARK: the whole picture's mean luma is low. A webcam's auto-exposure aims the mean
  near mid-grey (~110-130); under ~40 it has run out of exposure and gain, the picture is
  mostly noise and the pose model loses the limbs.
- BACKLIT: a light source in view behind the patient (a window, a lamp): part of the
  background is clipped (sensor saturated) and the person is much darker than the
  background. Both are needed: dark clothes against a white wall are dark too, but a lit
  wall is not clipped. With nobody found the middle third of the picture (where the
  patient stands) stands for the person.
- TOO_BRIGHT: most of the picture clipped (sun on the lens, a window filling the view).

Each problem has a level to enter and a kinder one to leave (hysteresis), so a picture
near a threshold does not make the message flicker; :class:`LightingMonitor` keeps that
state between frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import numpy as np

from sensors.camera.angles import MIN_VISIBILITY
from sensors.camera.landmarks import SKELETON, PoseFrame

STRIDE_PX = 4  # sample every 4th pixel and row: the levels below need no finer picture
CLIPPED_LUMA = 250  # at or above: the sensor is saturated (a window, a lamp, the sun)
DARK_ENTER_LUMA = 40.0  # frame mean under this: auto-exposure is at its limit (see above)
DARK_LEAVE_LUMA = 50.0
BACKLIT_ENTER_RATIO = 0.4  # person luma under 0.4x the background's
BACKLIT_LEAVE_RATIO = 0.5
WINDOW_ENTER_FRAC = 0.10  # ...and >= 10 % of the background clipped: a light source in view
WINDOW_LEAVE_FRAC = 0.05
BRIGHT_ENTER_FRAC = 0.5  # over half the picture clipped: washed out
BRIGHT_LEAVE_FRAC = 0.4
BOX_PAD_FRAC = 0.15  # landmarks are joint centres: the body reaches ~15 % beyond their box
BONE_SAMPLES = 8  # points sampled along each visible bone for the person's luma
MIN_PERSON_SAMPLES = 12  # fewer: the person's luma is the box's median


class LightingProblem(StrEnum):
    """Values reach the UI's messages: never rename them."""

    TOO_DARK = "too_dark"
    BACKLIT = "backlit"
    TOO_BRIGHT = "too_bright"


class LightLevels(NamedTuple):
    """What one picture measured (luma 0-255; fractions 0-1)."""

    mean_luma: float  # the whole picture
    person_luma: float  # along the visible bones (or the middle third with nobody found)
    background_luma: float  # outside the person's box
    background_clipped: float  # share of the background at CLIPPED_LUMA or above
    clipped: float  # share of the whole picture at CLIPPED_LUMA or above

    @property
    def backlight_ratio(self) -> float:
        """Person over background luma (1.0 when the background is black)."""
        return self.person_luma / self.background_luma if self.background_luma > 0 else 1.0


@dataclass(frozen=True, slots=True)
class LightingCheck:
    problems: tuple[LightingProblem, ...]
    levels: LightLevels

    @property
    def ok(self) -> bool:
        return not self.problems


def luma(image_bgr: np.ndarray, stride: int = STRIDE_PX) -> np.ndarray:
    """Rec. 601 luma of every ``stride``-th pixel and row, float32 (H/stride, W/stride)."""
    if image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
        raise ValueError(f"expected a BGR image (H, W, 3), got shape {image_bgr.shape}")
    sub = image_bgr[::stride, ::stride].astype(np.float32)
    return sub[..., 2] * 0.299 + sub[..., 1] * 0.587 + sub[..., 0] * 0.114


def person_box(frame: PoseFrame, min_visibility: float = MIN_VISIBILITY
               ) -> tuple[float, float, float, float] | None:
    """(x0, y0, x1, y1) in pixels around the visible landmarks, padded; None: none seen."""
    seen = frame.visibility >= min_visibility
    if not seen.any():
        return None
    xy = frame.xy_px[seen]
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    pad = BOX_PAD_FRAC * max(x1 - x0, y1 - y0)
    return (max(0.0, x0 - pad), max(0.0, y0 - pad), min(frame.width, x1 + pad),
            min(frame.height, y1 + pad))


def measure(image_bgr: np.ndarray, frame: PoseFrame | None = None) -> LightLevels:
    """The picture's light levels; the person's from ``frame`` (the pose found in it; its
    landmarks are rescaled if it was found on a picture of another size) or, with nobody
    found, the middle third of the picture."""
    y = luma(image_bgr)
    h, w = image_bgr.shape[:2]
    if frame is not None and (frame.width, frame.height) != (w, h):
        frame = _rescaled(frame, w, h)  # landmarks of a picture of another size
    box = person_box(frame) if frame is not None else None
    if box is None:
        box = (w / 3, 0.0, 2 * w / 3, float(h))
    r0, r1 = int(box[1] // STRIDE_PX), int(np.ceil(box[3] / STRIDE_PX))
    c0, c1 = int(box[0] // STRIDE_PX), int(np.ceil(box[2] / STRIDE_PX))
    inside = np.zeros(y.shape, bool)
    inside[r0:r1, c0:c1] = True
    background = y[~inside]
    samples = _bone_samples(y, frame) if frame is not None else np.empty(0, np.float32)
    person = samples if samples.size >= MIN_PERSON_SAMPLES else y[inside]
    clipped = y >= CLIPPED_LUMA
    return LightLevels(
        mean_luma=float(y.mean()),
        person_luma=float(np.median(person)) if person.size else float(y.mean()),
        background_luma=float(background.mean()) if background.size else 0.0,
        background_clipped=float(clipped[~inside].mean()) if background.size else 0.0,
        clipped=float(clipped.mean()))


def _rescaled(frame: PoseFrame, width: int, height: int) -> PoseFrame:
    scale = np.array([width / frame.width, height / frame.height])
    return PoseFrame(frame.t_s, frame.xy_px * scale, frame.visibility, width, height)


def _bone_samples(y: np.ndarray, frame: PoseFrame,
                  min_visibility: float = MIN_VISIBILITY) -> np.ndarray:
    """Luma at points along the visible bones: limbs and trunk lie over them, so these are
    the person's pixels, not the background's between the limbs."""
    t = np.linspace(0.0, 1.0, BONE_SAMPLES)[:, None]
    points = [frame.point(a) * (1 - t) + frame.point(b) * t for a, b in SKELETON
              if frame.visible(a, min_visibility) and frame.visible(b, min_visibility)]
    if not points:
        return np.empty(0, np.float32)
    xy = np.concatenate(points) / STRIDE_PX
    cols = np.clip(np.rint(xy[:, 0]).astype(int), 0, y.shape[1] - 1)
    rows = np.clip(np.rint(xy[:, 1]).astype(int), 0, y.shape[0] - 1)
    return y[rows, cols]


def classify(levels: LightLevels, active: frozenset[LightingProblem] = frozenset()
             ) -> tuple[LightingProblem, ...]:
    """The problems of ``levels``; one already ``active`` needs its kinder level to end."""
    dark = LightingProblem.TOO_DARK in active
    back = LightingProblem.BACKLIT in active
    bright = LightingProblem.TOO_BRIGHT in active
    problems = []
    if levels.mean_luma < (DARK_LEAVE_LUMA if dark else DARK_ENTER_LUMA):
        problems.append(LightingProblem.TOO_DARK)
    ratio_max = BACKLIT_LEAVE_RATIO if back else BACKLIT_ENTER_RATIO
    window_min = WINDOW_LEAVE_FRAC if back else WINDOW_ENTER_FRAC
    if levels.backlight_ratio < ratio_max and levels.background_clipped >= window_min:
        problems.append(LightingProblem.BACKLIT)
    if levels.clipped > (BRIGHT_LEAVE_FRAC if bright else BRIGHT_ENTER_FRAC):
        problems.append(LightingProblem.TOO_BRIGHT)
    return tuple(problems)


def check_lighting(image_bgr: np.ndarray, frame: PoseFrame | None = None) -> LightingCheck:
    """One picture on its own (no hysteresis)."""
    levels = measure(image_bgr, frame)
    return LightingCheck(classify(levels), levels)


class LightingMonitor:
    """The lighting check over a stream of pictures, with hysteresis: a problem starts at
    its enter level and ends only at its leave level. ``check_`` is the latest result."""

    def __init__(self) -> None:
        self.check_: LightingCheck | None = None

    def update(self, image_bgr: np.ndarray, frame: PoseFrame | None = None) -> LightingCheck:
        active = frozenset(self.check_.problems) if self.check_ is not None else frozenset()
        levels = measure(image_bgr, frame)
        self.check_ = LightingCheck(classify(levels, active), levels)
        return self.check_
