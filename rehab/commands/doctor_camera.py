"""``rehab doctor``'s camera checks: the pose model and each camera, as the kiosk reads it.

**pose model**: the ``camera`` extra installed (MediaPipe and Pillow found with
``importlib.util.find_spec``: nothing imported), the mediapipe wheel's full landmark model
present, and the kiosk's converted copy in the per-user cache
(:mod:`sensors.camera.model_cache`). Nothing is converted here (the doctor changes
nothing): a missing copy is a warning, converted at the first camera exercise (~1.5 s) or
by ``python -m sensors.camera.model_cache``. It FAILs only when the wheel has no model to
convert; a cache folder this user cannot write is a warning (the kiosk then runs the
wheel's model, ~28 MB more).

**cameras**: every ``/dev/video*`` node is asked what it is (``VIDEO_CAPTURE`` on a bus
that is not ``platform:``: a camera; a UVC camera's metadata node or a Pi's codec and ISP
nodes are listed as not cameras; the rule is :mod:`sensors.camera.v4l2_nodes`', the
kiosk's) and the kiosk's pick (the lowest-numbered camera) is named. Each camera is opened with
the kiosk's own :class:`~sensors.camera.v4l2_capture.V4l2Capture` (the format it
negotiates) and read for ``READ_S``: the rate measured on the frames' times, the decode of
each frame taken (and its cost), and whether the driver stamps buffers with
CLOCK_MONOTONIC (seen through the capture's OS calls, :class:`_StampWatch`). Warnings
below ``MIN_FPS``, on another size than 640x480, on frames that do not decode and on a
camera the kiosk would read through OpenCV; FAIL when it cannot be opened (permission:
the ``video`` group; busy: another program has it) or gives no frame. ``read=False``
(``rehab doctor --no-camera``) only asks each node what it is: opening and QUERYCAP do not
disturb a kiosk streaming from the camera. No camera is an ``ok`` line: a kiosk without
one measures camera exercises with the wearables.

The device folder (``dev_dir``) and the OS calls (``v4l2_os``) are injected, as the
kiosk's are: tests run on ``tests/helpers/fake_v4l2.py``.
"""

from __future__ import annotations

import ctypes
import errno
import importlib.util
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rehab.commands.doctor import Check, Status

if TYPE_CHECKING:
    from sensors.camera.v4l2_capture import V4l2Os

READ_S = 1.0  # frames read from each camera: enough for a rate, short for an installer
MIN_FPS = 20.0  # below this the pose path (10 frames/s) and the set-up preview stutter
WANTED_SIZE = (640, 480)  # what the capture asks for; framing checks are tuned on it
OPENCV_MB = 28  # import cv2 alone (sensors/camera/capture.py)
EXTRA = "pip install 'rehab-kiosk[camera]'"
NO_CAMERA = "no camera: camera exercises fall back to the wearables"
GROUP_ADVICE = ("add the kiosk's user to the video group (sudo usermod -aG video USER, "
                "then log in again)")
NAMES = ("pose model", "camera", "video nodes")  # "camera /dev/videoN" too
BUSY_ADVICE = ("another program has the camera (the kiosk itself? rehab doctor "
               "--no-camera checks without reading it)")


def camera_checks(dev_dir: Path = Path("/dev"), *, read: bool = True,
                  v4l2_os: V4l2Os | None = None, cache_dir: Path | None = None) -> list[Check]:
    """The pose model's line, then one line per camera (or the no-camera line) and one for
    the video nodes that are not cameras."""
    from sensors.camera.v4l2_nodes import counts_as_camera, probe, video_nodes  # numpy only

    extra = _extra_missing()
    nodes = video_nodes(dev_dir)
    checks = [_pose_model(extra, bool(nodes), cache_dir)]
    if not nodes:
        return [*checks, Check("camera", Status.OK, NO_CAMERA)]
    if v4l2_os is None:
        from sensors.camera.v4l2_capture import SystemV4l2
        v4l2_os = SystemV4l2()
    probes = [(node, probe(node, v4l2_os)) for node in nodes]  # in number order
    cameras = [n for n, why in probes if counts_as_camera(why)]
    kiosk_pick = cameras[0] if cameras else None  # the kiosk's rule (v4l2_nodes.cameras)
    others = [(n, why) for n, why in probes if n not in cameras]
    for node, why in probes:
        if node in cameras:
            checks.append(_camera(node, why, node == kiosk_pick, extra, read, v4l2_os))
    if not cameras:
        checks.append(Check("camera", Status.OK, NO_CAMERA))
    if others:
        shown = ", ".join(f"{n.name} ({why})" for n, why in others)
        checks.append(Check("video nodes", Status.OK, f"not cameras: {shown}"))
    return checks


