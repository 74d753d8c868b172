"""CPU of the live camera's capture path at 30 fps with a 10/s pose consumer: every frame
decoded (as before issue 15's lazy decode) vs only the frames someone takes.

Run: ``python -m bench.camera_decode`` (prints figures; not a test). Each run is a fresh child
process (``--child MODE FORMAT``) pinned to CPU 0 (:func:`bench.pinned.run_pinned`, as
``bench.kiosk --pinned-only``), modes alternated over ``--rounds`` so both see the same load:

- ``every``: the frame hub reads the capture's ``read()``, which decodes every frame it
  dequeues (what ``V4l2Capture`` did for the hub before: the hub handed out arrays);
- ``taken``: the hub reads ``read_frame()``; a frame is decoded when a subscriber takes it.

The camera is the fake V4L2 device (tests/helpers/fake_v4l2.py) at 640x480, 30 fps in real
time, MJPG or YUYV, sending 16 frames encoded once (``cached_frames``: its own encoder is
not measured; copying the bytes into its buffers is, in both modes). The consumer is the
kiosk's pose path, ``CameraWorker(RateCap(hub.subscribe("pose"), 10))``, with a pose model
that returns at once (the capture path alone is measured); ``--call-fps`` adds a visit's
video track taking ``latest()`` at that rate. CPU: the child's user+system time over
``--seconds`` of wall time after a 1 s warm-up, in % of one core.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from typing import Any

import numpy as np

from bench.pinned import run_pinned

MODES = ("every", "taken")
FORMATS = ("MJPG", "YUYV")
WARM_UP_S = 1.0
POSE_MAX_FPS = 10.0  # kiosk.adapters.camera.POSE_MAX_FPS


class EveryFrameDecoded:
    """The capture as the hub read it before: ``read()`` decodes each frame it dequeues."""

    def __init__(self, cap: Any) -> None:
        self.cap, self.fps = cap, cap.fps

    def read(self) -> tuple[float, np.ndarray] | None:
        return self.cap.read()

    def close(self) -> None:
        self.cap.close()


class NoPose:
    def estimate(self, image: np.ndarray, t_s: float) -> None:
        return None

    def close(self) -> None:
        pass


def child(mode: str, fmt: str, seconds: float, call_fps: float) -> dict[str, Any]:
    from sensors.camera import v4l2_abi as abi
    from sensors.camera.frame_decode import FrameLayout, decode_frame
    from sensors.camera.hub import FrameHub
    from sensors.camera.rate_cap import RateCap
    from sensors.camera.v4l2_capture import V4l2Capture
    from sensors.camera.worker import CameraWorker
    from tests.helpers.fake_v4l2 import FakeV4l2

    decodes = [0]

    def counted(data: bytes, layout: FrameLayout) -> np.ndarray:
        decodes[0] += 1  # decodes never overlap here but in a call's latest(): near enough
        return decode_frame(data, layout)

    dev = FakeV4l2(formats=(abi.fourcc(fmt),), paced=True, cached_frames=16)
    cap = V4l2Capture(0, v4l2_os=dev, decode=counted)
    hub = FrameHub(EveryFrameDecoded(cap) if mode == "every" else cap)
    worker = CameraWorker(RateCap(hub.subscribe("pose"), POSE_MAX_FPS), NoPose())
    stop = threading.Event()
    call = hub.subscribe("call") if call_fps > 0 else None

    def video_track() -> None:  # kiosk.adapters.call's HubVideoTrack: latest() at its rate
        assert call is not None
        while not stop.wait(1.0 / call_fps):
            call.latest()

    track = threading.Thread(target=video_track, daemon=True)
    hub.start()
    worker.start()
    if call is not None:
        track.start()
    time.sleep(WARM_UP_S)
    n0, d0, p0 = hub.frames_, decodes[0], worker.frames_
    w0, c0 = time.perf_counter(), time.process_time()
    time.sleep(seconds)
    cpu_s, wall_s = time.process_time() - c0, time.perf_counter() - w0
    out = {"mode": mode, "format": fmt, "cpu_pct": 100 * cpu_s / wall_s,
           "captured_per_s": (hub.frames_ - n0) / wall_s,
           "decoded_per_s": (decodes[0] - d0) / wall_s,
           "pose_per_s": (worker.frames_ - p0) / wall_s}
    stop.set()
    worker.stop()
    hub.stop()
    if hub.error_ is not None or worker.error_ is not None:
        raise SystemExit(f"camera path failed: {hub.error_ or worker.error_}")
    return out


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="measured per run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--call-fps", type=float, default=0.0,
                    help="also a video track taking latest() at this rate (0: none)")
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--child", nargs=2, metavar=("MODE", "FORMAT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.seconds, args.call_fps)))
        return
    runs: list[dict[str, Any]] = []
    loads = [_load()]
    for _ in range(args.rounds):
        for fmt in args.formats.split(","):
            for mode in MODES:
                runs.append(run_pinned("bench.camera_decode", [
                    "--child", mode, fmt, "--seconds", str(args.seconds),
                    "--call-fps", str(args.call_fps)], f"{mode} {fmt}"))
        loads.append(_load())
    print(f"capture path, fake V4L2 640x480 at 30 fps, pose at <= {POSE_MAX_FPS:.0f}/s"
          f"{f', video track at {args.call_fps:g}/s' if args.call_fps else ''}; "
          f"{args.rounds} rounds of {args.seconds:g} s, one core (CPU 0); "
          f"load average (1/5/15 min) {' -> '.join(loads)}")
    for fmt in args.formats.split(","):
        for mode in MODES:
            mine = [r for r in runs if r["format"] == fmt and r["mode"] == mode]
            cpu = [r["cpu_pct"] for r in mine]
            print(f"{fmt} {mode:5s}: CPU {statistics.median(cpu):5.1f} % of a core "
                  f"(runs {', '.join(f'{c:.1f}' for c in cpu)}); per s: captured "
                  f"{statistics.median(r['captured_per_s'] for r in mine):.1f}, decoded "
                  f"{statistics.median(r['decoded_per_s'] for r in mine):.1f}, pose "
                  f"{statistics.median(r['pose_per_s'] for r in mine):.1f}")


if __name__ == "__main__":
    main()
