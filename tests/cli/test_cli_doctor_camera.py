"""``rehab doctor``'s camera checks over the fake V4L2 device (tests/helpers/fake_v4l2.py,
paced at the camera's real rate so the rate is measured, not assumed) and the pose model
in a per-test cache (XDG_CACHE_HOME)."""

from __future__ import annotations

import errno
import importlib.util
import re
from pathlib import Path

import pytest
from tests.helpers.fake_v4l2 import FMT, METADATA_ONLY, FakeV4l2, FakeV4l2Bus, PiIspNode, devices

from kiosk.adapters.camera import NoCamera, first_camera
from rehab.cli import main
from rehab.commands import doctor_camera
from rehab.commands.doctor import Check, Status
from rehab.commands.doctor_camera import NO_CAMERA, camera_checks
from sensors.camera import v4l2_abi as abi
from sensors.camera.model_cache import convert_file, wheel_landmark_model
from sensors.camera.v4l2_nodes import cameras

H264 = abi.fourcc("H264")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "rehab-kiosk"




def by_name(checks: list[Check]) -> dict[str, Check]:
    """Checks by name, a camera's by its node's name (video0)."""
    out = {Path(c.name[7:]).name if c.name.startswith("camera /") else c.name: c
           for c in checks}
    assert len(out) == len(checks)
    return out


def measured_fps(text: str) -> float:
    found = re.search(r"([\d.]+) fps measured", text)
    assert found, text
    return float(found.group(1))


@pytest.mark.alone  # the frame rate measured on the fake's real-time pacing
def test_mjpg_camera_read_as_the_kiosk_reads_it(tmp_path: Path, cache: Path) -> None:
    dev, bus = devices(tmp_path, ("video0", {"paced": True}))
    checks = by_name(camera_checks(dev, v4l2_os=bus))
    cam = checks["video0"]
    print(cam.line())
    assert cam.status is Status.OK, cam.line()
    assert "the kiosk's camera; MJPG 640x480 at 30 fps" in cam.text
    assert 26.0 <= measured_fps(cam.text) <= 34.0
    decoded = int(re.search(r"(\d+) frames decoded", cam.text).group(1))  # type: ignore[union-attr]
    assert 25 <= decoded <= 36 and "0 failed" in cam.text
    assert "stamps CLOCK_MONOTONIC, 4 ms old at most" in cam.text  # the fake's latency_s
    calls = bus.devices[str(dev / "video0")].calls
    assert "STREAMON" in calls and calls[-1] == "REQBUFS"  # streamed, then freed: closed
    assert not bus.devices[str(dev / "video0")].fds


@pytest.mark.alone  # the frame rate measured on the fake's real-time pacing
def test_slow_yuyv_camera_without_monotonic_stamps_warns(tmp_path: Path,
                                                         cache: Path) -> None:
    dev, bus = devices(tmp_path, ("video0", {"formats": (FMT.YUYV,), "fps": 15.0,
                                             "paced": True, "monotonic_stamps": False}))
    cam = by_name(camera_checks(dev, v4l2_os=bus))["video0"]
    print(cam.line())
    assert cam.status is Status.WARN
    assert "YUYV 640x480 at 15 fps" in cam.text
    assert 13.0 <= measured_fps(cam.text) <= 17.0
    assert "below 20 fps" in cam.text and "more light" in cam.text
    assert "stamps not CLOCK_MONOTONIC: frames timed on arrival" in cam.text


class DimRoomCamera(FakeV4l2):
    """Says 30 fps and delivers its own rate: a webcam whose auto-exposure lengthens each
    frame in a dim room (exposure priority) still reports the rate asked for."""

    def _g_parm(self, parm: abi.StreamParm) -> None:
        super()._g_parm(parm)
        parm.parm.capture.timeperframe.denominator = 30


