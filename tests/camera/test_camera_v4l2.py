"""The live camera read from V4L2 without OpenCV (sensors/camera/v4l2_capture.py), on the
fake V4L2 device (tests/helpers/fake_v4l2.py: the same ioctls on the same ctypes
structures, real mmap buffers): format negotiation (MJPG, else YUYV, else OpenCV), frames
decoded to the picture the camera saw, the newest frame always, the driver's timestamps,
a missing and an unplugged camera said as OpenCvCapture says them, and a clean close."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest

from sensors.camera import CameraError, CameraMissing
from sensors.camera import v4l2_abi as abi
from sensors.camera.capture import open_live_camera
from sensors.camera.hub import FrameHub
from sensors.camera.v4l2_capture import MAX_BAD_FRAMES, V4l2Capture, V4l2Unsupported
from tests.helpers.fake_v4l2 import FakeV4l2, numbered_picture, picture_number

FMT = abi.PixelFormat
MEAN_ERR_MAX = 3.0  # mean |decoded - picture| per channel (JPEG q85, 4:2:0 or 4:2:2 chroma)


def _err(image: np.ndarray, seq: int) -> float:
    return float(np.abs(image.astype(np.int16) - numbered_picture(seq, image.shape[1],
                                                                  image.shape[0])).mean())


@pytest.mark.parametrize(("offered", "chosen"), [
    ((FMT.YUYV, FMT.MJPEG), FMT.MJPEG),  # MJPG first, wherever the driver lists it
    ((FMT.YUYV, FMT.JPEG), FMT.JPEG),  # MJPG by its other name
    ((FMT.YUYV,), FMT.YUYV),
])
def test_negotiates_mjpg_first_then_yuyv_and_decodes_what_the_camera_saw(
        offered: tuple[int, ...], chosen: int) -> None:
    dev = FakeV4l2(formats=offered)
    cap = V4l2Capture(0, v4l2_os=dev, clock=dev.monotonic)
    try:
        assert (cap.pixel_format, dev.pixel_format) == (chosen, chosen)
        assert (cap.width, cap.height, cap.fps, cap.is_file) == (640, 480, 30.0, False)
        for seq in range(3):
            t, image = cap.read()
            assert image.shape == (480, 640, 3) and image.dtype == np.uint8
            assert image.flags.c_contiguous
            assert picture_number(image) == seq and _err(image, seq) < MEAN_ERR_MAX
            assert t == pytest.approx(dev.now_s - dev.latency_s)
    finally:
        cap.close()


def test_the_driver_size_and_rate_are_what_the_capture_reports() -> None:
    dev = FakeV4l2(formats=(FMT.YUYV,), size=(320, 240), fps=15.0)
    cap = V4l2Capture("/dev/video0", v4l2_os=dev)
    try:
        _, image = cap.read()
        assert (cap.width, cap.height, cap.fps) == (320, 240, 15.0)
        assert image.shape == (240, 320, 3) and _err(image, 0) < MEAN_ERR_MAX
    finally:
        cap.close()


def test_a_read_takes_the_newest_ready_frame_and_requeues_the_older_ones() -> None:
    dev = FakeV4l2()
    cap = V4l2Capture(0, v4l2_os=dev)
    try:
        n_buffers = len(dev.maps)
        assert n_buffers >= 3
        cap.read()
        dev.deliver(n_buffers)  # the pose model was slow: every buffer filled meanwhile
        _, image = cap.read()
        assert picture_number(image) == n_buffers  # frames 1..n ready: the newest wins
        assert cap.skipped_ == n_buffers - 1
        assert sorted(dev.queued) == list(range(n_buffers))  # all back with the driver
        _, image = cap.read()
        assert picture_number(image) == n_buffers + 1
    finally:
        cap.close()


def test_times_are_the_drivers_stamps_on_the_injected_clock_else_the_clock() -> None:
    dev = FakeV4l2()
    cap = V4l2Capture(0, v4l2_os=dev, clock=lambda: 50.0)  # another base than CLOCK_MONOTONIC
    try:
        t, _ = cap.read()
        assert t == pytest.approx(50.0 - dev.latency_s)  # the frame's age, on the clock
    finally:
        cap.close()
    dev = FakeV4l2(monotonic_stamps=False)
    cap = V4l2Capture(0, v4l2_os=dev, clock=lambda: 50.0)
    try:
        assert cap.read()[0] == 50.0  # no CLOCK_MONOTONIC flag: the clock at dequeue
    finally:
        cap.close()


def test_a_missing_camera_is_said_as_opencv_capture_says_it() -> None:
    dev = FakeV4l2("/dev/video0")
    with pytest.raises(CameraMissing) as caught:
        V4l2Capture(63, v4l2_os=dev)
    assert str(caught.value) == ("cannot open camera source 63 (check the cable, the "
                                 "/dev/video* permissions or the file path)")
    with pytest.raises(CameraMissing, match="cannot open camera source '/dev/video9' "):
        V4l2Capture("/dev/video9", v4l2_os=dev)
    with pytest.raises(CameraMissing, match="cannot open camera source 63 "):
        V4l2Capture(63)  # the real OS: no /dev/video63 here either


def test_an_unplugged_camera_is_camera_missing_and_still_closes() -> None:
    dev = FakeV4l2()
    cap = V4l2Capture(0, v4l2_os=dev)
    cap.read()
    dev.unplug()
    with pytest.raises(CameraMissing, match=r"source 0: no frame \(camera unplugged\?\)"):
        cap.read()
    cap.close()
    assert not dev.fds and all(m.closed for m in dev.maps)


def test_a_camera_that_stops_sending_is_camera_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import sensors.camera.v4l2_capture as v4l2

    monkeypatch.setattr(v4l2, "NO_FRAME_S", 0.3)
    dev = FakeV4l2()
    cap = V4l2Capture(0, v4l2_os=dev)
    try:
        dev.stalled = True
        with pytest.raises(CameraMissing, match="camera unplugged"):
            cap.read()
    finally:
        cap.close()


def test_corrupt_frames_are_skipped_and_a_stream_of_them_is_an_error() -> None:
    dev = FakeV4l2()
    cap = V4l2Capture(0, v4l2_os=dev)
    try:
        dev.corrupt_next = 2
        _, image = cap.read()
        assert picture_number(image) == 2 and cap.bad_ == 0
        dev.corrupt_next = MAX_BAD_FRAMES
        with pytest.raises(CameraError, match=f"{MAX_BAD_FRAMES} frames in a row"):
            cap.read()
    finally:
        cap.close()


def test_close_stops_unmaps_frees_and_closes_once() -> None:
    dev = FakeV4l2()
    cap = V4l2Capture(0, v4l2_os=dev)
    cap.read()
    cap.close()
    cap.close()
    assert dev.calls[-2:] == ["STREAMOFF", "REQBUFS"]  # REQBUFS(0) after the munmap: no EBUSY
    assert dev.calls.count("REQBUFS") == 2 and not dev.streaming
    assert not dev.fds and all(m.closed for m in dev.maps)
    assert cap.read() is None


def test_a_node_that_is_not_a_capture_device_is_camera_missing() -> None:
    dev = FakeV4l2(caps=abi.Cap.STREAMING)  # a UVC camera's metadata node, say
    with pytest.raises(CameraMissing, match="not a video capture device"):
        V4l2Capture(0, v4l2_os=dev)
    assert not dev.fds


def test_a_camera_without_mjpg_or_yuyv_falls_back_to_opencv_said_once(
        caplog: pytest.LogCaptureFixture) -> None:
    opened: list[object] = []

    def opencv(device: object, **kw: object) -> object:
        opened.append(device)
        return "opencv capture"

    h264 = abi.fourcc("H264")
    for _ in range(2):
        dev = FakeV4l2("/dev/video7", formats=(h264,))
        with caplog.at_level(logging.WARNING, logger="sensors.camera.capture"):
            got = open_live_camera(7, v4l2_os=dev, fallback=opencv)
        assert got == "opencv capture" and not dev.fds
    assert opened == [7, 7]
    said = [r.getMessage() for r in caplog.records if r.name == "sensors.camera.capture"]
    assert said == ["camera 7 offers H264, not MJPG, JPEG or YUYV: reading it with OpenCV instead"]
    with pytest.raises(V4l2Unsupported):
        V4l2Capture(7, v4l2_os=FakeV4l2("/dev/video7", formats=(h264,)))


def test_the_live_opener_reads_v4l2_when_it_can() -> None:
    dev = FakeV4l2()
    cap = open_live_camera("/dev/video0", v4l2_os=dev, fallback=None)
    try:
        assert isinstance(cap, V4l2Capture) and picture_number(cap.read()[1]) == 0
    finally:
        cap.close()


def test_a_frame_hub_reads_it_at_the_cameras_rate_and_stops_it() -> None:
    dev = FakeV4l2(paced=True)
    hub = FrameHub(V4l2Capture(0, v4l2_os=dev)).start()
    sub = hub.subscribe("pose")
    try:
        t0 = time.monotonic()
        seen = [picture_number(sub.read(timeout_s=2.0)[1]) for _ in range(6)]
        took = time.monotonic() - t0
    finally:
        hub.stop()
    assert seen == sorted(seen) and len(set(seen)) == 6
    assert took >= 5 / 30 and hub.error_ is None
    assert not dev.fds and not dev.streaming


def test_the_real_os_calls_fill_ctypes_structures_in_place() -> None:
    import ctypes
    import fcntl
    import os
    import pty
    import struct
    import termios

    from sensors.camera.v4l2_capture import SystemV4l2

    real = SystemV4l2()
    r, w = os.pipe()
    main, tty = pty.openpty()
    try:
        os.write(w, b"abc")
        pending = ctypes.c_int()
        real.ioctl(r, termios.FIONREAD, pending)
        fcntl.ioctl(main, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))

        class WinSize(ctypes.Structure):
            _fields_ = [(n, ctypes.c_ushort) for n in ("rows", "cols", "xpixel", "ypixel")]

        size = WinSize()
        real.ioctl(tty, termios.TIOCGWINSZ, size)
        assert (pending.value, size.rows, size.cols) == (3, 24, 80)
        assert real.wait_readable(r, 0.0) and not real.wait_readable(tty, 0.05)
    finally:
        for fd in (r, w, main, tty):
            os.close(fd)


def test_a_device_that_is_no_camera_is_camera_missing_through_the_real_calls() -> None:
    with pytest.raises(CameraMissing, match="'/dev/null': not a V4L2 device"):
        V4l2Capture("/dev/null")  # VIDIOC_QUERYCAP on a real fd: ENOTTY
