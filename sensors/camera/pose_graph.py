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
  (:mod:`sensors.camera.model_fp32`; converted once into the per-user cache,
  ``~/.cache/rehab-kiosk``, by :mod:`sensors.camera.model_cache`): the copy goes, the file
  grows by 6.3 MB: -6.1 MB read into the heap (``bench.camera_memory``, fp16 -> fp32: the
  graph's share 105.8 -> 99.7 MB, three rounds, spread < 0.1 MB), the same landmarks
  (identical on the test photos) and the same time per frame. Where the cache cannot be
  written the wheel's model is used, logged.
- MediaPipe reads the landmark model into a string (its loader subgraph) and the
  detector's into the heap, and keeps both for the graph's life, though XNNPACK packs
  the landmark weights into its own buffers and the detector densifies its own: after
  the graph opens the files' bytes are hardly read again. :func:`map_model_files` has
  TFLite map both files instead (``try_mmap_model``; a mapping alone moves the pages from
  private to file-backed, the same RSS), and :func:`make_pose` drops their resident pages
  (:mod:`sensors.camera.model_pages`, ``madvise(MADV_DONTNEED)`` on the read-only
  mappings) once the graph is idle after opening, before any frame, and again after the
  first landmarks (the detector's first run reads its weights): -14.9 MB (fp32 -> mapped:
  99.7 -> 84.9 MB; peak 170.0 -> 156.6 MB), 0-0.2 MB of the files resident again after
  40 frames, the same landmarks.
- The landmark model also computes a 256x256 person segmentation mask on every frame,
  which the kiosk never asks for (``enable_segmentation=False``: the graph drops it
  unread). :mod:`sensors.camera.model_prune` removes the 20 ops that only feed it (the
  model's largest activations and convolution indirection buffers) and leaves a 1x1x1x1
  stand-in output: mapped -> kiosk, the graph's share 84.9 -> 63.7 MB, peak 156.5 ->
  135.1 MB, tracking 13.5 -> 8.5 ms a frame, the same image and world landmarks.

The last three together, in ``bench.kiosk_pinned``'s fused camera run (one core, 30 s,
alternated, 3 rounds each): peak 321.5-324.5 -> 278.6-278.9 MB. Measured and not taken:
the detector's sparse float16 weights stored dense as float32 and mapped (-9 MB between
detections and detection 1.3x as fast, but TFLite's own kernels read the 11.9 MB file on
every detection, so the peak rose by 1 MB, and more whenever tracking is lost late in a
set); the same on XNNPACK (peak +19 MB: packed weights beside the mapped file at load).
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
from sensors.camera.model_pages import drop_mapped_pages

_LOG = logging.getLogger(__name__)
_DEFERRED = ("mediapipe", "mediapipe.python", "mediapipe.python.solutions")
_IMPORTING = threading.Lock()
DETECTOR_NODE = "posedetectioncpu__inferencecalculator__posedetectioncpu__InferenceCalculator"
LANDMARK_NODE = ("poselandmarkbyroicpu__inferencecalculator__poselandmarkbyroicpu__"
                 "InferenceCalculator")
FULL_MODEL_RESOURCE = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"
DETECTOR_RESOURCE = "mediapipe/modules/pose_detection/pose_detection.tflite"
LOADER_PREFIX = "poselandmarkbyroicpu__poselandmarkmodelloader__"


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


def map_model_files(config: Any, landmark: Path, detector: Path) -> None:
    """In the expanded pose graph ``config``, both models mapped from their files (TFLite's
    ``MMAPAllocation``) instead of read into the heap: the landmark model from ``landmark``
    (its loader subgraph, which reads the file into a string, removed), the detector from
    ``detector``. Paths absolute: MediaPipe's resource lookup takes them as they are."""
    from mediapipe.calculators.tensor import inference_calculator_pb2

    nodes = {n.name: n for n in config.node}
    loader = [n for n in config.node if n.name.startswith(LOADER_PREFIX)]
    model_in = [s for s in nodes[LANDMARK_NODE].input_side_packet if s.startswith("MODEL:")] \
        if LANDMARK_NODE in nodes else []
    if DETECTOR_NODE not in nodes or len(model_in) != 1 or not loader:
        raise CameraError(f"the pose graph has no {DETECTOR_NODE}, {LANDMARK_NODE} with a "
                          f"MODEL input or {LOADER_PREFIX} nodes: the kiosk is built for "
                          "mediapipe==0.10.18 (pip install 'rehab-kiosk[camera]')")
    model_packet = model_in[0].split(":", 1)[1]
    users = [n.name for n in config.node if n not in loader and n.name != LANDMARK_NODE
             and any(s.endswith(":" + model_packet) for s in n.input_side_packet)]
    if users:
        raise CameraError(f"the landmark model's packet is read by {users} too")
    keep = [n for n in config.node if n not in loader]
    del config.node[:]
    config.node.extend(keep)
    node = next(n for n in config.node if n.name == LANDMARK_NODE)
    kept = [s for s in node.input_side_packet if not s.startswith("MODEL:")]
    del node.input_side_packet[:]
    node.input_side_packet.extend(kept)
    ext = inference_calculator_pb2.InferenceCalculatorOptions.ext
    for name, path in ((LANDMARK_NODE, landmark), (DETECTOR_NODE, detector)):
        options = next(n for n in config.node if n.name == name).options.Extensions[ext]
        options.model_path = str(path.resolve())
        options.try_mmap_model = True