def is_camera_check(name: str) -> bool:
    """Whether a check's name is one of these (a camera's is ``camera /dev/videoN``)."""
    return name.split(" /", 1)[0] in NAMES


# -- pose model ------------------------------------------------------------------------------
def _extra_missing() -> list[str]:
    return [name for name, mod in (("mediapipe", "mediapipe"), ("Pillow", "PIL"))
            if importlib.util.find_spec(mod) is None]


def _pose_model(extra_missing: list[str], cameras: bool, cache_dir: Path | None) -> Check:
    if extra_missing:
        text = f"the camera extra is not installed ({', '.join(extra_missing)} missing)"
        if cameras:
            return Check("pose model", Status.WARN,
                         f"{text}: the camera cannot be used; {EXTRA}")
        return Check("pose model", Status.OK, f"{text}; not needed without a camera")
    from sensors.camera.model_cache import cached_name, default_cache_dir, wheel_landmark_model

    source = wheel_landmark_model()
    if not source.is_file():
        return Check("pose model", Status.FAIL,
                     f"the installed mediapipe has no {source.name} (only 0.10.18's wheel "
                     f"ships it): {EXTRA}")
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    target = cache / cached_name(source.read_bytes(), source.stem, segmentation=False)
    if target.is_file():
        return Check("pose model", Status.OK,
                     f"converted: {target} ({target.stat().st_size / 1024**2:.1f} MB)")
    if not _writable(cache):
        return Check("pose model", Status.WARN,
                     f"{cache} cannot be written by this user: the kiosk runs the wheel's "
                     "model (~28 MB more memory, frames ~1.6x as long); give it a cache it "
                     "can write (XDG_CACHE_HOME; the shipped unit: /var/cache/rehab)")
    return Check("pose model", Status.WARN,
                 f"not converted yet ({target.name} not in {cache}): the first camera "
                 "exercise converts it (~1.5 s), or run `python -m "
                 "sensors.camera.model_cache` as the kiosk's user")


def _writable(folder: Path) -> bool:
    """Whether this user can write ``folder`` or create it (its nearest existing parent)."""
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


# -- cameras ---------------------------------------------------------------------------------
def _open_failure(name: str, err: int | None, detail: str) -> Check:
    if err in (errno.EACCES, errno.EPERM):
        return Check(name, Status.FAIL, f"permission denied: {GROUP_ADVICE}")
    if err == errno.EBUSY:
        return Check(name, Status.FAIL, f"busy: {BUSY_ADVICE}")
    return Check(name, Status.FAIL,
                 f"cannot be opened ({detail or os.strerror(err or 0)}): check the cable "
                 "and dmesg")


def _camera(node: Path, why: str | None, picked: bool, extra_missing: list[str], read: bool,
            v4l2_os: V4l2Os) -> Check:
    name = f"camera {node}"
    role = "the kiosk's camera" if picked else "not used by the kiosk (it opens the lowest-numbered camera)"
    if why is not None and why.startswith("errno:"):
        err = int(why[6:])
        return _open_failure(name, err, os.strerror(err))
    if extra_missing:
        return Check(name, Status.WARN, f"{role}; not read: the camera extra is missing")
    if not read:
        return Check(name, Status.OK, f"{role}; not read (--no-camera)")
    found = _read(node, v4l2_os)
    if isinstance(found, Check):
        return found
    status = Status.WARN if found.problems else Status.OK
    return Check(name, status, f"{role}; {found.text}"
                 + (f"; {'; '.join(found.problems)}" if found.problems else ""))


@dataclass(frozen=True, slots=True)
class _Reading:
    text: str
    problems: list[str]


