"""What the pose model costs in memory, step by step, and what the kiosk's build of it saves.

Run: ``python -m bench.camera_memory`` (prints figures; not a test). Each configuration runs
in a fresh child process (``--child NAME``), pinned to one core like ``bench.kiosk
--pinned-only``, the configurations alternated over ``--runs`` rounds so they see the same
machine load:

- ``stock``: ``import mediapipe`` and ``mp.solutions.pose.Pose`` (full model, no smoothing),
  as the kiosk did before (issue 15);
- ``lean``: :func:`sensors.camera.pose_graph.make_pose` with the detector left on XNNPACK:
  the package ``__init__`` imports deferred, nothing else changed;
- ``fp16``: lean, the person detector on TFLite's own kernels, and the kiosk's glibc malloc
  bounds (:func:`sensors.glibc_heap.limit_heap_growth`, set first by ``rehab kiosk``): the
  kiosk's build before the landmark model's weights were stored as float32;
- ``fp32``: ``fp16`` with the landmark model's float16 weights stored as float32
  (:mod:`sensors.camera.model_fp32`; converted into the per-user cache before the rounds,
  as the kiosk's first camera use does once);
- ``mapped``: ``fp32`` with both model files mapped instead of read into the heap and their
  pages dropped once the graph is open and again after the first landmarks
  (:mod:`sensors.camera.model_pages`);
- ``kiosk``: what the kiosk runs (``MediaPipePose``'s build): ``mapped`` with the landmark
  model's segmentation head removed (:mod:`sensors.camera.model_prune`).

Each child reports RSS (and its private part; and the process's peak, VmHWM, at the end:
what ``bench.kiosk`` reports) with numpy and OpenCV imported (the kiosk has
both before any camera), after the import, after the graph's creation, after its first
frame and after ``--frames`` more; modules and threads; ms per frame tracking (video mode)
and detecting on every frame (photo mode: what happens while nobody is tracked).
Frames: OpenCV's sample photos basketball1/2.png (640x480, Debian opencv-doc).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.pinned import run_pinned
from bench.process_memory import proc_status, status_mb

PHOTOS = Path("/usr/share/doc/opencv-doc/examples/data")
CONFIGS = ("stock", "lean", "fp16", "fp32", "mapped", "kiosk")


def _status() -> dict[str, float]:
    fields = proc_status()
    return status_mb(("VmRSS", "RssAnon", "VmHWM"), fields) | {
        "threads": int(fields["Threads"]), "modules": len(sys.modules)}


def _make(config: str, video: bool) -> Any:
    kw: dict[str, Any] = {"static_image_mode": not video, "model_complexity": 1,
                          "smooth_landmarks": False, "enable_segmentation": False}
    if config == "stock":
        import mediapipe as mp

        return mp.solutions.pose.Pose(**kw)
    from sensors.camera.pose_graph import make_pose

    return make_pose(detector_xnnpack=config == "lean",
                     landmark_fp32=config in ("fp32", "mapped", "kiosk"),
                     landmark_segmentation=config != "kiosk",
                     map_models=config in ("mapped", "kiosk"), **kw)


def _ms_per_frame(pose: Any, rgb: list[np.ndarray], n: int) -> float:
    pose.process(rgb[0])  # the graph's start and first detection are not timed
    t0 = time.perf_counter()
    for k in range(n):
        pose.process(rgb[k % 2])
    return (time.perf_counter() - t0) * 1e3 / n


def child(config: str, frames: int) -> dict[str, Any]:
    if config not in ("stock", "lean"):
        from sensors.glibc_heap import limit_heap_growth

        limit_heap_growth()
    import cv2

    images = [cv2.imread(str(PHOTOS / n)) for n in ("basketball1.png", "basketball2.png")]
    if any(i is None for i in images):
        raise SystemExit(f"photos missing in {PHOTOS}: apt-get install opencv-doc")
    rgb = [np.ascontiguousarray(i[:, :, ::-1]) for i in images]
    steps = {"numpy + cv2": _status()}
    if config == "stock":
        import mediapipe  # noqa: F401  # what `from mediapipe.python.solutions import pose` ran
    else:
        from sensors.camera.pose_graph import import_pose_solution

        import_pose_solution()
    steps["imported"] = _status()
    pose = _make(config, video=True)
    steps["graph created"] = _status()
    if pose.process(rgb[0]).pose_landmarks is None:
        raise SystemExit("no person found in basketball1.png")
    steps["first frame"] = _status()
    video_ms = _ms_per_frame(pose, rgb, frames)
    steps[f"{frames} more frames"] = _status()
    pose.close()
    photo = _make(config, video=False)
    photo_ms = _ms_per_frame(photo, rgb, max(10, frames // 2))
    photo.close()
    return {"config": config, "steps": steps, "video_ms": video_ms, "photo_ms": photo_ms,
            "matplotlib": "matplotlib" in sys.modules}


def _spread(vals: list[float]) -> tuple[float, float, float]:
    return statistics.median(vals), min(vals), max(vals)


def _run_child(config: str, frames: int) -> dict[str, Any]:
    return run_pinned("bench.camera_memory", ["--child", config, "--frames", str(frames)],
                      f"bench child ({config})")


def report(runs: int, frames: int) -> None:
    from sensors.camera.pose_graph import import_pose_solution, kiosk_landmark_model

    for segmentation in (True, False):  # the kiosk's first use, once
        if kiosk_landmark_model(import_pose_solution(), segmentation=segmentation) is None:
            raise SystemExit("the converted landmark model could not be cached")
    load0 = os.getloadavg()[0]
    got: dict[str, list[dict[str, Any]]] = {c: [] for c in CONFIGS}
    for _ in range(runs):
        for c in CONFIGS:
            got[c].append(_run_child(c, frames))
    names = list(got["stock"][0]["steps"])
    print("| RSS MB (private), median of %d | %s |" % (runs, " | ".join(CONFIGS)))
    print("|---|" + "---|" * len(CONFIGS))
    for step in names:
        cells = []
        for c in CONFIGS:
            rss = statistics.median(r["steps"][step]["VmRSS"] for r in got[c])
            anon = statistics.median(r["steps"][step]["RssAnon"] for r in got[c])
            cells.append(f"{rss:.0f} ({anon:.0f})")
        print(f"| {step} | " + " | ".join(cells) + " |")
    last = names[-1]
    print("| peak RSS (VmHWM) at the end | " + " | ".join(
        "%.1f (%.1f-%.1f)" % _spread([r["steps"][last]["VmHWM"] for r in got[c]])
        for c in CONFIGS) + " |")
    for label, key in (("modules", "modules"), ("threads", "threads")):
        print(f"| {label} at the end | " + " | ".join(
            f"{got[c][0]['steps'][last][key]}" for c in CONFIGS) + " |")
    for label, key in (("ms/frame tracking (video)", "video_ms"),
                       ("ms/frame detecting (photo)", "photo_ms")):
        cells = []
        for c in CONFIGS:
            vals = [r[key] for r in got[c]]
            cells.append(f"{statistics.median(vals):.1f} ({min(vals):.1f}-{max(vals):.1f})")
        print(f"| {label}, median (range) | " + " | ".join(cells) + " |")
    base = statistics.median(r["steps"][last]["VmRSS"] for r in got["stock"])
    print("| pose graph's share (first frame minus numpy + cv2) | " + " | ".join(
        "%.1f (%.1f-%.1f)" % _spread([r["steps"]["first frame"]["VmRSS"] -
                                       r["steps"]["numpy + cv2"]["VmRSS"] for r in got[c]])
        for c in CONFIGS) + " |")
    for c in CONFIGS[1:]:
        mine = statistics.median(r["steps"][last]["VmRSS"] for r in got[c])
        ratio = statistics.median(r["photo_ms"] / s["photo_ms"]
                                  for r, s in zip(got[c], got["stock"], strict=True))
        print(f"{c}: {base - mine:.0f} MB less than stock at the end; detecting "
              f"{ratio:.2f}x stock's time per photo (same-round ratio, median)")
    print("matplotlib imported: " + ", ".join(
        f"{c} {got[c][0]['matplotlib']}" for c in CONFIGS))
    print(f"one core (taskset -c 0); machine load average {load0:.1f} -> "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.camera_memory")
    ap.add_argument("--child", choices=CONFIGS)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.frames)))
        return 0
    report(args.runs, args.frames)
    return 0


if __name__ == "__main__":
    sys.exit(main())
