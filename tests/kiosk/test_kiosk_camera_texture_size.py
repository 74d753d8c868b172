"""The camera's picture is uploaded at the size it is shown (kiosk/ui/camera_texture.py): on
the 7" panel the live screen's camera panel is ~310x230 px, so a 640x480 frame goes up as
every other pixel (320x240), a quarter of the bytes per frame; a panel as large as the frame
gets every pixel. The picture the patient sees is the same (looked at:
kiosk-camera-texture-800x480.png)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from camera_live_set import left_elbow_camera_set, save_screenshot  # noqa: E402

from kiosk.demo_devices import IMAGE_W, IMAGE_H  # noqa: E402
from kiosk.ui.camera_texture import display_step  # noqa: E402

pytestmark = pytest.mark.timeout(90)


@pytest.mark.parametrize(("shown", "step"), [
    ((306, 230), 2),  # the 7" panel's camera panel
    ((490, 368), 1),  # the 1280x800 panel's
    ((640, 480), 1), ((1000, 750), 1),  # as large as the frame, or larger
    ((200, 150), 3), ((319, 500), 1),  # the tighter side decides
    ((0, 0), 1),  # not laid out yet
])
def test_the_step_leaves_at_least_the_pixels_shown(shown: tuple[int, int], step: int) -> None:
    k = display_step(640, 480, *shown)
    assert k == step
    assert k == 1 or (640 // k >= shown[0] and 480 // k >= shown[1])


async def test_the_live_camera_picture_goes_up_at_the_panels_size(tmp_path: Path) -> None:
    async with left_elbow_camera_set(tmp_path) as (_app, live):
        await asyncio.sleep(0.5)  # laid out, and a frame drawn since
        cam = live.camera
        frame_w, frame_h = IMAGE_W, IMAGE_H  # the stand-in camera's frames
        k = display_step(frame_w, frame_h, cam.width, cam.height)
        assert k == 2, (cam.width, cam.height)
        assert tuple(cam.texture.size) == (frame_w // 2, frame_h // 2)
        nw, nh = cam.norm_image_size  # shown no larger than the texture: nothing lost
        assert nw <= cam.texture.size[0] + 1 and nh <= cam.texture.size[1] + 1
        save_screenshot("kiosk-camera-texture-800x480.png")
