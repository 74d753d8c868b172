"""The kiosk's pose worker reads through a rate cap: a 30 fps camera gives it 10 frames a
second, evenly, the rest read and dropped; the end of a file still ends it."""

from __future__ import annotations

import numpy as np
import pytest

from sensors.camera.capture import ArrayCapture
from sensors.camera.rate_cap import RateCap


def test_a_30_fps_source_capped_at_10_passes_every_third_frame_and_ends() -> None:
    cap = RateCap(ArrayCapture([np.zeros((4, 4, 3), np.uint8)] * 31, 30.0), 10.0)
    assert cap.fps == 10.0
    times = []
    while (got := cap.read()) is not None:
        times.append(got[0])
    np.testing.assert_allclose(times, np.arange(11) / 10.0)
    assert cap.dropped_ == 20


def test_a_source_slower_than_the_cap_passes_every_frame() -> None:
    cap = RateCap(ArrayCapture([np.zeros((4, 4, 3), np.uint8)] * 5, 5.0), 10.0)
    assert cap.fps == 5.0
    assert [round(cap.read()[0], 3) for _ in range(5)] == [0.0, 0.2, 0.4, 0.6, 0.8]
    with pytest.raises(ValueError):
        RateCap(cap, 0.0)