class _StampWatch:
    """The capture's OS calls, passed through; notes each dequeued buffer's timestamp type
    and age (the capture does not keep it: it only uses the stamp)."""

    def __init__(self, inner: V4l2Os) -> None:
        self._inner = inner
        self.monotonic_stamps_ = 0
        self.other_stamps_ = 0
        self.ages_s_: list[float] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def ioctl(self, fd: int, request: int, arg: ctypes.Structure | ctypes.c_int) -> None:
        from sensors.camera import v4l2_abi as abi

        self._inner.ioctl(fd, request, arg)
        if request == abi.Ioctl.DQBUF:
            assert isinstance(arg, abi.Buffer)
            if (arg.flags & abi.BufFlag.TIMESTAMP_MASK) == abi.BufFlag.TIMESTAMP_MONOTONIC:
                self.monotonic_stamps_ += 1
                stamp = arg.timestamp.tv_sec + arg.timestamp.tv_usec * 1e-6
                self.ages_s_.append(self._inner.monotonic() - stamp)
            else:
                self.other_stamps_ += 1


def _read(node: Path, v4l2_os: V4l2Os) -> _Reading | Check:
    """Open ``node`` as the kiosk does, read it for READ_S and say what was found."""
    from sensors.camera import v4l2_abi as abi
    from sensors.camera.errors import CameraError, CameraMissing
    from sensors.camera.lazy_frame import resolve
    from sensors.camera.v4l2_capture import MAX_FRAME_AGE_S, V4l2Capture, V4l2Unsupported

    name = f"camera {node}"
    watch = _StampWatch(v4l2_os)
    try:
        cap = V4l2Capture(str(node), v4l2_os=watch)  # type: ignore[arg-type]
    except V4l2Unsupported as exc:
        if importlib.util.find_spec("cv2") is None:
            return Check(name, Status.FAIL, f"{exc}; the kiosk would read it with OpenCV, "
                         "which is not installed: use a UVC webcam offering MJPG or YUYV")
        return _Reading(f"{exc}", [f"the kiosk reads it through OpenCV (+{OPENCV_MB} MB); "
                                   "a webcam offering MJPG spares it"])
    except CameraMissing as exc:
        cause = exc.__cause__
        return _open_failure(name, cause.errno if isinstance(cause, OSError) else None,
                             str(exc).split(": ", 1)[-1].split(" (check")[0])
    problems: list[str] = []
    fmt = f"{abi.fourcc_name(cap.pixel_format)} {cap.width}x{cap.height} at {cap.fps:.0f} fps"
    if (cap.width, cap.height) != WANTED_SIZE:
        problems.append(f"the kiosk asks for {WANTED_SIZE[0]}x{WANTED_SIZE[1]}")
    times: list[float] = []
    decoded = failed = 0
    decode_s = 0.0
    try:
        end = time.monotonic() + READ_S
        first_seen = 0
        while time.monotonic() < end or len(times) < 2:
            got = cap.read_frame()
            if got is None:
                break
            if not times:
                first_seen = cap.frames_ + cap.skipped_
            times.append(got[0])
            t0 = time.perf_counter()
            ok = resolve(got) is not None
            decode_s += time.perf_counter() - t0
            decoded, failed = decoded + ok, failed + (not ok)
        seen = cap.frames_ + cap.skipped_ - first_seen  # frames delivered after the first
    except CameraError as exc:
        return Check(name, Status.FAIL, f"{fmt}; {exc}")
    finally:
        cap.close()
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    fps = seen / span if span > 0 else 0.0
    if fps < MIN_FPS:
        problems.append(f"below {MIN_FPS:.0f} fps: more light (auto-exposure slows a webcam "
                        "in a dim room) or another USB port")
    if failed:
        problems.append(f"{failed} of {decoded + failed} frames did not decode: check the "
                        "cable and the USB port")
    if watch.monotonic_stamps_ and not watch.other_stamps_:
        fresh = [a for a in watch.ages_s_ if 0.0 <= a <= MAX_FRAME_AGE_S]
        stamps = ("stamps CLOCK_MONOTONIC" + (f", {1000 * max(fresh):.0f} ms old at most"
                                              if fresh else "")
                  + ("" if len(fresh) == len(watch.ages_s_) else
                     f" ({len(watch.ages_s_) - len(fresh)} out of range: timed on arrival)"))
    else:
        stamps = "stamps not CLOCK_MONOTONIC: frames timed on arrival"
    per_frame = f", {1000 * decode_s / (decoded + failed):.1f} ms each" if decoded + failed \
        else ""
    return _Reading(f"{fmt}; {fps:.1f} fps measured over {span:.1f} s, {decoded} frames "
                    f"decoded{per_frame}, {failed} failed; {stamps}", problems)
