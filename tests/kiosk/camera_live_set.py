"""A left elbow curl on the stand-in camera, running on the offscreen kiosk's live screen
(``kiosk.demo_devices.DemoCameraSources``: simulated wearables count, a real
``CameraWorker`` supplies picture and skeleton). Import after Kivy is configured."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from kivy.core.window import Window
from tests.helpers.chromium import shot_path
from tests.helpers.flow_set import begin_one_set
from tests.helpers.kiosk_touch import TEST_PIN, enter, provision, until
from flow_helpers import silent_audio

from kiosk.demo_devices import DemoCameraSources
from kiosk.model import KioskModel
from kiosk.ui.app import KioskApp
from therapy.plan import Side


@asynccontextmanager
async def left_elbow_camera_set(tmp_path: Path, language: str = "en",
                                ) -> AsyncIterator[tuple[KioskApp, Any]]:
    """Yields (app, live screen) once the camera's picture is on the live screen; on leaving,
    ends the set and stops the kiosk and the camera."""
    data = tmp_path / "dev"
    provision(data)
    cams = DemoCameraSources(4.0)
    model = KioskModel(data, sources=cams)
    app = KioskApp(model, audio=silent_audio(), language=language)
    task = asyncio.ensure_future(app.async_run(async_lib="asyncio"))
    try:
        await asyncio.wait_for(app.first_frame.wait(), 30)
        await enter(app, TEST_PIN)
        flow = app.flow
        begin_one_set(flow, "elbow_flexion", 20, Side.LEFT)
        await until(lambda: app.sm.current == "live", 5, "the live set")
        live = app.screens["live"]
        await until(lambda: live.camera is not None and live.camera._pose is not None, 10,
                    "the camera's picture on the live screen")
        yield app, live
        flow.stop_set()
        run = model.run
        assert run is not None
        run.end_set()
        await until(lambda: not run.set_running, 10, "the set to end")
    finally:
        app.stop()
        await asyncio.wait_for(task, 10)
        await asyncio.get_running_loop().run_in_executor(None, cams.stop)
        model.close()


def save_screenshot(name: str) -> None:
    """The window as ``name`` in the screenshots folder (older numbered copies removed)."""
    path = shot_path(name)
    for old in path.parent.glob(path.stem + "[0-9][0-9][0-9][0-9].png"):
        old.unlink()
    made = Path(Window.screenshot(name=str(path)))
    assert made.is_file() and made.stat().st_size > 10_000
