"""Settings > Find wearables by real touches, offscreen: behind the PIN, the scan runs on
the app's loop (the UI keeps drawing) over bumble virtual wearables through bleak, the
found wearable gets a body placement with a big button, is remembered, and the next set
uses it; Forget takes it away again."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from tests.helpers.kiosk_touch import buttons, running_kiosk, tap, texts, until
from pairing_helpers import to_settings, wearable_and_kiosk
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.uix.button import Button

from kiosk.adapters.audio import AudioCues
from kiosk.adapters.sources import SimSourceFactory
from kiosk.vm.pairing import ScanState
from therapy.devices import WearableRegistry


@pytest.mark.timeout(90)
async def test_pair_and_forget_a_wearable_by_touch(tmp_path: Path) -> None:
    dev, model = await wearable_and_kiosk(tmp_path, scan_s=1.0)
    assert isinstance(model.sources.base, SimSourceFactory)  # type: ignore[attr-defined]
    try:
        async with running_kiosk(model, pin=None, audio=AudioCues(enabled=False)) as app:
            await to_settings(app)
            assert any(t.startswith("Wearables: none paired") for t in texts(app))

            frames = [0]

            def count(*_args: object) -> None:
                frames[0] += 1
            Window.bind(on_flip=count)
            await tap(app, "Find wearables")
            assert app.sm.current == "pairing"
            vm = app.flow.pairing_vm
            # the scan (1 s) is still running: the screen drawn at the tap says so, and
            # "Searching…" is there but cannot be tapped (buttons() lists enabled ones)
            assert vm is not None and vm.state == ScanState.SCANNING, (vm, vm and vm.error)
            assert [b.disabled for b in app.root.walk()
                    if isinstance(b, Button) and b.text == "Searching…"] == [True]
            assert buttons(app, "Searching…") == [] and buttons(app, "Search again") == []
            await until(lambda: vm.state != ScanState.SCANNING, 30, "the scan")
            Window.unbind(on_flip=count)
            assert frames[0] >= 10, f"only {frames[0]} frames drawn during a 1 s scan"
            assert vm.state == ScanState.DONE, vm.error

            def found_buttons() -> list[Button]:
                return [b for b in app.root.walk() if isinstance(b, Button)
                        and b.text.startswith(dev.name) and "battery 72%" in b.text]

            await until(lambda: len(found_buttons()) == 1, 2, f"the wearable listed: {texts(app)}")
            found = found_buttons()
            assert found[0].height >= dp(48)
            await tap(app, found[0].text)
            assert "Where is" in " ".join(texts(app))
            shank = buttons(app, "Lower leg")
            assert shank and all(b.height >= dp(48) and b.width >= dp(48) for b in shank)
            await tap(app, "Lower leg")
            assert [r[:4] for r in WearableRegistry(model.store).all()] == [
                (dev.address, dev.name, "rehab_imu", "shank")]
            assert not model.sources.demo  # the next set uses it
            assert any(f"Lower leg: {dev.name} · battery 72%" == t for t in texts(app))

            await tap(app, "Back to Settings")
            assert app.sm.current == "installer"
            assert any(t == f"Wearables: {dev.name} on the lower leg" for t in texts(app))

            await tap(app, "Find wearables")  # a second visit scans afresh; forget from there
            await until(lambda: app.flow.pairing_vm is not vm  # a fresh view-model
                        and app.flow.pairing_vm.state == ScanState.DONE,  # type: ignore[union-attr]
                        30, "the second scan")
            await tap(app, "Forget")
            assert WearableRegistry(model.store).all() == []
            assert model.sources.demo
            await tap(app, "Back to Settings")
            assert any(t.startswith("Wearables: none paired") for t in texts(app))
    finally:
        await dev.close()
