"""Webcam frame bytes to BGR (sensors/camera/frame_decode.py), checked against OpenCV's own
decoders (cv2.imdecode, cv2.cvtColor): a Motion-JPEG frame without its DHT segment, as many
UVC webcams send it, decodes to the same picture as the full JPEG; YUYV converts as
OpenCV's COLOR_YUV2BGR_YUYV does; bytes that are no frame are FrameCorrupt."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from sensors.camera.frame_decode import FrameCorrupt, mjpeg_to_bgr, yuyv_to_bgr
from tests.helpers.fake_v4l2 import numbered_picture, strip_dht

SOS, DHT = b"\xff\xda", b"\xff\xc4"


def _jpeg(bgr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1])).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def test_an_mjpeg_frame_without_huffman_tables_decodes_to_the_same_picture() -> None:
    full = _jpeg(numbered_picture(5))
    webcam = strip_dht(full)
    assert DHT in full[:full.index(SOS)] and DHT not in webcam[:webcam.index(SOS)]
    got = mjpeg_to_bgr(webcam)
    opencv = cv2.imdecode(np.frombuffer(full, np.uint8), cv2.IMREAD_COLOR)
    assert np.array_equal(got, mjpeg_to_bgr(full))  # the standard tables, exactly
    assert np.abs(got.astype(np.int16) - opencv).max() <= 1  # and what OpenCV decodes
    assert got.shape == (480, 640, 3) and got.flags.c_contiguous


def test_a_grey_mjpeg_frame_is_bgr_too() -> None:
    buf = io.BytesIO()
    Image.fromarray(np.full((48, 64), 77, np.uint8)).save(buf, "JPEG")
    got = mjpeg_to_bgr(strip_dht(buf.getvalue()))
    assert got.shape == (48, 64, 3) and np.abs(got.astype(int) - 77).max() <= 1


def test_yuyv_converts_as_opencv_does() -> None:
    raw = np.random.default_rng(7).integers(0, 256, 480 * 640 * 2, dtype=np.uint8)
    want = cv2.cvtColor(raw.reshape(480, 640, 2), cv2.COLOR_YUV2BGR_YUYV)
    got = yuyv_to_bgr(raw.tobytes(), 640, 480)
    assert np.abs(got.astype(np.int16) - want).max() <= 1


def test_yuyv_rows_with_padding_are_read_by_their_stride() -> None:
    raw = np.random.default_rng(8).integers(0, 256, (48, 64 * 2), dtype=np.uint8)
    padded = np.concatenate([raw, np.zeros((48, 32), np.uint8)], axis=1)
    assert np.array_equal(yuyv_to_bgr(padded.tobytes(), 64, 48, 64 * 2 + 32),
                          yuyv_to_bgr(raw.tobytes(), 64, 48))


@pytest.mark.parametrize("data", [b"", b"\xff\xd8\xff\xe0 torn", b"GIF89a not a jpeg"])
def test_bytes_that_are_no_jpeg_frame_are_frame_corrupt(data: bytes) -> None:
    with pytest.raises(FrameCorrupt, match="did not decode as JPEG"):
        mjpeg_to_bgr(data)


def test_a_short_yuyv_frame_is_frame_corrupt() -> None:
    with pytest.raises(FrameCorrupt, match="is not 640x480"):
        yuyv_to_bgr(bytes(1000), 640, 480)