@pytest.mark.alone  # the frame rate measured on the fake's real-time pacing
def test_rate_is_measured_not_taken_from_the_driver(tmp_path: Path, cache: Path) -> None:
    dev, bus = devices(tmp_path, ("video0", {"kind": DimRoomCamera, "fps": 12.0,
                                             "paced": True}))
    cam = by_name(camera_checks(dev, v4l2_os=bus))["video0"]
    assert cam.status is Status.WARN and "MJPG 640x480 at 30 fps" in cam.text
    assert 10.0 <= measured_fps(cam.text) <= 14.0 and "below 20 fps" in cam.text


def test_camera_negotiating_another_size_and_torn_frames_warn(tmp_path: Path,
                                                              cache: Path) -> None:
    dev, bus = devices(tmp_path, ("video0", {"size": (320, 240), "paced": True,
                                             "corrupt_next": 4}))
    cam = by_name(camera_checks(dev, v4l2_os=bus))["video0"]
    assert cam.status is Status.WARN
    assert "MJPG 320x240" in cam.text and "the kiosk asks for 640x480" in cam.text
    assert re.search(r"4 of \d+ frames did not decode", cam.text), cam.text
    assert ", 4 failed" in cam.text


def test_h264_only_camera_falls_back_to_opencv(tmp_path: Path, cache: Path) -> None:
    assert importlib.util.find_spec("cv2") is not None  # the test extra installs it
    dev, bus = devices(tmp_path, ("video0", {"formats": (H264,)}))
    cam = by_name(camera_checks(dev, v4l2_os=bus))["video0"]
    assert cam.status is Status.WARN
    assert "offers H264, not MJPG, JPEG or YUYV" in cam.text
    assert "through OpenCV (+28 MB)" in cam.text


def test_camera_refusing_this_user_fails_with_the_video_group(tmp_path: Path,
                                                              cache: Path) -> None:
    dev, bus = devices(tmp_path, ("video0", {"open_errno": errno.EACCES}))
    for read in (True, False):  # --no-camera still opens it to ask what it is
        cam = by_name(camera_checks(dev, v4l2_os=bus, read=read))["video0"]
        assert cam.status is Status.FAIL
        assert "permission denied: add the kiosk's user to the video group" in cam.text


def test_busy_camera_fails_saying_another_program_has_it(tmp_path: Path,
                                                          cache: Path) -> None:
    dev, bus = devices(tmp_path, ("video0", {"busy": True}))
    cam = by_name(camera_checks(dev, v4l2_os=bus))["video0"]
    assert cam.status is Status.FAIL and "another program has the camera" in cam.text
    assert not bus.devices[str(dev / "video0")].fds  # closed again


def test_camera_giving_no_frame_fails(tmp_path: Path, cache: Path) -> None:
    dev, bus = devices(tmp_path, ("video0", {"stalled": True}))
    cam = by_name(camera_checks(dev, v4l2_os=bus))["video0"]  # the capture waits 5 s
    assert cam.status is Status.FAIL
    assert cam.text.startswith("MJPG 640x480 at 30 fps; ") and "no frame" in cam.text


def test_no_camera_is_a_normal_kiosk(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "dev").mkdir()
    checks = camera_checks(tmp_path / "dev", v4l2_os=FakeV4l2Bus())
    assert [c.name for c in checks] == ["pose model", "camera"]
    assert checks[1] == Check("camera", Status.OK, NO_CAMERA)


def test_no_camera_flag_only_asks_each_node_what_it_is(tmp_path: Path, cache: Path) -> None:
    dev, bus = devices(tmp_path, ("video0", {}), ("video1", {"caps": METADATA_ONLY}))
    checks = by_name(camera_checks(dev, v4l2_os=bus, read=False))
    assert checks["video0"].status is Status.OK
    assert "the kiosk's camera; not read (--no-camera)" in checks["video0"].text
    assert checks["video nodes"].text == \
        "not cameras: video1 (Fake Webcam, fakevideo: no video capture)"
    for fake in bus.devices.values():  # nothing a streaming kiosk would notice
        assert fake.calls == ["QUERYCAP"] and not fake.fds


