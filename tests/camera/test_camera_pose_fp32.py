"""The landmark model with its float16 weights stored as float32 (sensors/camera/model_fp32.py)
and the per-user cache of the kiosk's converted model (sensors/camera/model_cache.py).

The real model from the mediapipe wheel is converted; the pose graph runs it in fresh
interpreters on real photos (tests/helpers/camera_photos), beside the wheel's own model.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tests.helpers.camera_photos import PHOTO_DIR, photo

from sensors.camera.model_cache import convert, kiosk_model
from sensors.camera.model_fp32 import BUFFER_ALIGN, ModelConversionError, unfold_fp16_weights

pytestmark = pytest.mark.timeout(180)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel_models() -> dict[str, Path]:
    from sensors.camera.pose_graph import import_pose_solution

    modules = Path(import_pose_solution().__file__).resolve().parents[2] / "modules"
    return {"landmark": modules / "pose_landmark" / "pose_landmark_full.tflite",
            "detector": modules / "pose_detection" / "pose_detection.tflite"}


def _tensors(model: bytes) -> tuple[object, dict[bytes, np.ndarray], list[str]]:
    """The subgraph, float data of its constant tensors by name, and its op names."""
    from mediapipe.tasks.metadata import schema_py_generated as s

    m = s.ModelT.InitFromPackedBuf(model, 0)
    sg = m.subgraphs[0]
    names = {v: k for k, v in vars(s.BuiltinOperator).items() if not k.startswith("_")}
    codes = [names[max(c.builtinCode, c.deprecatedBuiltinCode)] for c in m.operatorCodes]
    dtype = {s.TensorType.FLOAT16: "<f2", s.TensorType.FLOAT32: "<f4"}
    consts = {t.name: np.frombuffer(bytes(m.buffers[t.buffer].data), dtype[t.type])
              for t in sg.tensors if t.type in dtype and m.buffers[t.buffer].data is not None
              and len(m.buffers[t.buffer].data)}
    return sg, consts, [codes[op.opcodeIndex] for op in sg.operators]


def test_converted_model_holds_the_same_weights_as_float32_and_no_dequantize(wheel_models):
    source = wheel_models["landmark"].read_bytes()
    converted = unfold_fp16_weights(source)
    sg0, before, ops0 = _tensors(source)
    sg1, after, ops1 = _tensors(converted)
    n_deq = ops0.count("DEQUANTIZE")
    assert n_deq > 100 and "DEQUANTIZE" not in ops1
    assert [o for o in ops0 if o != "DEQUANTIZE"] == ops1  # the other ops, in their order
    assert len(sg1.tensors) == len(sg0.tensors) - n_deq
    assert [sg1.tensors[i].name for i in sg1.inputs] == [sg0.tensors[i].name for i in sg0.inputs]
    assert [sg1.tensors[i].name for i in sg1.outputs] == [sg0.tensors[i].name
                                                          for i in sg0.outputs]
    # each float16 weight (named by its DEQUANTIZE's output) is now that output, in float32
    deq_out = {sg0.tensors[op.inputs[0]].name: sg0.tensors[op.outputs[0]].name
               for op, name in zip(sg0.operators, ops0, strict=True) if name == "DEQUANTIZE"}
    assert len(deq_out) == n_deq
    for half, full in deq_out.items():
        assert before[half].dtype == np.float16 and after[full].dtype == np.float32
        np.testing.assert_array_equal(after[full], before[half].astype(np.float32))
    assert len(converted) - len(source) == pytest.approx(sum(before[h].nbytes for h in deq_out),
                                                         rel=0.01)
    assert all(t.type != 1 for t in sg1.tensors)  # no FLOAT16 left


def test_converted_weights_start_on_16_byte_boundaries(wheel_models):
    import flatbuffers  # noqa: F401
    from mediapipe.tasks.metadata import schema_py_generated as s

    converted = unfold_fp16_weights(wheel_models["landmark"].read_bytes())
    m = s.Model.GetRootAsModel(converted, 0)
    starts = [m.Buffers(k).DataAsNumpy().ctypes.data - np.frombuffer(converted, np.uint8).ctypes.data
              for k in range(m.BuffersLength()) if m.Buffers(k).DataLength() > 0]
    assert len(starts) > 100
    assert all(start % BUFFER_ALIGN == 0 for start in starts)


@pytest.mark.parametrize(("model", "message"), [
    ("detector", "not of a float16 constant"),  # sparse weights, densified at run time
    ("converted", "no float16 weights"),
    ("garbage", "not a TFLite model file"),
])
def test_an_unexpected_model_is_a_clear_error(wheel_models, model, message):
    data = {"detector": lambda: wheel_models["detector"].read_bytes(),
            "converted": lambda: unfold_fp16_weights(wheel_models["landmark"].read_bytes()),
            "garbage": lambda: b"\x00" * 64}[model]()
    with pytest.raises(ModelConversionError, match=message) as err:
        unfold_fp16_weights(data)
    assert "mediapipe==0.10.18" in str(err.value)


def test_cache_converts_once_per_source_and_says_why_it_cannot(wheel_models, tmp_path, caplog):
    cache = tmp_path / "cache"
    pruned = kiosk_model(wheel_models["landmark"], cache)
    full = kiosk_model(wheel_models["landmark"], cache, segmentation=True)
    assert pruned.parent == cache and full.parent == cache and pruned != full
    assert full.read_bytes() == unfold_fp16_weights(wheel_models["landmark"].read_bytes())
    stamp = pruned.stat().st_mtime_ns
    assert kiosk_model(wheel_models["landmark"], cache) == pruned
    assert pruned.stat().st_mtime_ns == stamp  # read from the cache, not converted again
    assert sorted(p.name for p in cache.iterdir()) == sorted([pruned.name, full.name])
    with pytest.raises(ModelConversionError, match="not of a float16 constant"):
        kiosk_model(wheel_models["detector"], cache)
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    with pytest.raises(OSError, match="failed"):
        kiosk_model(wheel_models["landmark"], blocked / "cache")

    from sensors.camera.pose_graph import import_pose_solution, kiosk_landmark_model

    with caplog.at_level(logging.WARNING, logger="sensors.camera.pose_graph"):
        assert kiosk_landmark_model(import_pose_solution(), blocked / "cache") is None
    assert "the wheel's pose model is used" in caplog.text


_RUN = """
import json, sys
from pathlib import Path
import cv2, numpy as np
from sensors.camera.pose_graph import make_pose

