"""``python -m kiosk.shots_main OUT WxH SPEED [LANG [TEXT_SCALE]]``: one screenshot walk at one
window size, on a throw-away demo data dir, offscreen, the patient's text size set as
Settings would (1.0, 1.2 or 1.4). Started by ``rehab kiosk --screenshots``."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path


def main(argv: list[str]) -> int:
    out, size_text, speed = Path(argv[0]), argv[1], float(argv[2])
    lang = argv[3] if len(argv) > 3 else "en"
    scale = float(argv[4]) if len(argv) > 4 else 1.0
    w, h = (int(v) for v in size_text.split("x"))
    from kiosk.headless import prepare_env

    with tempfile.TemporaryDirectory(prefix="rehab-kiosk-shots-") as tmp:
        prepare_env(Path(tmp) / "kivy", offscreen=True)
        from kiosk.kivy_setup import configure_kivy

        configure_kivy((w, h), fullscreen=False, pi=False)
        from kiosk.adapters.audio import AudioCues
        from kiosk.adapters.sources import SimSourceFactory
        from kiosk.demo_data import seed
        from kiosk.demo_devices import demo_camera
        from kiosk.model import KioskModel
        from kiosk.settings import KioskSettings, save_settings
        from kiosk.ui.app import KioskApp
        from kiosk.ui.screenshots import SHOTS, run_with_screenshots

        data = Path(tmp) / "data"
        data.mkdir()
        save_settings(data, KioskSettings(text_scale=scale))
        model = KioskModel(data, sources=SimSourceFactory(speed), camera=demo_camera)
        seed(model.store, model.plan()[0], model.clock.now())
        app = KioskApp(model, audio=AudioCues(enabled=False), language=lang)
        try:
            files = asyncio.run(run_with_screenshots(app, out))
        finally:
            model.close()
    for f in files:
        print(f)
    return 0 if len(files) == SHOTS else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
