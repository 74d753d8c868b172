"""The camera's picture as a texture at the size it is shown (issue 15: a Pi's budget).

The camera gives 640x480 frames; the live screen shows them in a panel of ~310x230 px on
the 7" panel (800x480) and ~490x370 px on the 1280x800 one. Uploading every pixel of every
frame costs the kiosk a 0.9 MB copy and a 1.2 MB texture upload ten times a second, most of
it thrown away by the GPU's downscale. :func:`display_step` takes every k-th pixel, the
largest k that still leaves at least as many pixels as the panel shows (2 on the 7" panel,
1 on the larger one), so what the patient sees is unchanged: the GPU scales a 320x240
picture to 310x230 instead of a 640x480 one.
"""

from __future__ import annotations

import numpy as np
from kivy.graphics.texture import Texture


def display_step(frame_w: int, frame_h: int, shown_w: float, shown_h: float) -> int:
    """The largest whole step k such that every k-th pixel of a ``frame_w`` x ``frame_h``
    frame still fills ``shown_w`` x ``shown_h`` pixels (1 when shown at least as large as
    the frame, or not laid out yet)."""
    if shown_w < 1 or shown_h < 1:
        return 1
    return max(1, min(int(frame_w // shown_w), int(frame_h // shown_h)))


class CameraTexture:
    """One texture the camera's frames are drawn into, remade when the picture's size
    changes (another camera, or the panel laid out anew)."""

    def __init__(self) -> None:
        self.texture: Texture | None = None
        self._image: np.ndarray | None = None  # the last frame shown, and its step
        self._step = 0

    def show(self, image_bgr: np.ndarray, shown_w: float, shown_h: float) -> Texture:
        h, w = image_bgr.shape[:2]
        k = display_step(w, h, shown_w, shown_h)
        self._image, self._step = image_bgr, k
        image = image_bgr[::k, ::k] if k > 1 else image_bgr
        h, w = image.shape[:2]
        if self.texture is None or self.texture.size != (w, h):
            self.texture = Texture.create(size=(w, h), colorfmt="bgr")
            self.texture.flip_vertical()  # image rows run top-down, GL's bottom-up
        self.texture.blit_buffer(np.ascontiguousarray(image).tobytes(), colorfmt="bgr",
                                 bufferfmt="ubyte")
        return self.texture

    def refit(self, shown_w: float, shown_h: float) -> Texture | None:
        """The last frame again if the panel, laid out anew, wants another step (a
        picture drawn before the layout settled, or a camera that stopped sending, would
        otherwise stay at the old size); None if nothing changes."""
        if self._image is None:
            return None
        h, w = self._image.shape[:2]
        if display_step(w, h, shown_w, shown_h) == self._step:
            return None
        return self.show(self._image, shown_w, shown_h)
