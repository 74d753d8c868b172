"""Settings > Camera set-up by real touches, offscreen: without a camera Settings says
"No camera found"; with one (here the camera fakes: ArrayCapture frames, ScriptedPose
skeletons, run by the real CameraWorker threads) the preview shows the image and the
skeleton, says Ready once the patient has been side-on and in frame for 1 s, and Back
returns to Settings with the camera worker stopped."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from tests.helpers.camera_synth import H, W, seated_frame
from tests.helpers.kiosk_touch import (TEST_CODE, TEST_PIN, buttons, enter, provision,
                                       running_kiosk, tap, texts, until)

from kiosk.adapters.audio import AudioCues
from kiosk.adapters.camera import NoCamera, open_camera
from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from kiosk.ui.app import KioskApp
from kiosk.vm.flow import CAMERA_READY, CAMERA_SCREEN
from sensors.camera.capture import ArrayCapture
from sensors.camera.pose import ScriptedPose
from sensors.camera.worker import CameraWorker

N_FRAMES = 30


class Frames(ArrayCapture):
    """The fake capture, telling whether the worker closed it (``CameraWorker.stop``)."""

    closed = False

    def close(self) -> None:
        self.closed = True


def fake_camera() -> CameraWorker:
    image = np.full((H, W, 3), 90, np.uint8)
    image[200:400, 220:420] = (40, 160, 220)  # something to see in the preview
    worker = CameraWorker(Frames([image] * N_FRAMES, 30.0),
                          ScriptedPose([seated_frame(i / 30, 90) for i in range(N_FRAMES)]))
    worker.start()
    return worker


def no_camera() -> CameraWorker:
    raise NoCamera("No camera found: plug in the USB camera and try again.")


def test_a_missing_device_is_no_camera_found() -> None:
    with pytest.raises(NoCamera, match="^No camera found"):
        open_camera("/dev/video-that-is-not-there")


async def to_settings(app: KioskApp) -> None:
    await enter(app, TEST_PIN)
    await tap(app, "Settings")
    await tap(app, "Installer settings")
    await enter(app, TEST_CODE)
    assert app.sm.current == "installer"


@pytest.mark.timeout(60)
async def test_camera_set_up_from_settings_by_touch(tmp_path: Path) -> None:
    provision(tmp_path / "data")
    model = KioskModel(tmp_path / "data", sources=SimSourceFactory(), camera=no_camera)
    workers: list[CameraWorker] = []  # .source is a Frames
    try:
        async with running_kiosk(model, pin=None, audio=AudioCues(enabled=False)) as app:
            await to_settings(app)
            await tap(app, "Camera set-up")
            assert app.sm.current == "installer"
            assert any(t.startswith("No camera found") for t in texts(app)), texts(app)

            def opener() -> CameraWorker:
                workers.append(fake_camera())
                return workers[-1]

            model.camera = opener
            await tap(app, "Camera set-up")
            assert app.sm.current == CAMERA_SCREEN and app.bar.title.text == "Camera set-up"
            assert not any(t.startswith("No camera found") for t in texts(app))
            screen = app.screens[CAMERA_SCREEN]
            await until(lambda: CAMERA_READY in texts(app), 5, "ready after 1 s side-on")
            assert buttons(app, "Done"), "Done stays disabled until the framing is right"
            assert screen.preview.texture is not None  # type: ignore[attr-defined]
            assert screen.preview.texture.size == (W, H)  # type: ignore[attr-defined]
            view = screen.view_  # type: ignore[attr-defined]
            assert view is not None and len(view.bones) == 14 and view.ready
            assert len(screen.preview.canvas.after.children) > 0  # type: ignore[attr-defined]

            await tap(app, "Back")
            assert app.sm.current == "installer" and CAMERA_SCREEN not in app.screens
            await until(lambda: workers[0].source.closed,  # type: ignore[attr-defined]
                        5, "the camera worker to stop")
            assert not any(s.name == CAMERA_SCREEN for s in app.sm.screens)

            await tap(app, "Camera set-up")  # again; leaving by the top bar also stops it
            assert app.sm.current == CAMERA_SCREEN
            await tap(app, "Today")
            assert app.sm.current != CAMERA_SCREEN
            await until(lambda: workers[1].source.closed,  # type: ignore[attr-defined]
                        5, "the second camera worker to stop")
    finally:
        for w in workers:
            w.stop()
