"""The landmark model without its segmentation head (sensors/camera/model_prune.py).

The real model from the mediapipe wheel is converted; the pose graph runs it in fresh
interpreters on real photos (tests/helpers/camera_photos) beside the model that keeps the
head: the landmarks, on the image and in the world, must be the same.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.helpers.camera_photos import run_on_photos

from sensors.camera.model_fp32 import ModelConversionError, load_model, op_names
from sensors.camera.model_fp32 import unfold_fp16_weights
from sensors.camera.model_prune import STAND_IN_SHAPE, without_segmentation

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def models() -> dict[str, bytes]:
    from sensors.camera.pose_graph import import_pose_solution

    modules = Path(import_pose_solution().__file__).resolve().parents[2] / "modules"
    wheel = (modules / "pose_landmark" / "pose_landmark_full.tflite").read_bytes()
    fp32 = unfold_fp16_weights(wheel)
    return {"wheel": wheel, "fp32": fp32, "pruned": without_segmentation(fp32),
            "detector": (modules / "pose_detection" / "pose_detection.tflite").read_bytes()}


def _consts(model: bytes) -> tuple[list, dict[bytes, bytes], list[str], list[list[int]]]:
    schema, m = load_model(model)
    sg = m.subgraphs[0]
    data = {t.name: bytes(m.buffers[t.buffer].data) for t in sg.tensors
            if m.buffers[t.buffer].data is not None and len(m.buffers[t.buffer].data)}
    outs = [list(sg.tensors[o].shape) for o in sg.outputs]
    return sg.operators, data, op_names(schema, m), outs


def test_the_head_goes_and_everything_else_stays(models):
    ops0, consts0, names0, outs0 = _consts(models["fp32"])
    ops1, consts1, names1, outs1 = _consts(models["pruned"])
    assert outs0[2] == [1, 256, 256, 1] and outs1[2] == STAND_IN_SHAPE
    assert outs1[:2] == outs0[:2] and outs1[3:] == outs0[3:]  # the other four unchanged
    assert names1[-1] == "RESHAPE"  # the stand-in mask: the pose flag reshaped
    assert len(names0) - len(names1[:-1]) == 20  # the decoder up to 256x256
    kept = {k: v for k, v in consts1.items() if k != b"segmentation_removed/shape"}
    assert kept and all(consts0[k] == v for k, v in kept.items())  # the same weights
    assert len(models["pruned"]) < len(models["fp32"])


@pytest.mark.parametrize(("model", "message"), [
    ("wheel", "store them as float32 first"),
    ("pruned", "outputs shaped"),  # removed already: the mask is 1x1x1x1
    ("detector", "outputs shaped"),
])
def test_an_unexpected_model_is_a_clear_error(models, model, message):
    with pytest.raises(ModelConversionError, match=message) as err:
        without_segmentation(models[model])
    assert "mediapipe==0.10.18" in str(err.value)


def test_segmentation_cannot_be_asked_of_the_kiosk_model():
    from sensors.camera.pose_graph import make_pose

    with pytest.raises(ValueError, match="no segmentation head"):
        make_pose(enable_segmentation=True, model_complexity=1)


_RUN = """
import json, sys
from pathlib import Path
import cv2, numpy as np
from sensors.glibc_heap import limit_heap_growth
limit_heap_growth()  # as `rehab kiosk` does first
from sensors.camera.pose_graph import make_pose

def rss_mb():
    f = dict(l.split(":", 1) for l in Path("/proc/self/status").read_text().splitlines())
    return {k: int(f[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM")}

names = ("basketball1.png", "basketball2.png", "messi5.jpg")
images = [np.ascontiguousarray(cv2.imread(sys.argv[1] + "/" + n)[:, :, ::-1]) for n in names]
before = rss_mb()
pose = make_pose(landmark_segmentation=sys.argv[2] == "kept", static_image_mode=sys.argv[3] == "photo",
                 model_complexity=1, smooth_landmarks=False, enable_segmentation=False)
out = {"image": [], "world": []}
for k in range(9):
    res = pose.process(images[k % 3])
    if res.pose_landmarks is None:
        out["image"].append(None)
        out["world"].append(None)
        continue
    out["image"].append([(p.x, p.y, p.z, p.visibility) for p in res.pose_landmarks.landmark])
    out["world"].append([(p.x, p.y, p.z) for p in res.pose_world_landmarks.landmark])
after = rss_mb()
out |= {"rss_mb": after["VmRSS"] - before["VmRSS"], "peak_mb": after["VmHWM"] - before["VmRSS"]}
pose.close()
print(json.dumps(out))
"""


def _run(head: str, mode: str) -> dict:
    return run_on_photos(_RUN, head, mode)


@pytest.mark.parametrize("mode", ["video", "photo"])
def test_without_the_head_the_same_landmarks_in_less_memory(mode):
    pruned, kept = _run("removed", mode), _run("kept", mode)
    assert sum(f is not None for f in pruned["image"]) >= 6
    for key in ("image", "world"):
        assert [f is None for f in pruned[key]] == [f is None for f in kept[key]]
        # the same ops on the same weights compute them (measured: identical)
        np.testing.assert_allclose([f for f in pruned[key] if f is not None],
                                   [f for f in kept[key] if f is not None], atol=1e-5)
    # the head's activations and convolution buffers at up to 256x256 (measured ~21 MB)
    assert pruned["rss_mb"] < kept["rss_mb"] - 10.0, (pruned["rss_mb"], kept["rss_mb"])
    assert pruned["peak_mb"] < kept["peak_mb"] - 10.0, (pruned["peak_mb"], kept["peak_mb"])
