"""Settings > Find wearables by touch: one virtual wearable in range, the kiosk that scans
for it, and the way to Settings; the pairing touch and stop tests share them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.model import KioskModel
from protocol.clock import ScaledClock
from sensors.ble.virtual import BumbleScanner
from sensors.sim import SimConfig, simulate
from tests.helpers.ble_world import World
from tests.helpers.kiosk_touch import TEST_CODE, TEST_PIN, enter, provision, tap, texts


async def wearable_and_kiosk(tmp_path: Path, scan_s: float) -> tuple[Any, KioskModel]:
    """A bumble virtual wearable in range (battery 72 %) and a provisioned kiosk model in
    ``tmp_path / "data"`` whose pairing scan lasts ``scan_s``, through bleak."""
    world = World(ScaledClock(1.0))
    motion = simulate(SimConfig(reps=1, drop_prob=0.0)).distal
    dev = await world.rehab_imu(1, motion, battery_pct=72)
    provision(tmp_path / "data")
    model = KioskModel(tmp_path / "data", sources=None,
                       pairing_ports=lambda: (BumbleScanner(world.air), world.connector()))
    model.pairing_scan_s = scan_s
    return dev, model


async def to_settings(app: Any) -> None:
    """Unlock, then Settings > Installer settings, behind the installer code (as a carer
    would)."""
    await enter(app, TEST_PIN)
    await tap(app, "Settings")
    assert app.sm.current == "settings"  # the patient's own: no code
    await tap(app, "Installer settings")
    assert app.sm.current == "lock" and "installer code" in " ".join(texts(app))
    await enter(app, TEST_CODE)
    assert app.sm.current == "installer"
