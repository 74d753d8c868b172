"""MediaPipe's pose graph built for the kiosk's memory budget (issue 15).

What ``mediapipe.solutions.pose.Pose`` costs in one process (``bench.kiosk``'s one-core
camera run, and a scratch script measuring RSS step by step, README "Kiosk on a Pi's
budget"), and what this module does about it:

- ``import mediapipe`` runs the package's ``__init__``, which imports every legacy solution
  (their ``drawing_utils`` import ``matplotlib.pyplot``), the whole Tasks API and their
  protobuf descriptors: 50 MB beside numpy and OpenCV (883 modules in all) before any
  graph exists. The pose graph needs 16 MB of that (504 modules).
  :func:`import_pose_solution` imports the modules it needs with the ``mediapipe``,
  ``mediapipe.python`` and ``mediapipe.python.solutions`` package ``__init__`` files
  deferred: each runs in full the first time code asks one of those
  packages for a name only its ``__init__`` defines (``mediapipe.solutions``,
  ``mediapipe.Image``, ...), so a later ``import mediapipe as mp`` still works.
- The graph's two models run on TFLite's XNNPACK delegate, which unpacks their float16
  weights to float32 and keeps that copy beside its own packed float32 copy (heaptrack:
  ``Delegate::PrepareOpsToDelegate`` and ``xnn_create_runtime``), plus its activation
  plan: ~105 MB on the first frame. The person *detector* only runs when tracking is lost
  (video mode) or on every image (photo mode); :func:`make_pose` runs it on TFLite's
  own CPU kernels instead (~21 MB less; the same landmarks to < 1 px on the test photos;
  detecting takes ~2x as long, ``python -m bench.camera_memory``). The landmark model, which
  runs on every frame, stays on XNNPACK (on TFLite's own kernels it was 3.5x slower).
- The landmark model's float16 weights are read through DEQUANTIZE ops, which XNNPACK's
  delegate runs once into a float32 copy it keeps (``static_unpacked_data_``, 12.7 MB).
  :func:`make_pose` loads instead the same model with those weights stored as float32
  (:mod:`sensors.camera.model_fp32`, converted once into the per-user cache,
  ``~/.cache/rehab-kiosk``): the file read into memory grows by 6.3 MB, the copy goes,
  ~6 MB less in all (``bench.camera_memory``: the graph's share 105.8 -> 99.7 MB, three
  rounds, spread < 0.1 MB), the same landmarks (identical on the test photos) and the same
  time per frame. Where the cache cannot be written the wheel's model is used, logged.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

from sensors.camera.errors import CameraError, PoseModelMissing

_LOG = logging.getLogger(__name__)
_DEFERRED = ("mediapipe", "mediapipe.python", "mediapipe.python.solutions")
_IMPORTING = threading.Lock()
DETECTOR_NODE = "posedetectioncpu__inferencecalculator__posedetectioncpu__InferenceCalculator"
LANDMARK_NODE = ("poselandmarkbyroicpu__inferencecalculator__poselandmarkbyroicpu__"
                 "InferenceCalculator")
FULL_MODEL_RESOURCE = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"


def _deferred_package(name: str) -> ModuleType:
    """The package ``name`` importable (its ``__path__`` set: submodules load) with its
    ``__init__`` not run until a name only it defines is asked for."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    mod = importlib.util.module_from_spec(spec)
    state = {"done": False}

    def complete(attr: str) -> Any:
        if attr.startswith("__") and attr not in ("__all__", "__version__"):
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        if importlib.util.find_spec(f"{name}.{attr}") is not None:  # a submodule: just it
            return importlib.import_module(f"{name}.{attr}")
        if state["done"]:
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        state["done"] = True
        del mod.__dict__["__getattr__"]
        spec.loader.exec_module(mod)  # type: ignore[union-attr]  # the real __init__, now
        return getattr(mod, attr)

    mod.__dict__["__getattr__"] = complete
    sys.modules[name] = mod
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, mod)
    return mod


