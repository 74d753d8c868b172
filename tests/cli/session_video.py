"""A synthetic camera recording for ``rehab session --source video:FILE``: the side-on
seated skeleton of tests/helpers/camera_synth.py drawn as a filled body figure (head, torso,
limbs) that MediaPipe's pose model finds, written with OpenCV, so the true rep count is
known."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.helpers.camera_synth import H, W, knee_extension_flex, seated_frame

from sensors.camera.capture import write_video
from sensors.camera.landmarks import Landmark as L
from sensors.camera.landmarks import PoseFrame

SKIN, SHIRT, PANTS, SHOE, HAIR = (150, 180, 220), (160, 90, 40), (60, 60, 60), (30, 30, 30), \
    (40, 30, 20)


def draw_body(f: PoseFrame) -> np.ndarray:
    """A BGR image of the body whose landmarks are ``f`` (seen from its right side)."""
    import cv2

    img = np.full((H, W, 3), 235, np.uint8)

    def p(i: int, dx: float = 0.0, dy: float = 0.0) -> tuple[int, int]:
        return int(f.xy_px[i][0] + dx), int(f.xy_px[i][1] + dy)

    sh, hp = f.xy_px[L.RIGHT_SHOULDER], f.xy_px[L.RIGHT_HIP]
    torso = np.array([sh + [-30, 0], sh + [25, 0], hp + [30, 0], hp + [-35, 0]], np.int32)
    cv2.fillPoly(img, [torso], SHIRT)
    cv2.line(img, p(L.RIGHT_HIP), p(L.RIGHT_KNEE), PANTS, 44)
    cv2.line(img, p(L.RIGHT_KNEE), p(L.RIGHT_ANKLE), PANTS, 36)
    cv2.line(img, p(L.RIGHT_ANKLE), p(L.RIGHT_FOOT_INDEX), SHOE, 18)
    cv2.line(img, p(L.RIGHT_SHOULDER), p(L.RIGHT_ELBOW), SHIRT, 28)
    cv2.line(img, p(L.RIGHT_ELBOW), p(L.RIGHT_WRIST), SKIN, 22)
    cv2.circle(img, p(L.RIGHT_WRIST), 13, SKIN, -1)
    cv2.line(img, p(L.RIGHT_SHOULDER), p(L.NOSE, -15, 20), SKIN, 30)  # neck
    cv2.ellipse(img, p(L.NOSE, -18, -5), (38, 46), 0, 0, 360, SKIN, -1)
    cv2.ellipse(img, p(L.NOSE, -28, -35), (40, 22), 0, 180, 360, HAIR, -1)
    cv2.circle(img, p(L.NOSE, 0, -12), 4, (40, 30, 30), -1)  # eye
    cv2.line(img, p(L.NOSE, -5, 15), p(L.NOSE, 8, 14), (60, 60, 150), 3)  # mouth
    return img


def knee_extension_video(path: Path, *, reps: int, fps: float = 15.0,
                         period_s: float = 4.0, then_empty_s: float = 0.0) -> int:
    """Seated knee extensions (90° to 20° flexion), ``reps`` of them, then ``then_empty_s``
    of the room without the patient; frames written."""
    duration_s = 2.0 + reps * period_s + 1.5
    t = np.arange(int(duration_s * fps)) / fps
    flex = knee_extension_flex(t, reps=reps, period_s=period_s)
    empty = np.full((H, W, 3), 235, np.uint8)
    frames = [draw_body(seated_frame(float(a), float(b))) for a, b in zip(t, flex)]
    return write_video(path, [*frames, *[empty] * int(then_empty_s * fps)], fps)


def angle_video(path: Path, t_s: np.ndarray, flex_deg: np.ndarray, fps: float = 15.0) -> int:
    """The seated figure with its knee at ``flex_deg`` (sampled at ``t_s``, resampled to
    frame times from 0): e.g. a simulation's truth, for a camera that sees what the
    simulated wearable felt."""
    frames_t = np.arange(int(t_s[-1] * fps) + 1) / fps
    flex = np.interp(frames_t, t_s, flex_deg)
    return write_video(path, (draw_body(seated_frame(float(a), float(b)))
                              for a, b in zip(frames_t, flex)), fps)
