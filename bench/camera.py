"""Camera path figures at 640x480: pose alone vs the whole camera path, and the UI's frame
rate while the camera runs.

Run: ``python -m bench.camera`` (prints figures; not a test). Targets (issue 7): the whole
path (decode from a video file, pose, angle + smoother + rep detector, framing check,
skeleton) costs at most 20 % more per frame than the pose model alone, measured in the same
run; the kiosk's UI keeps its frame rate while the camera worker runs.

Frames: OpenCV's sample photos basketball1/2.png (640x480, Debian opencv-doc, Apache-2.0
AND BSD-3-Clause) alternated into an mp4v video written with OpenCV.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from kiosk.camera_setup_vm import CameraSetupVM
from kiosk.headless import prepare_env
from motion.camera_set import CameraSet
from sensors.camera.angles import CameraJoint
from sensors.camera.capture import OpenCvCapture, write_video
from sensors.camera.pose import MediaPipePose
from sensors.camera.stream import CameraAngleStream
from sensors.camera.worker import CameraWorker

PHOTOS = Path("/usr/share/doc/opencv-doc/examples/data")
MAX_OVERHEAD = 0.20
JOINT = CameraJoint.ELBOW_RIGHT


def frames() -> list[np.ndarray]:
    import cv2

    images = [cv2.imread(str(PHOTOS / n)) for n in ("basketball1.png", "basketball2.png")]
    if any(i is None for i in images):
        raise SystemExit(f"photos missing in {PHOTOS}: apt-get install opencv-doc")
    return images


def pose_alone(images: list[np.ndarray], n: int) -> list[float]:
    """ms per frame of the model on decoded images already in memory."""
    out = []
    with MediaPipePose(video=True) as pose:
        pose.estimate(images[0], 0.0)  # warm-up (graph start)
        for k in range(n):
            t0 = time.perf_counter()
            pose.estimate(images[k % 2], k / 30)
            out.append((time.perf_counter() - t0) * 1e3)
    return out


def whole_path(video: Path, n: int) -> list[float]:
    """ms per frame: read+decode, pose, angle stream into the rep detector, framing check."""
    out = []
    stream, cam = CameraAngleStream(JOINT), CameraSet(fps=30.0)
    vm = CameraSetupVM(JOINT)
    with MediaPipePose(video=True) as pose:
        cap = OpenCvCapture(video)
        got = cap.read()
        assert got is not None
        pose.estimate(got[1], 0.0)  # warm-up, as above
        for _ in range(n):
            t0 = time.perf_counter()
            got = cap.read()
            if got is None:
                break
            t_s, image = got
            frame = pose.estimate(image, t_s)
            cam.feed(stream.chunk([(t_s, frame)]))
            vm.update(t_s, frame)
            out.append((time.perf_counter() - t0) * 1e3)
        cap.close()
    return out


class PacedCapture:
    """A live camera stand-in: frames at ``fps`` in real time, stamped with the clock."""

    def __init__(self, images: list[np.ndarray], fps: float, seconds: float) -> None:
        self.images, self.fps = images, fps
        self._t0 = time.monotonic()
        self._n = 0
        self._end = seconds

    def read(self):
        self._n += 1
        due = self._t0 + self._n / self.fps
        time.sleep(max(0.0, due - time.monotonic()))
        t = time.monotonic() - self._t0
        return None if t > self._end else (t, self.images[self._n % 2])

    def close(self) -> None:
        pass


def ui_fps(images: list[np.ndarray], seconds: float, camera: bool) -> tuple[float, int]:
    """Frames/s of a Kivy window (offscreen, Mesa) showing the set-up screen, with or
    without the camera worker running; and the pose frames processed meanwhile."""
    from kivy.base import EventLoop
    from kivy.core.window import Window
    from kivy.uix.screenmanager import ScreenManager

    from kiosk.camera_setup import CameraSetupScreen

    worker = None
    if camera:
        worker = CameraWorker(PacedCapture(images, 30.0, seconds + 2), MediaPipePose(video=True))
        worker.start()
        time.sleep(1.0)  # model loaded and running
    latest = worker.latest if worker else (lambda: None)
    screen = CameraSetupScreen(CameraSetupVM(JOINT), latest, time.monotonic, lambda: None)
    sm = ScreenManager()
    sm.add_widget(screen)
    Window.add_widget(sm)
    EventLoop.ensure_window()
    EventLoop.idle()
    screen.on_enter()
    n0 = worker.frames_ if worker else 0
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        EventLoop.idle()  # one UI frame (Kivy caps it at 60 fps)
        n += 1
    fps = n / (time.perf_counter() - t0)
    screen.on_leave()
    Window.remove_widget(sm)
    processed = (worker.frames_ - n0) if worker else 0
    if worker:
        worker.stop()
    return fps, processed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=90, help="frames per measurement")
    ap.add_argument("--ui-seconds", type=float, default=5.0)
    args = ap.parse_args()
    images = frames()
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "bench.mp4"
        write_video(video, [images[k % 2] for k in range(args.frames + 2)], 30.0)
        # Alternate the two measurements so both see the same machine load.
        alone: list[float] = []
        whole: list[float] = []
        for _ in range(2):
            alone += pose_alone(images, args.frames // 2)
            whole += whole_path(video, args.frames // 2)
    a_med, w_med = statistics.median(alone), statistics.median(whole)
    overhead = w_med / a_med - 1
    print(f"pose alone  640x480: median {a_med:.1f} ms/frame, "
          f"p90 {np.percentile(alone, 90):.1f} ms ({len(alone)} frames)")
    print(f"whole path  640x480: median {w_med:.1f} ms/frame, "
          f"p90 {np.percentile(whole, 90):.1f} ms ({len(whole)} frames)")
    print(f"overhead: {overhead * 100:+.1f} % (target <= {MAX_OVERHEAD * 100:.0f} %) "
          f"{'OK' if overhead <= MAX_OVERHEAD else 'MISSED'}")
    prepare_env(tempfile.mkdtemp(prefix="kivy-bench-"), offscreen=not os.environ.get("DISPLAY"))
    idle_fps, _ = ui_fps(images, args.ui_seconds, camera=False)
    cam_fps, processed = ui_fps(images, args.ui_seconds, camera=True)
    print(f"UI frame rate, set-up screen: {idle_fps:.1f} fps without the camera, "
          f"{cam_fps:.1f} fps with the camera worker running "
          f"({processed / args.ui_seconds:.1f} pose frames/s processed meanwhile)")


if __name__ == "__main__":
    main()
