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
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any

from sensors.camera.errors import CameraError, PoseModelMissing

_DEFERRED = ("mediapipe", "mediapipe.python", "mediapipe.python.solutions")
_IMPORTING = threading.Lock()
DETECTOR_NODE = "posedetectioncpu__inferencecalculator__posedetectioncpu__InferenceCalculator"
LANDMARK_NODE = ("poselandmarkbyroicpu__inferencecalculator__poselandmarkbyroicpu__"
                 "InferenceCalculator")


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


def make_pose(*, detector_xnnpack: bool = False, **kwargs: Any) -> Any:
    """``mediapipe.solutions.pose.Pose(**kwargs)`` imported lean, its person detector on
    TFLite's own kernels unless ``detector_xnnpack`` (MediaPipe's default)."""
    mp_pose = import_pose_solution()

    class KioskPose(mp_pose.Pose):  # type: ignore[misc, name-defined]
        # SolutionBase expands the graph, then sets calculator options in the expanded
        # config here, before it starts it: the one place to change the detector's delegate.
        def _modify_calculator_options(self, config: Any, params: Any) -> None:
            super()._modify_calculator_options(config, params)
            if not detector_xnnpack:
                run_detector_on_tflite_kernels(config)

    return KioskPose(**kwargs)
