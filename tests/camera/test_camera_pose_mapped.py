"""The pose models mapped from their files, their pages dropped once the graph has run
(sensors/camera/model_pages.py, sensors/camera/pose_graph.py map_model_files).

The page dropping is tried on real read-only and writable mappings of a file; the real
MediaPipe graph runs in fresh interpreters (their memory is what is measured) on real photos
(tests/helpers/camera_photos).
"""

from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np
import pytest
from tests.helpers.camera_photos import run_on_photos

from sensors.camera.errors import CameraError
from sensors.camera.model_pages import drop_mapped_pages, read_only_mappings

pytestmark = pytest.mark.timeout(180)


def _resident_kb(path: Path) -> int:
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split(maxsplit=1)[0]
        if "-" in head and not head.endswith(":"):
            inside = line.endswith(" " + str(path.resolve()))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def test_only_read_only_mappings_of_the_named_files_are_picked():
    maps = ("7f0000000000-7f0000003000 r--s 00000000 fe:00 12 /cache/model.tflite\n"
            "7f0000003000-7f0000004000 rw-p 00000000 fe:00 12 /cache/model.tflite\n"
            "7f0000005000-7f0000006000 r--p 00000000 fe:00 13 /cache/other.tflite\n"
            "7f0000007000-7f0000009000 r--p 00001000 fe:00 14 /cache/with space.tflite\n"
            "7f000000a000-7f000000b000 rw-p 00000000 00:00 0 \n")
    got = read_only_mappings([Path("/cache/model.tflite"), Path("/cache/with space.tflite")],
                             maps)
    assert got == [(0x7F0000000000, 0x7F0000003000), (0x7F0000007000, 0x7F0000009000)]


def test_dropped_pages_leave_the_rss_and_read_back_the_same(tmp_path):
    data = np.random.default_rng(7).integers(0, 255, 4 << 20, dtype=np.uint8).tobytes()
    path = tmp_path / "weights.bin"
    path.write_bytes(data)
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as view:
        assert view[:] == data  # every page read: resident
        assert _resident_kb(path) >= 4000
        assert drop_mapped_pages([path]) == len(data)
        assert _resident_kb(path) == 0
        assert view[:] == data  # read again from the file: nothing lost
    with path.open("r+b") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY) as copy:
        copy[:4] = b"mine"  # a private writable mapping holds what was written: kept
        assert drop_mapped_pages([path]) == 0
        assert copy[:4] == b"mine"
    assert drop_mapped_pages([tmp_path / "not-mapped"]) == 0


def test_a_pose_graph_without_the_landmark_model_loader_is_a_clear_error(tmp_path):
    from sensors.camera.pose_graph import (
        DETECTOR_NODE,
        LANDMARK_NODE,
        import_pose_solution,
        map_model_files,
    )

    import_pose_solution()
    from mediapipe.framework import calculator_pb2

    config = calculator_pb2.CalculatorGraphConfig()
    config.node.add(name=DETECTOR_NODE, calculator="InferenceCalculatorCpu")
    config.node.add(name=LANDMARK_NODE, calculator="InferenceCalculatorCpu")
    with pytest.raises(CameraError, match="mediapipe==0.10.18"):
        map_model_files(config, tmp_path / "a.tflite", tmp_path / "b.tflite")


_RUN = """
import json, sys
from pathlib import Path
import cv2, numpy as np
from sensors.glibc_heap import limit_heap_growth
limit_heap_growth()  # as `rehab kiosk` does first
from sensors.camera.pose_graph import make_pose

def status():
    f = dict(l.split(":", 1) for l in Path("/proc/self/status").read_text().splitlines())
    return {k: int(f[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM")}

def model_kb(landmark=None):  # resident pages of the mapped .tflite files (the landmark
    total, name = 0, ""  # model's only, or the others', when asked)
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split(maxsplit=1)[0]
        if "-" in head and not head.endswith(":"):
            name = line.rsplit("/", 1)[-1] if line.endswith(".tflite") else ""
        elif name and line.startswith("Rss:") and (
                landmark is None or landmark == ("landmark" in name)):
            total += int(line.split()[1])
    return total

names = ("basketball1.png", "basketball2.png", "messi5.jpg")
images = [np.ascontiguousarray(cv2.imread(sys.argv[1] + "/" + n)[:, :, ::-1]) for n in names]
mapped = sys.argv[2] == "mapped"
before = status()
pose = make_pose(map_models=mapped, static_image_mode=sys.argv[3] == "photo",
                 model_complexity=1, smooth_landmarks=False, enable_segmentation=False)
out = {"loaded_model_kb": model_kb(), "xy": []}
for k in range(12):
    res = pose.process(images[k % len(images)])
    out["xy"].append([(p.x, p.y, p.visibility) for p in res.pose_landmarks.landmark]
                     if res.pose_landmarks is not None else None)
after = status()
out |= {"model_kb": model_kb(), "landmark_kb": model_kb(True),
        "detector_kb": model_kb(False), "rss_mb": after["VmRSS"] - before["VmRSS"],
        "peak_mb": after["VmHWM"] - before["VmRSS"]}
pose.close()
print(json.dumps(out))
"""


def _run(models: str, mode: str) -> dict:
    return run_on_photos(_RUN, models, mode)


@pytest.mark.parametrize("mode", ["video", "photo"])
def test_mapped_models_find_the_same_landmarks_and_leave_the_rss(mode):
    mapped, read = _run("mapped", mode), _run("read", mode)
    assert sum(xy is not None for xy in mapped["xy"]) >= 8
    assert [xy is None for xy in mapped["xy"]] == [xy is None for xy in read["xy"]]
    np.testing.assert_allclose([xy for xy in mapped["xy"] if xy is not None],
                               [xy for xy in read["xy"] if xy is not None], atol=1e-6)
    # read into the heap, nothing of the models is mapped; mapped, the landmark model's
    # pages are dropped once the graph is open, and are not read again by 12 frames; the
    # detector's are read again by a detection (every frame in photo mode; in video mode
    # when tracking is lost, as on the change of photo here), a few hundred kB
    assert read["loaded_model_kb"] == 0 and read["model_kb"] == 0
    assert mapped["loaded_model_kb"] < 64  # both dropped once the graph was idle
    # the landmark model (12.7 MB) is never read again; of the detector (2.9 MB) a detection
    # reads back what its kernels touch: 192 kB here, but a whole 2 MiB folio at a fault
    # where the page cache holds the file in large folios (2048 kB in a clean-clone run), so
    # at most the file rounded up to 2 MiB folios
    assert mapped["landmark_kb"] < 64, mapped["landmark_kb"]
    assert mapped["detector_kb"] <= 4096, mapped["detector_kb"]
    # the landmark model's 12.7 MB file and the detector's 2.9 MB are out of the RSS, and of
    # the process's peak (the first frame ran after the landmark model's pages were dropped)
    assert mapped["rss_mb"] < read["rss_mb"] - 10.0, (mapped["rss_mb"], read["rss_mb"])
    assert mapped["peak_mb"] < read["peak_mb"] - 10.0, (mapped["peak_mb"], read["peak_mb"])
