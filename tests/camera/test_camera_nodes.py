"""Which /dev/video* nodes are cameras (sensors.camera.v4l2_nodes): the rule the kiosk's
camera (first_camera), rehab session's and pick_source's camera (therapy.sources) and
rehab doctor share. A Pi has codec and ISP nodes with no webcam plugged in; a UVC webcam has a
metadata node beside its capture node."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from tests.helpers.fake_v4l2 import METADATA_ONLY, PiIspNode, devices

from kiosk.adapters.camera import NoCamera, first_camera
from sensors.camera.v4l2_nodes import cameras, probe, video_nodes


def test_capture_nodes_off_the_chip_by_number(tmp_path: Path) -> None:
    dev, bus = devices(tmp_path, ("video10", {"caps": METADATA_ONLY}),
                       ("video14", {"kind": PiIspNode}), ("video3", {"caps": METADATA_ONLY}),
                       ("video2", {}), ("video21", {}))
    assert [p.name for p in video_nodes(dev)] == ["video2", "video3", "video10", "video14",
                                                  "video21"]
    assert [p.name for p in cameras(dev, bus)] == ["video2", "video21"]
    assert first_camera(dev, bus) == str(dev / "video2")
    assert "no video capture" in (probe(dev / "video3", bus) or "")
    assert "on-chip" in (probe(dev / "video14", bus) or "")


def test_a_node_that_cannot_be_asked_is_kept_so_opening_it_says_why(tmp_path: Path) -> None:
    dev, bus = devices(tmp_path, ("video0", {"caps": METADATA_ONLY}),
                       ("video1", {"open_errno": errno.EACCES}))
    assert probe(dev / "video1", bus) == f"errno:{errno.EACCES}"
    assert [p.name for p in cameras(dev, bus)] == ["video1"]


def test_a_pi_without_a_webcam_has_no_camera(tmp_path: Path) -> None:
    dev, bus = devices(tmp_path, ("video10", {"caps": METADATA_ONLY}),
                       ("video14", {"kind": PiIspNode}))
    assert cameras(dev, bus) == []
    with pytest.raises(NoCamera, match="plug in the USB camera"):
        first_camera(dev, bus)


def test_with_the_real_calls_a_stand_in_file_is_a_camera_and_a_real_non_v4l2_node_is_not(
        tmp_path: Path) -> None:
    (tmp_path / "video0").touch()  # a test's or bench's device folder
    (tmp_path / "video1").symlink_to("/dev/null")  # a character device that is no camera
    assert [p.name for p in cameras(tmp_path)] == ["video0"]
    assert probe(tmp_path / "video1") == "not a V4L2 device"


def test_pick_source_takes_the_same_camera_as_the_kiosk(tmp_path: Path) -> None:
    from exercises.catalogue import CATALOGUE
    from therapy.plan import exercise_from_catalogue
    from therapy.sources import _camera_for

    (tmp_path / "video10").symlink_to("/dev/null")  # a Pi's codec node: no camera
    item = exercise_from_catalogue(next(k for k, e in CATALOGUE.items()
                                        if e.camera_joint is not None))
    assert _camera_for(item, tmp_path) is None
    (tmp_path / "video2").touch()
    spec = _camera_for(item, tmp_path)
    assert spec is not None and spec.target == "2"
