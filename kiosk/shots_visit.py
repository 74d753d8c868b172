"""``python -m kiosk.shots_visit OUT [WxH]``: the video visit screen, offscreen, in its
phases with a synthetic remote frame and preview (no network, the fake call adapter):
``kiosk-visit-ringing``, ``kiosk-visit`` (in a call, cue "Slower"), ``kiosk-visit-record``
and ``kiosk-visit-cannot-connect`` PNGs. docs/img/kiosk-visit.png is made with it."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

SETTLE_S = 0.3


async def _walk(out: Path) -> list[Path]:
    from kivy.app import App
    from kivy.core.window import Window
    from kivy.uix.screenmanager import ScreenManager

    from kiosk.adapters.call import FakeCall
    from kiosk.ui.visit_screen import VisitScreen
    from kiosk.vm.visit import VisitVM
    from mqtt.visit import Cue, CueKind, Offer, RecordRequest
    from sensors.camera.hub import FrameHub
    from sensors.camera.synthetic import SyntheticFrames

    calls: list[FakeCall] = []

    def make(on_state: object) -> FakeCall:
        calls.append(FakeCall(on_state=on_state))  # type: ignore[arg-type]
        return calls[-1]

    class Quiet:
        def say(self, text: str) -> None:
            pass

    vm = VisitVM(make, lambda _m: True, Quiet(), connect_timeout_s=0.2)
    hub = FrameHub(SyntheticFrames(640, 480, 15, frames=3, paced=False))
    preview = hub.subscribe("preview")
    hub.start()
    screen = VisitScreen(vm, preview=preview, name="visit")
    vm.on_change = screen.refresh
    sm = ScreenManager()
    sm.add_widget(screen)

    class ShotApp(App):  # type: ignore[misc]
        def build(self) -> ScreenManager:
            return sm

    app = ShotApp()
    files: list[Path] = []

    async def shot(name: str) -> None:
        screen.refresh()
        await asyncio.sleep(SETTLE_S)
        final = out / f"{name}.png"
        made = Path(Window.screenshot(name=str(final)))
        os.replace(made, final)
        files.append(final)

    async def walk() -> None:
        await asyncio.sleep(0.5)
        offer = Offer("call-1", "appt-1", "v=0\r\n", "clinic-01", "dev-7f3a",
                      datetime.now(timezone.utc))
        vm.offered(offer)
        await shot("kiosk-visit-ringing")
        await vm.accept()
        remote = SyntheticFrames(640, 480, 15, paced=False)
        for _ in range(20):
            got = remote.read()
        assert got is not None
        calls[0].push_remote(got[1][:, :, ::-1].copy())  # BGR -> RGB, as aiortc gives it
        calls[0].connect()
        vm.signal(Cue("call-1", CueKind.SLOWER))
        await shot("kiosk-visit")
        vm.signal(RecordRequest("call-1"))
        await shot("kiosk-visit-record")
        vm.consent_recording(False)
        vm.dismiss()
        await vm.hang_up()
        vm.dismiss()
        vm.offered(Offer("call-2", "appt-1", "v=0\r\n", "clinic-01", "dev-7f3a",
                         datetime.now(timezone.utc)))
        await vm.accept()  # the fake never connects: "cannot connect" after the timeout
        await asyncio.sleep(0.4)
        await shot("kiosk-visit-cannot-connect")
        app.stop()

    task = asyncio.ensure_future(walk())
    await app.async_run(async_lib="asyncio")
    await task
    hub.stop()
    return files


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    w, h = (int(v) for v in (argv[1] if len(argv) > 1 else "800x480").split("x"))
    out.mkdir(parents=True, exist_ok=True)
    from kiosk.headless import prepare_env

    with tempfile.TemporaryDirectory(prefix="rehab-visit-shots-") as tmp:
        prepare_env(Path(tmp) / "kivy", offscreen=True)
        from kiosk.kivy_setup import configure_kivy

        configure_kivy((w, h), fullscreen=False, pi=False)
        files = asyncio.run(_walk(out))
    for f in files:
        print(f)
    return 0 if len(files) == 4 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
