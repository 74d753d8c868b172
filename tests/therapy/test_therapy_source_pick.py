"""The one rule both ``rehab session --source auto`` and the kiosk follow for a camera
exercise (``therapy.sources.pick_source`` with the exercise): a camera present adds the
camera, fused with the wearables, or alone in place of the simulator; an exercise no camera
measures, or no camera, leaves the wearables' rule as it was."""

from __future__ import annotations

from pathlib import Path

from sensors.ble.ports import Wearable, WearableKind
from sensors.types import BodySegment
from therapy.devices import WearableRegistry
from therapy.plan import exercise_from_catalogue
from therapy.sources import SourceKind as K
from therapy.sources import SourceSpec, pick_source
from therapy.store import TherapyStore

CAMERA_EX = exercise_from_catalogue("knee_extension_seated")  # the catalogue: side view
NO_CAMERA_EX = exercise_from_catalogue("ankle_dorsiflexion_seated")  # no camera measures it


def test_a_camera_exercise_gets_the_camera_alone_fused_with_usb_then_with_paired(
        tmp_path: Path) -> None:
    assert CAMERA_EX.exercise.camera_joint is not None
    assert NO_CAMERA_EX.exercise.camera_joint is None
    store = TherapyStore(tmp_path / "rehab.db")
    dev = tmp_path / "dev"
    dev.mkdir()
    assert pick_source(store, dev, CAMERA_EX) == SourceSpec(K.SIM)  # no camera yet
    for name in ("video12", "video2", "video-meta", "vhci"):
        (dev / name).touch()
    assert pick_source(store, dev, CAMERA_EX) == SourceSpec(K.CAMERA, "2")  # lowest index
    assert pick_source(store, dev, NO_CAMERA_EX) == SourceSpec(K.SIM)
    assert pick_source(store, dev) == SourceSpec(K.SIM)  # no exercise: wearables only
    (dev / "rehab-imu0").touch()
    port = str(dev / "rehab-imu0")
    assert pick_source(store, dev, CAMERA_EX) == SourceSpec(K.SERIAL, port,
                                                            SourceSpec(K.CAMERA, "2"))
    assert str(pick_source(store, dev, CAMERA_EX)) == f"serial:{port}+camera:2"
    assert pick_source(store, dev, NO_CAMERA_EX) == SourceSpec(K.SERIAL, port)
    WearableRegistry(store).remember(Wearable("AA:01", "imu", WearableKind.REHAB_IMU,
                                              BodySegment.SHANK))
    assert pick_source(store, dev, CAMERA_EX) == SourceSpec(K.BLE, "",
                                                            SourceSpec(K.CAMERA, "2"))
    assert pick_source(store, dev, NO_CAMERA_EX) == SourceSpec(K.BLE)
    store.close()
