"""The kiosk's camera: one capture (the first /dev/video*) read on one thread by a
:class:`~sensors.camera.hub.FrameHub` and fanned out to its consumers, the camera set-up's
pose worker (``CameraWorker`` on the ``pose`` subscriber) and a video visit's track (the
``call`` subscriber, ``kiosk/visit_setup.py``), so both can run at once on one device.

Without a camera, or without the ``camera`` extra, opening raises :class:`NoCamera`, whose
message the screen shows ("No camera found")."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError

log = logging.getLogger(__name__)
NO_CAMERA = "No camera found"
POSE_MAX_FPS = 10.0  # pose frames a second (bench.kiosk: a Pi's one core for everything)

CameraOpener = Callable[[], Any]  # -> a started CameraWorker (latest(), stop())
CaptureFactory = Callable[[Any], Any]  # device (path or index) -> a FrameSource


class NoCamera(KioskError):
    """No camera, or the camera extra (Pillow, MediaPipe) is not installed."""


def first_camera(dev_dir: Path = Path("/dev"), v4l2_os: Any = None) -> str:
    """The lowest-numbered camera node (``sensors.camera.v4l2_nodes.cameras``: a Pi's codec
    and ISP nodes are no camera); ``v4l2_os``: the OS calls (a fake device in tests)."""
    from sensors.camera.v4l2_nodes import cameras

    videos = cameras(dev_dir, v4l2_os)
    if not videos:
        raise NoCamera(f"{NO_CAMERA}: plug in the USB camera and try again.")
    return str(videos[0])


def live_capture(device: int | str, *, v4l2_os: Any = None) -> Any:
    """The camera's frames read straight from V4L2 (no OpenCV loaded: ~28 MB less), or
    through OpenCV for a camera V4L2 cannot read (``sensors.camera.capture.open_live_camera``);
    ``v4l2_os``: the OS calls (a fake V4L2 device in tests)."""
    try:
        from sensors.camera.capture import open_live_camera
        from sensors.camera.errors import CameraError
    except ImportError as exc:
        raise NoCamera(f"{NO_CAMERA}: the camera extra is not installed "
                       "(pip install 'rehab-kiosk[camera]').") from exc
    try:
        return open_live_camera(device, v4l2_os=v4l2_os)
    except (CameraError, ImportError) as exc:
        raise NoCamera(f"{NO_CAMERA}: {exc}") from exc


def _mediapipe() -> Any:
    try:
        from sensors.camera.errors import CameraError
        from sensors.camera.pose import MediaPipePose
    except ImportError as exc:
        raise NoCamera(f"{NO_CAMERA}: the camera extra is not installed "
                       "(pip install 'rehab-kiosk[camera]').") from exc
    try:
        return MediaPipePose(video=True)
    except (CameraError, ImportError) as exc:
        raise NoCamera(f"{NO_CAMERA}: {exc}") from exc


class SharedCamera:
    """The device's camera behind one :class:`FrameHub`, opened when a consumer subscribes
    and closed when the last one leaves (the camera's light is off between uses).
    ``capture`` opens a device (:func:`live_capture` by default; a fake in tests), ``pose`` makes
    the pose estimator (MediaPipe by default). :meth:`subscribe` makes it a hub for
    ``build_visits(hub=...)``; :meth:`preview` is the visit screen's own-picture feed."""

    def __init__(self, device: int | str | None = None, *, dev_dir: Path = Path("/dev"),
                 capture: CaptureFactory = live_capture,
                 pose: Callable[[], Any] = _mediapipe) -> None:
        self.device = device
        self.dev_dir = dev_dir
        self.capture = capture
        self.pose = pose
        self.opened_ = 0  # captures opened (one per stretch of use)
        self._hub: Any = None
        self._subs: list[Any] = []  # the subscribers handed out and not closed
        self._lock = threading.RLock()

    @property
    def fps(self) -> float:
        return float(self._hub.fps) if self._hub is not None else 0.0

    def subscribe(self, name: str, depth: int = 1) -> Any:
        """A subscriber of the running capture (opened now if it was not): closing it
        leaves the hub, and the last one to leave closes the camera. NoCamera without
        one."""
        from sensors.camera.hub import FrameHub

        with self._lock:
            if self._hub is None or not self._hub.running:
                device = self.device if self.device is not None else first_camera(self.dev_dir)
                self._hub = FrameHub(self.capture(device)).start()
                self.opened_ += 1
            sub = self._hub.subscribe(name, depth)
            self._subs.append(sub)
        close = sub.close

        def close_and_release() -> None:
            close()
            with self._lock:
                if sub in self._subs:
                    self._subs.remove(sub)
            self._release()

        sub.close = close_and_release
        return sub

    def _release(self) -> None:
        with self._lock:
            hub = self._hub
            if hub is None or hub.subscribers:
                return
            self._hub = None
        hub.stop()

    def open_pose(self) -> Any:
        """A started pose worker on a ``pose`` subscriber (the camera set-up); stopping
        it leaves the hub, the capture goes on while others read it."""
        from sensors.camera.rate_cap import RateCap
        from sensors.camera.worker import CameraWorker

        estimator = self.pose()
        # capped: inference on every 30 fps frame would take the Pi's one core
        worker = CameraWorker(RateCap(self.subscribe("pose"), POSE_MAX_FPS), estimator)
        worker.start()
        return worker

    def preview(self) -> Any:
        """The visit screen's own picture: the newest frame the call is sending (no
        subscriber of its own, so the camera is not kept open by the screen)."""
        return _Preview(self)

    def stop(self) -> None:
        with self._lock:
            hub, self._hub = self._hub, None
            self._subs.clear()
        if hub is not None:
            hub.stop()


class _Preview:
    def __init__(self, cam: SharedCamera) -> None:
        self.cam = cam

    def latest(self) -> Any:
        with self.cam._lock:
            subs = [s for s in self.cam._subs if s.name == "call"]
        return subs[-1].latest() if subs else None

    def close(self) -> None:
        pass


def open_camera(device: int | str | None = None) -> Any:
    """A started pose worker on ``device`` (or the first /dev/video*) through its own
    shared camera (:class:`SharedCamera`)."""
    return SharedCamera(device).open_pose()


class CallCamera:
    """The shared camera as ``build_visits(hub=...)`` takes it: a call's frames, or, with
    no camera, a feed without frames (the call sends a blank picture, logged) rather than
    failing the patient's yes."""

    def __init__(self, cam: SharedCamera) -> None:
        self.cam = cam

    def subscribe(self, name: str, depth: int = 1) -> Any:
        try:
            return self.cam.subscribe(name, depth)
        except NoCamera as exc:
            log.warning("video call without a picture: %s", exc)
            return _NoFrames()


class _NoFrames:
    fps = 0.0

    def latest(self) -> None:
        return None

    def read(self, timeout_s: float | None = None) -> None:
        return None

    def close(self) -> None:
        pass
