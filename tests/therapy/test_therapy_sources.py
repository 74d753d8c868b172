"""The session source string (pure parser) and what a kiosk picks with nothing chosen."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensors.ble.ports import Wearable, WearableKind
from sensors.types import BodySegment
from therapy.devices import WearableRegistry
from therapy.plan import exercise_from_catalogue
from therapy.sources import (
    SourceKind,
    SourceSpec,
    SourceSpecError,
    parse_source,
    pick_source,
    segments_for,
)
from therapy.store import TherapyStore

K = SourceKind


@pytest.mark.parametrize(("text", "spec"), [
    ("sim", SourceSpec(K.SIM)),
    (" BLE ", SourceSpec(K.BLE)),
    ("serial:/dev/rehab-imu0", SourceSpec(K.SERIAL, "/dev/rehab-imu0")),
    ("video:set 1.mp4", SourceSpec(K.VIDEO, "set 1.mp4")),
    ("video:a+b.mp4", SourceSpec(K.VIDEO, "a+b.mp4")),  # "+" inside a file name stays
    ("camera", SourceSpec(K.CAMERA, "0")),
    ("camera:02", SourceSpec(K.CAMERA, "2")),
    ("ble+camera", SourceSpec(K.BLE, "", SourceSpec(K.CAMERA, "0"))),
    ("serial:/dev/ttyACM0+camera:1",
     SourceSpec(K.SERIAL, "/dev/ttyACM0", SourceSpec(K.CAMERA, "1"))),
    ("sim+video:x+y.mp4", SourceSpec(K.SIM, "", SourceSpec(K.VIDEO, "x+y.mp4"))),
])
def test_source_strings(text: str, spec: SourceSpec) -> None:
    assert parse_source(text) == spec
    assert parse_source(str(spec)) == spec  # printed as it is typed


@pytest.mark.parametrize(("text", "message"), [
    ("", "unknown source ''"),
    ("usb", "unknown source 'usb'"),
    ("sim:3", "source sim takes no argument"),
    ("serial", "source serial needs a port"),
    ("serial: ", "source serial needs a port"),
    ("video", "source video needs a file"),
    ("camera:-1", "camera index must be a number 0..63"),
    ("camera:٣", "camera index must be a number"),  # a non-ASCII digit
    ("camera:64", "camera index must be a number 0..63"),
    ("camera+ble", "join one wearable source and one camera source"),
    ("ble+sim", "join one wearable source and one camera source"),
    ("ble+camera+video:x", "join one wearable source and one camera source"),
])
def test_bad_source_strings_say_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(SourceSpecError, match=message.replace("+", r"\+")):
        parse_source(text)


def test_live_sources() -> None:
    assert [parse_source(t).live for t in ("sim", "ble", "serial:/x", "video:x", "camera",
                                           "sim+video:x", "sim+camera")] == \
        [False, True, True, False, True, False, True]


def test_the_kiosk_picks_paired_wearables_then_a_plugged_one_then_the_simulator(
        tmp_path: Path) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    dev = tmp_path / "dev"
    dev.mkdir()
    assert pick_source(store, dev) == SourceSpec(K.SIM)
    (dev / "rehab-imu1").touch()
    (dev / "rehab-imu0").touch()
    assert pick_source(store, dev) == SourceSpec(K.SERIAL, str(dev / "rehab-imu0"))
    WearableRegistry(store).remember(Wearable("AA:01", "imu", WearableKind.REHAB_IMU,
                                              BodySegment.SHANK))
    assert pick_source(store, dev) == SourceSpec(K.BLE)
    store.close()


def test_segments_a_wearable_set_needs() -> None:
    ex = exercise_from_catalogue("knee_extension_seated")
    assert segments_for(ex, False) == ("shank", None)
    assert segments_for(ex, True) == ("shank", "thigh")


def test_the_source_parser_is_pure(modules_loaded_by) -> None:  # type: ignore[no-untyped-def]
    loaded = modules_loaded_by("therapy.source_spec")
    assert not loaded & {"sqlite3", "serial", "bleak", "bumble", "cv2", "mediapipe",
                         "paho", "kivy", "asyncio"}