def import_pose_solution() -> Any:
    """``mediapipe.python.solutions.pose`` without the package ``__init__`` files' imports
    (see the module's docstring). PoseModelMissing when MediaPipe is not installed."""
    try:
        with _IMPORTING:  # the kiosk's UI thread and a camera source's executor may both
            if "mediapipe" not in sys.modules:  # imported whole already: nothing to save
                for name in _DEFERRED:
                    _deferred_package(name)
            from mediapipe.python.solutions import pose
    except ImportError as exc:
        for name in _DEFERRED:  # leave no half-made package behind
            mod = sys.modules.get(name)
            if mod is not None and "__getattr__" in mod.__dict__:
                del sys.modules[name]
        raise PoseModelMissing(exc) from exc
    return pose


def run_detector_on_tflite_kernels(config: Any) -> None:
    """In the expanded pose graph ``config`` (a CalculatorGraphConfig), the person detector
    on TFLite's own CPU kernels, one thread, instead of the XNNPACK delegate."""
    from mediapipe.calculators.tensor import inference_calculator_pb2

    nodes = {n.name: n for n in config.node}
    if DETECTOR_NODE not in nodes or LANDMARK_NODE not in nodes:
        raise CameraError(f"the pose graph has no {DETECTOR_NODE} or {LANDMARK_NODE}: the "
                          "kiosk is built for mediapipe==0.10.18 (pip install "
                          "'rehab-kiosk[camera]')")
    ext = inference_calculator_pb2.InferenceCalculatorOptions.ext
    options = nodes[DETECTOR_NODE].options.Extensions[ext]
    options.delegate.Clear()
    options.delegate.tflite.SetInParent()
    options.cpu_num_thread = 1


def landmark_model_from(config: Any, path: Path) -> None:
    """In the expanded pose graph ``config``, the full landmark model read from ``path``
    (an absolute path: MediaPipe's resource lookup takes it as it is) instead of the
    wheel's ``pose_landmark_full.tflite``."""
    from mediapipe.calculators.core import constant_side_packet_calculator_pb2 as csp

    ext = csp.ConstantSidePacketCalculatorOptions.ext
    found = [p for n in config.node if n.calculator == "ConstantSidePacketCalculator"
             for p in n.options.Extensions[ext].packet
             if p.WhichOneof("value") == "string_value" and p.string_value == FULL_MODEL_RESOURCE]
    if len(found) != 1:
        raise CameraError(f"the pose graph names {FULL_MODEL_RESOURCE} {len(found)} times, "
                          "expected once: the kiosk is built for mediapipe==0.10.18 (pip "
                          "install 'rehab-kiosk[camera]')")
    found[0].string_value = str(path.resolve())


def fp32_landmark_model(mp_pose: Any, cache_dir: Path | None = None) -> Path | None:
    """The wheel's full landmark model with float32 weights (:mod:`sensors.camera.model_fp32`),
    converted at first use into the per-user cache; None (the wheel's model is used, and a
    warning logged) when the cache cannot be written."""
    from sensors.camera.model_fp32 import fp32_model

    root = Path(mp_pose.__file__).resolve().parents[3]  # mediapipe/python/solutions/..
    try:
        return fp32_model(root / FULL_MODEL_RESOURCE, cache_dir)
    except OSError as exc:
        _LOG.warning("pose model kept with float16 weights (~11 MB more memory): %s", exc)
        return None


def make_pose(*, detector_xnnpack: bool = False, landmark_fp32: bool = True,
              **kwargs: Any) -> Any:
    """``mediapipe.solutions.pose.Pose(**kwargs)`` imported lean, its person detector on
    TFLite's own kernels unless ``detector_xnnpack`` (MediaPipe's default), its full
    landmark model with float32 weights unless not ``landmark_fp32``."""
    mp_pose = import_pose_solution()
    model = fp32_landmark_model(mp_pose) if landmark_fp32 else None

    class KioskPose(mp_pose.Pose):  # type: ignore[misc, name-defined]
        # SolutionBase expands the graph, then sets calculator options in the expanded
        # config here, before it starts it: the one place to change the detector's delegate.
        def _modify_calculator_options(self, config: Any, params: Any) -> None:
            super()._modify_calculator_options(config, params)
            if not detector_xnnpack:
                run_detector_on_tflite_kernels(config)
            if model is not None:
                landmark_model_from(config, model)

    return KioskPose(**kwargs)
