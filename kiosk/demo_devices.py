"""Stand-ins for the radio and the camera in ``rehab kiosk --screenshots`` (no hardware):
wearables "found" by a scan, and a camera worker showing a seated patient side-on with
their skeleton (the real ``CameraWorker`` threads over in-memory frames and poses)."""

from __future__ import annotations

from typing import Any

import numpy as np

from sensors.ble.pairing import Found
from sensors.ble.ports import Advert, WearableKind

DEMO_FOUND = (
    Found(Advert("F1:00:00:00:00:01", "RehabIMU-01", -52), WearableKind.REHAB_IMU, 86),
    Found(Advert("F1:00:00:00:00:02", "RehabIMU-02", -67), WearableKind.REHAB_IMU, 11),
    Found(Advert("F2:00:00:00:00:01", "WT901BLE68", -81), WearableKind.WITMOTION, None),
)
IMAGE_W, IMAGE_H = 640, 480


async def demo_discover(_scanner: Any, _timeout_s: float, _connector: Any) -> list[Found]:
    return list(DEMO_FOUND)


def _seated_right_side() -> np.ndarray:
    """33 landmarks (pixels) of a patient seated side-on, seen from the right."""
    from sensors.camera.landmarks import N_LANDMARKS
    from sensors.camera.landmarks import Landmark as L

    hip = np.array([260.0, 280.0])
    knee, shoulder = hip + [130.0, 0.0], hip + [0.0, -150.0]
    ankle = knee + [0.0, 120.0]
    xy = np.zeros((N_LANDMARKS, 2))
    for left, right, p in ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER, shoulder),
                           (L.LEFT_HIP, L.RIGHT_HIP, hip), (L.LEFT_KNEE, L.RIGHT_KNEE, knee),
                           (L.LEFT_ANKLE, L.RIGHT_ANKLE, ankle),
                           (L.LEFT_HEEL, L.RIGHT_HEEL, ankle + [-8.0, 6.0]),
                           (L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX, ankle + [18.0, 6.0]),
                           (L.LEFT_ELBOW, L.RIGHT_ELBOW, shoulder + [20.0, 80.0]),
                           (L.LEFT_WRIST, L.RIGHT_WRIST, shoulder + [80.0, 110.0])):
        xy[left], xy[right] = p - [3.0, 0.0], p + [3.0, 0.0]
    xy[L.NOSE] = shoulder + [25.0, -45.0]
    for i in range(1, 11):
        xy[i] = xy[L.NOSE] + [(-1) ** i * 6.0, -4.0]
    for i in range(17, 23):
        xy[i] = xy[L.LEFT_WRIST if i % 2 else L.RIGHT_WRIST] + [6.0, 4.0]
    return xy


def _limb(img: np.ndarray, p0: np.ndarray, p1: np.ndarray, half: int,
          bgr: tuple[int, int, int]) -> None:
    """A limb from ``p0`` to ``p1`` (pixels), ``2 * half`` wide, squares stamped along it."""
    for t in np.linspace(0.0, 1.0, int(np.hypot(*(p1 - p0))) // 2 + 2):
        x, y = (p0 + (p1 - p0) * t).astype(int)
        img[max(0, y - half):y + half, max(0, x - half):x + half] = bgr


def _image(xy: np.ndarray, patient: bool = True) -> np.ndarray:
    """A plain room: wall, floor, a chair and the patient's silhouette (blocks, no OpenCV;
    ``patient=False``: the room alone)."""
    img = np.full((IMAGE_H, IMAGE_W, 3), (200, 214, 222), np.uint8)  # BGR wall
    img[400:] = (120, 150, 170)  # floor
    img[285:300, 200:330] = (60, 80, 110)  # seat
    img[300:400, 205:215] = img[300:400, 315:325] = (60, 80, 110)  # chair legs
    if not patient:
        return img
    # every bone the skeleton draws lies on a drawn limb: trunk, thigh, lower leg and foot,
    # then the near arm (bent at the elbow, a lighter sleeve over the trunk); before, the arm
    # and foot had no body under them and the arm's bend read as a second, bent leg
    for i, j, half in ((12, 24, 14), (24, 26, 14), (26, 28, 12), (30, 32, 6)):
        _limb(img, xy[i], xy[j], half, (150, 110, 80))
    for i, j in ((12, 14), (14, 16)):
        _limb(img, xy[i], xy[j], 8, (175, 135, 105))
    nx, ny = int(xy[0][0]), int(xy[0][1])
    img[ny - 25:ny + 25, nx - 40:nx + 5] = (140, 170, 210)  # head
    return img


def demo_camera(dark: bool = False) -> Any:
    """A started CameraWorker showing the seated patient (ready after the 1 s check);
    ``dark``: the room with the light off (a sixth of the light: the model finds nobody)."""
    from sensors.camera.capture import ArrayCapture
    from sensors.camera.landmarks import N_LANDMARKS, PoseFrame
    from sensors.camera.pose import ScriptedPose
    from sensors.camera.worker import CameraWorker

    xy = _seated_right_side()
    frame = PoseFrame(0.0, xy, np.full(N_LANDMARKS, 0.98), IMAGE_W, IMAGE_H)
    image = _image(xy) // 6 if dark else _image(xy)
    worker = CameraWorker(ArrayCapture([image], 30.0), ScriptedPose([] if dark else [frame]))
    worker.start()
    return worker


def demo_room_view() -> Any:
    """The stand-in camera's picture once the patient has stepped out of it: the room
    alone, nobody found, as a ``camera_latest`` (the screenshots' ``camera_unseen``)."""
    from sensors.camera.worker import CameraResult

    # its own time: the live screen draws a result whose time differs from the one shown,
    # and the stand-in camera's one frame is at 0.0
    result = CameraResult(-1.0, _image(_seated_right_side(), patient=False), None, 0.0, 0.0)
    return lambda: result


class DemoCameraSources:
    """A camera exercise for the screenshots: simulated wearables count the reps while a
    stand-in camera worker (:func:`demo_camera`) supplies the picture the live screen
    shows (``camera_latest``, as a camera source factory would)."""

    demo = True

    def __init__(self, speed: float) -> None:
        from kiosk.adapters.sources import SimSourceFactory

        self.sim = SimSourceFactory(speed)
        self.worker = demo_camera()
        self.camera_latest = self.worker.latest

    def open(self, ex: Any, set_no: int) -> Any:
        return self.sim.open(ex, set_no)

    def stop(self) -> None:
        self.worker.stop()