def test_second_camera_is_named_not_the_kiosks(tmp_path: Path, cache: Path) -> None:
    dev, bus = devices(tmp_path, ("video0", {"paced": True}), ("video1", {"caps": METADATA_ONLY}),
                       ("video2", {"paced": True}))
    checks = by_name(camera_checks(dev, v4l2_os=bus))
    assert list(checks) == ["pose model", "video0", "video2", "video nodes"]
    assert "the kiosk's camera" in checks["video0"].text
    assert "not used by the kiosk" in checks["video2"].text


def test_codec_nodes_without_a_webcam(tmp_path: Path, cache: Path) -> None:
    """A Pi without a webcam: /dev/video10.. are its codec's and ISP's nodes, and neither
    the doctor nor the kiosk takes one for a camera (the kiosk once took video10, and its
    camera exercises said 'No camera found' instead of using the wearables)."""
    dev, bus = devices(tmp_path, ("video10", {"caps": METADATA_ONLY}),
                       ("video14", {"kind": PiIspNode}))
    checks = by_name(camera_checks(dev, v4l2_os=bus))
    assert checks["camera"].text == NO_CAMERA
    assert "video14 (bcm2835-isp-capture0, bcm2835-isp: on-chip, not a webcam)" in \
        checks["video nodes"].text
    assert bus.devices[str(dev / "video14")].calls == ["QUERYCAP"]  # not read
    assert set(checks) == {"pose model", "camera", "video nodes"}
    assert cameras(dev, bus) == []
    with pytest.raises(NoCamera):
        first_camera(dev, bus)


def test_pose_model_not_converted_then_converted(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "dev").mkdir()
    model = camera_checks(tmp_path / "dev")[0]
    assert model.status is Status.WARN and "not converted yet" in model.text
    assert f"not in {cache}" in model.text and "python -m sensors.camera.model_cache" in model.text
    made = convert_file(wheel_landmark_model(), cache, segmentation=False)  # the kiosk's way
    model = camera_checks(tmp_path / "dev")[0]
    assert model.status is Status.OK
    assert model.text == f"converted: {made} ({made.stat().st_size / 1024**2:.1f} MB)"


def test_pose_model_cache_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    (tmp_path / "afile").write_text("x")  # root may write anything, but not under a file
    model = camera_checks(tmp_path / "dev", cache_dir=tmp_path / "afile" / "rehab-kiosk")[0]
    assert model.status is Status.WARN and "cannot be written" in model.text


def test_without_the_camera_extra(tmp_path: Path, cache: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(doctor_camera.importlib.util, "find_spec",
                        lambda name, *a: None if name == "mediapipe" else real(name, *a))
    (tmp_path / "dev").mkdir()
    assert camera_checks(tmp_path / "dev")[0] == Check(
        "pose model", Status.OK, "the camera extra is not installed (mediapipe missing); "
        "not needed without a camera")
    dev, bus = devices(tmp_path, ("video0", {}))
    model, cam = camera_checks(dev, v4l2_os=bus)
    assert model.status is Status.WARN and "pip install 'rehab-kiosk[camera]'" in model.text
    assert cam.status is Status.WARN and "camera extra is missing" in cam.text
    assert bus.devices[str(dev / "video0")].calls == ["QUERYCAP"]


def test_rehab_doctor_prints_the_camera_lines(tmp_path: Path, cache: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Through the command (this machine's /dev, not read): the lines are there and parse."""
    main(["doctor", "--data-dir", str(tmp_path), "--no-camera"])
    lines = capsys.readouterr().out.splitlines()
    names = [line.split(None, 1)[1].split(": ", 1)[0] for line in lines[:-1]]
    assert "pose model" in names and names.index("pose model") == names.index("kiosk settings") + 1
    assert any(n.startswith("camera") for n in names)
    assert [line for line in lines if line.startswith("warn  pose model: not converted yet")]