def anon_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024

names = ("basketball1.png", "messi5.jpg", "basketball2.png")
images = [np.ascontiguousarray(cv2.imread(sys.argv[1] + "/" + n)[:, :, ::-1]) for n in names]
fp32 = sys.argv[2] == "fp32"
kw = dict(landmark_fp32=fp32, landmark_segmentation=True, map_models=False, model_complexity=1,
          smooth_landmarks=False, enable_segmentation=False)
out = {"xyv": []}
before = anon_mb()
pose = make_pose(static_image_mode=True, **kw)
for image in images:
    out["xyv"].append([(p.x, p.y, p.visibility) for p in pose.process(image).pose_landmarks.landmark])
out["anon_mb"] = anon_mb() - before
pose.close()
pose = make_pose(static_image_mode=False, **kw)
for k in range(6):
    found = pose.process(images[k % 2 * 2]).pose_landmarks
    out["xyv"].append([(p.x, p.y, p.visibility) for p in found.landmark])
pose.close()
print(json.dumps(out))
"""


def _run(weights: str) -> dict:
    photo("basketball1.png")  # fails with the install command when the photos are missing
    run = subprocess.run([sys.executable, "-c", _RUN, str(PHOTO_DIR), weights], cwd=ROOT,
                         capture_output=True, text=True, timeout=150)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_float32_weights_find_the_same_landmarks_in_less_memory():
    fp32, fp16 = _run("fp32"), _run("fp16")
    assert len(fp32["xyv"]) == 9
    # the same arithmetic on the same values: float noise at most (measured: identical)
    np.testing.assert_allclose(fp32["xyv"], fp16["xyv"], atol=1e-5)
    # the delegate's float32 copy of the weights (12.7 MB) goes, the file read into the
    # heap grows by 6.3 MB (measured 4.9 MB less in all)
    assert fp32["anon_mb"] < fp16["anon_mb"] - 3.0, (fp32["anon_mb"], fp16["anon_mb"])


def test_the_command_converts_the_wheel_model_and_refuses_another_clearly(wheel_models, tmp_path):
    run = [sys.executable, "-m", "sensors.camera.model_cache"]
    ok = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=120,
                        env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path)})
    assert ok.returncode == 0, ok.stderr[-1000:]
    made = Path(ok.stdout.strip())
    assert made.parent == tmp_path / "rehab-kiosk"
    assert made.read_bytes() == convert(wheel_models["landmark"].read_bytes(), False)
    assert made.stat().st_mode & 0o777 == 0o644
    bad = subprocess.run([*run, str(wheel_models["detector"]), str(tmp_path / "other")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "not of a float16 constant" in bad.stderr and "mediapipe==0.10.18" in bad.stderr
    assert not (tmp_path / "other").exists()
