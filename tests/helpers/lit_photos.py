"""A real photo under bad light, for the lighting check's tests (pure numpy on the photo of
``tests.helpers.camera_photos``: basketball1.png, 640x480, a man standing on the left in a
dark shirt before a light wall, an ordinary indoor picture: mean luma ~120).

- ``darkened``: every pixel times ``gain`` (a room lit too little; a webcam at the end of
  its exposure gives such a picture, plus noise).
- ``backlit``: a blown-out window on the wall behind him (255, the sensor saturated) and
  the room at ``gain`` (auto-exposure meters the window and leaves the room dark).
- ``washed_out``: every pixel times ``gain`` > 1, clipped (sun on the lens).
"""

from __future__ import annotations

import numpy as np

WINDOW = (slice(0, 300), slice(200, 440))  # rows, columns: beside and behind his head


def scaled(image: np.ndarray, gain: float) -> np.ndarray:
    return np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def darkened(image: np.ndarray, gain: float = 0.25) -> np.ndarray:
    return scaled(image, gain)


def backlit(image: np.ndarray, gain: float = 0.35) -> np.ndarray:
    out = scaled(image, gain)
    out[WINDOW] = 255
    return out


def washed_out(image: np.ndarray, gain: float = 3.0) -> np.ndarray:
    return scaled(image, gain)