def wheel_root(mp_pose: Any) -> Path:
    """The folder MediaPipe resolves its resource paths (``mediapipe/modules/...``) in."""
    return Path(mp_pose.__file__).resolve().parents[3]  # mediapipe/python/solutions/..


def kiosk_landmark_model(mp_pose: Any, cache_dir: Path | None = None, *,
                         segmentation: bool = False) -> Path | None:
    """The wheel's full landmark model converted for the kiosk (float32 weights, without
    its segmentation head unless ``segmentation``; :mod:`sensors.camera.model_cache`),
    converted at first use into the per-user cache; None (the wheel's model is used, and a
    warning logged) when the cache cannot be written."""
    from sensors.camera.model_cache import kiosk_model

    try:
        return kiosk_model(wheel_root(mp_pose) / FULL_MODEL_RESOURCE, cache_dir,
                           segmentation=segmentation)
    except OSError as exc:
        _LOG.warning("the wheel's pose model is used (~28 MB more memory, frames ~1.6x as "
                     "long): %s", exc)
        return None


def make_pose(*, detector_xnnpack: bool = False, landmark_fp32: bool = True,
              landmark_segmentation: bool = False, map_models: bool = True,
              **kwargs: Any) -> Any:
    """``mediapipe.solutions.pose.Pose(**kwargs)`` imported lean: its person detector on
    TFLite's own kernels unless ``detector_xnnpack`` (MediaPipe's default); its full
    landmark model with float32 weights if ``landmark_fp32``, and then without its
    segmentation head unless ``landmark_segmentation``; both models mapped from their
    files, and their pages dropped once read, if ``map_models``."""
    if kwargs.get("model_complexity", 1) != 1:
        raise ValueError("only the full model (model_complexity=1) is built for the kiosk")
    if kwargs.get("enable_segmentation") and landmark_fp32 and not landmark_segmentation:
        raise ValueError("enable_segmentation needs landmark_segmentation=True (the kiosk's "
                         "landmark model has no segmentation head)")
    mp_pose = import_pose_solution()
    root = wheel_root(mp_pose)
    landmark = kiosk_landmark_model(mp_pose, segmentation=landmark_segmentation) \
        if landmark_fp32 else None
    mapped = (landmark or root / FULL_MODEL_RESOURCE, root / DETECTOR_RESOURCE)

    class KioskPose(mp_pose.Pose):  # type: ignore[misc, name-defined]
        pages_to_drop: tuple[Path, ...] = mapped if map_models else ()

        # SolutionBase expands the graph, then sets calculator options in the expanded
        # config here, before it starts it: the one place to change the detector's delegate.
        def _modify_calculator_options(self, config: Any, params: Any) -> None:
            super()._modify_calculator_options(config, params)
            if not detector_xnnpack:
                run_detector_on_tflite_kernels(config)
            if map_models:
                map_model_files(config, *mapped)
            elif landmark is not None:
                landmark_model_from(config, landmark)

        def process(self, image: Any) -> Any:
            result = super().process(image)
            # Both models have run once landmarks are found: their weights were packed or
            # densified, and the files' pages are not read again (sensors/camera/model_pages)
            if self.pages_to_drop and result.pose_landmarks is not None:
                paths, self.pages_to_drop = self.pages_to_drop, ()
                drop_mapped_pages(paths)
            return result

    pose = KioskPose(**kwargs)
    if map_models:
        # The graph opens its calculators on its own threads: once idle, XNNPACK has packed
        # the landmark model's weights. Dropping the files' pages now, not only after the
        # first landmarks, keeps them out of the first frame's peak too (the detector's
        # are read again by its first run, and dropped after it)
        pose._graph.wait_until_idle()
        drop_mapped_pages(mapped)
    return pose
