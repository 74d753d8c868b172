"""A webcam's frame bytes to a BGR image (H x W x 3, uint8), as OpenCV would have given it.

- MJPG (``V4L2_PIX_FMT_MJPEG``): one JPEG image a frame, decoded by Pillow (libjpeg-turbo).
  Many UVC webcams send Motion-JPEG frames without a DHT (Huffman table) segment and
  rely on the standard tables of JPEG Annex K.3 (the AVI1 / Motion-JPEG convention);
  libjpeg-turbo falls back to exactly those tables when a frame has none
  (``tests/camera/test_camera_v4l2.py`` decodes such a frame).
- YUYV (``V4L2_PIX_FMT_YUYV``, packed 4:2:2: Y0 U Y1 V for each pair of pixels), converted
  with numpy by ITU-R BT.601 in the limited ("video") range, the coefficients OpenCV's
  ``COLOR_YUV2BGR_YUYV`` uses (``modules/imgproc/src/color_yuv.simd.hpp``).

Pure: bytes in, a new array out (never a view of the capture's buffer). :func:`decode_frame`
is the capture's decoder (a :data:`FrameDecoder`; tests inject a counting one): a frame's
bytes and its :class:`FrameLayout`, as the driver answered S_FMT.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from sensors.camera.errors import CameraError, PoseModelMissing

# BT.601 limited range: Y in 16..235, U and V centred on 128 (OpenCV's ITUR_BT_601_* / 2^20)
Y_OFFSET, UV_OFFSET = 16.0, 128.0
CY, CUB, CUG, CVG, CVR = 1.164, 2.018, -0.391, -0.813, 1.596
YUYV_BYTES_PER_PIXEL = 2


class FrameCorrupt(CameraError):
    """A frame's bytes do not decode (a torn or truncated webcam frame): skip it."""


class Encoding(StrEnum):
    MJPG = "MJPG"  # V4L2_PIX_FMT_MJPEG or V4L2_PIX_FMT_JPEG
    YUYV = "YUYV"


@dataclass(frozen=True, slots=True)
class FrameLayout:
    """How a camera's frame bytes hold a picture (``bytes_per_line`` 0: packed rows)."""

    encoding: Encoding
    width: int
    height: int
    bytes_per_line: int = 0


FrameDecoder = Callable[[bytes, FrameLayout], np.ndarray]  # raises FrameCorrupt


def decode_frame(data: bytes, layout: FrameLayout) -> np.ndarray:
    """One frame as a BGR image, by its layout's encoding; FrameCorrupt if it is none."""
    if layout.encoding is Encoding.MJPG:
        return mjpeg_to_bgr(data)
    return yuyv_to_bgr(data, layout.width, layout.height, layout.bytes_per_line)


def mjpeg_to_bgr(data: bytes) -> np.ndarray:
    """One Motion-JPEG frame (with or without DHT) as a BGR image."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise PoseModelMissing(exc) from exc
    try:
        with Image.open(io.BytesIO(data), formats=("JPEG",)) as im:
            rgb = np.asarray(im if im.mode == "RGB" else im.convert("RGB"))
    except (OSError, ValueError, SyntaxError) as exc:  # Pillow: truncated, not a JPEG, bad marker
        raise FrameCorrupt(f"a camera frame did not decode as JPEG ({exc})") from exc
    bgr = np.empty_like(rgb)  # channel by channel: ~4x faster than a reversed-view copy
    bgr[..., 0], bgr[..., 1], bgr[..., 2] = rgb[..., 2], rgb[..., 1], rgb[..., 0]
    return bgr


def yuyv_to_bgr(data: bytes, width: int, height: int, bytes_per_line: int = 0) -> np.ndarray:
    """One YUYV frame (rows ``bytes_per_line`` apart, 0: packed) as a BGR image."""
    stride = bytes_per_line or width * YUYV_BYTES_PER_PIXEL
    if width % 2 or stride < width * YUYV_BYTES_PER_PIXEL or len(data) < stride * height:
        raise FrameCorrupt(f"a YUYV frame of {len(data)} bytes is not {width}x{height} "
                           f"(stride {stride})")
    rows = np.frombuffer(data, np.uint8, count=stride * height).reshape(height, stride)
    quads = rows[:, :width * YUYV_BYTES_PER_PIXEL].reshape(height, width // 2, 4)
    # H x W/2 x 2 (Y0, Y1); below-black Y clamped to black first, as OpenCV does
    y = np.maximum(quads[:, :, 0::2].astype(np.float32) - Y_OFFSET, 0.0) * CY
    u = quads[:, :, 1:2].astype(np.float32) - UV_OFFSET  # shared by the pair
    v = quads[:, :, 3:4].astype(np.float32) - UV_OFFSET
    out = np.empty((height, width // 2, 2, 3), np.uint8)
    for channel, chroma in enumerate((CUB * u, CUG * u + CVG * v, CVR * v)):
        out[..., channel] = np.clip(y + chroma + 0.5, 0.0, 255.0)
    return out.reshape(height, width, 3)
