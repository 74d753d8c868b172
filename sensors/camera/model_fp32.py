"""The pose landmark model with its float16 weights stored as float32 (issue 15).

MediaPipe's ``pose_landmark_full.tflite`` stores its weights as float16 constants, each
read through a DEQUANTIZE op. TFLite's XNNPACK delegate runs those DEQUANTIZE ops once, at
load, into its own buffer (``static_unpacked_data_``, ~17.7 MB at its peak for this model)
and keeps that float32 copy beside XNNPACK's packed one for the model's lifetime. Stored as
float32 in the file the weights are used where they lie: the file grows by 6.3 MB and the
unpacked copy is gone. The arithmetic is unchanged (float16 to float32 is exact, and the
delegate computed in float32 from the same values), so the landmarks are the same.

:func:`unfold_fp16_weights` is pure (bytes to bytes, the TFLite flatbuffer schema that
ships in the mediapipe wheel). :func:`fp32_model` converts a model file once, in a child
process (``python -m sensors.camera.model_fp32 SOURCE CACHE_DIR``: the conversion's ~100 MB
of Python objects never enter the kiosk's heap), and keeps the result in a per-user cache
keyed by the source file's SHA-256.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from sensors.camera.errors import CameraError

_LOG = logging.getLogger(__name__)
FORMAT = 1  # bump when the conversion's output changes: old cache entries are then unused
FILE_ID = b"TFL3"  # TFLite's flatbuffer file identifier (schema.fbs)
BUFFER_ALIGN = 16  # schema.fbs: Buffer.data (force_align: 16), as TFLite's converter writes


class ModelConversionError(CameraError):
    """The model is not the float16-weights model the conversion was written for."""

    def __init__(self, what: str) -> None:
        super().__init__(f"cannot store this pose model's weights as float32: {what} (the "
                         "kiosk is built for mediapipe==0.10.18's pose_landmark_full.tflite)")


def _schema():  # type: ignore[no-untyped-def]
    from mediapipe.tasks.metadata import schema_py_generated as schema

    return schema


def _aligned_buffer_class(schema):  # type: ignore[no-untyped-def]
    class AlignedBufferT(schema.BufferT):  # type: ignore[misc, name-defined]
        """A buffer whose data starts on a 16-byte boundary (the generated Pack aligns
        byte vectors to 1: float32 weights would be read unaligned)."""

        def Pack(self, builder):  # type: ignore[no-untyped-def]  # noqa: N802
            if self.data is None or len(self.data) == 0:
                return super().Pack(builder)
            payload = np.asarray(self.data, dtype=np.uint8).tobytes()
            builder.StartVector(1, len(payload), BUFFER_ALIGN)
            builder.head -= len(payload)
            builder.Bytes[builder.head:builder.head + len(payload)] = payload
            data = builder.EndVector()
            schema.BufferStart(builder)
            schema.BufferAddData(builder, data)
            return schema.BufferEnd(builder)

    return AlignedBufferT


def unfold_fp16_weights(model: bytes) -> bytes:
    """``model`` (a TFLite flatbuffer) with each DEQUANTIZE of a constant float16 tensor
    replaced by the float32 constant it computes. ModelConversionError if the model has no
    such op, or anything float16 or dequantized that this does not handle."""
    schema = _schema()
    if model[4:8] != FILE_ID:
        raise ModelConversionError("not a TFLite model file")
    m = schema.ModelT.InitFromPackedBuf(model, 0)
    if len(m.subgraphs) != 1:
        raise ModelConversionError(f"{len(m.subgraphs)} subgraphs, expected 1")
    sg = m.subgraphs[0]
    codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in m.operatorCodes]
    dequantize = schema.BuiltinOperator.DEQUANTIZE
    used_by = np.zeros(len(sg.tensors), int)
    for op in sg.operators:
        for i in op.inputs:
            if i >= 0:
                used_by[i] += 1
    graph_io = set(sg.inputs.tolist()) | set(sg.outputs.tolist())
    keep_ops, dropped = [], set()
    for op in sg.operators:
        if codes[op.opcodeIndex] != dequantize:
            keep_ops.append(op)
            continue
        src, dst = sg.tensors[op.inputs[0]], sg.tensors[op.outputs[0]]
        data = m.buffers[src.buffer].data
        if src.type != schema.TensorType.FLOAT16 or data is None or len(data) == 0:
            raise ModelConversionError(f"DEQUANTIZE of {src.name!r} is not of a float16 "
                                       "constant")
        if src.sparsity is not None or dst.type != schema.TensorType.FLOAT32:
            raise ModelConversionError(f"DEQUANTIZE of {src.name!r}: sparse, or not to float32")
        if used_by[op.inputs[0]] != 1 or op.inputs[0] in graph_io:
            raise ModelConversionError(f"{src.name!r} is used beside its DEQUANTIZE")
        n = int(np.prod(src.shape)) if src.shape is not None else 1
        if len(data) != 2 * n or list(src.shape) != list(dst.shape):
            raise ModelConversionError(f"{src.name!r}: {len(data)} bytes for shape {src.shape}")
        m.buffers[src.buffer].data = np.frombuffer(bytes(data), "<f2").astype("<f4").view(np.uint8)
        dst.buffer = src.buffer  # the float32 constant takes the float16 one's buffer
        dropped.add(int(op.inputs[0]))
    if not dropped:
        raise ModelConversionError("no float16 weights (converted already?)")
    left = [t.name for k, t in enumerate(sg.tensors)
            if k not in dropped and t.type == schema.TensorType.FLOAT16]
    if left:
        raise ModelConversionError(f"float16 tensors not read through DEQUANTIZE: {left[:3]}")
    new_index = np.full(len(sg.tensors), -1, np.int32)
    kept = [k for k in range(len(sg.tensors)) if k not in dropped]
    new_index[kept] = np.arange(len(kept), dtype=np.int32)

    def renumber(ix: np.ndarray) -> np.ndarray:
        ix = np.asarray(ix, np.int32)
        return np.where(ix < 0, ix, new_index[np.maximum(ix, 0)]).astype(np.int32)

    for op in keep_ops:
        op.inputs, op.outputs = renumber(op.inputs), renumber(op.outputs)
        if op.intermediates is not None and len(op.intermediates):
            raise ModelConversionError("ops with intermediate tensors")
    sg.operators = keep_ops
    sg.tensors = [sg.tensors[k] for k in kept]
    sg.inputs, sg.outputs = renumber(sg.inputs), renumber(sg.outputs)
    aligned = _aligned_buffer_class(schema)
    for k, b in enumerate(m.buffers):
        nb = aligned()
        nb.data = b.data
        if getattr(b, "offset", 0) or getattr(b, "size", 0):
            raise ModelConversionError("buffers stored outside the flatbuffer")
        m.buffers[k] = nb
    import flatbuffers

    builder = flatbuffers.Builder(len(model) * 3)
    builder.Finish(m.Pack(builder), file_identifier=FILE_ID)
    return bytes(builder.Output())


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/rehab-kiosk`` (``~/.cache/rehab-kiosk`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rehab-kiosk"


def cached_name(model: bytes, stem: str) -> str:
    """The cache's file name for ``model``: its stem, the format and the SHA-256."""
    return f"{stem}.fp32-v{FORMAT}-{hashlib.sha256(model).hexdigest()[:16]}.tflite"


def convert_file(source: Path, cache: Path) -> Path:
    """Convert ``source`` into ``cache`` (in this process), written atomically: a crash
    leaves no half file behind. The path of the converted model."""
    model = source.read_bytes()
    target = cache / cached_name(model, source.stem)
    converted = unfold_fp16_weights(model)
    cache.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(converted)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would differ from the cache's other files
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def fp32_model(source: Path, cache_dir: Path | None = None) -> Path:
    """The float32-weights version of the model file ``source`` from the per-user cache,
    converted by a child process the first time (a new MediaPipe's model gets its own
    entry). OSError when the cache cannot be written; ModelConversionError as above."""
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    target = cache / cached_name(source.read_bytes(), source.stem)
    if target.is_file():
        return target
    run = subprocess.run([sys.executable, "-m", __name__, str(source), str(cache)],
                         capture_output=True, text=True, timeout=120)
    if run.returncode == 2:
        raise ModelConversionError(run.stderr.strip().splitlines()[-1])
    if run.returncode != 0 or not target.is_file():
        raise OSError(f"converting {source} into {cache} failed: {run.stderr[-500:]}")
    _LOG.info("pose model %s stored with float32 weights in %s", source.name, target)
    return target


def wheel_landmark_model() -> Path:
    """The mediapipe wheel's full landmark model (found without importing mediapipe)."""
    import importlib.util

    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise ModelConversionError("mediapipe is not installed")
    return (Path(next(iter(spec.submodule_search_locations))) / "modules" / "pose_landmark"
            / "pose_landmark_full.tflite")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sensors.camera.model_fp32",
                                 description="Store a TFLite model's float16 weights as "
                                 "float32 in the cache (what the kiosk does at its camera's "
                                 "first use; `make install` may run it ahead).")
    ap.add_argument("source", type=Path, nargs="?", default=None,
                    help="model file (default: the mediapipe wheel's pose_landmark_full)")
    ap.add_argument("cache_dir", type=Path, nargs="?", default=None,
                    help="default: $XDG_CACHE_HOME/rehab-kiosk")
    args = ap.parse_args(argv)
    try:
        source = args.source or wheel_landmark_model()
        print(convert_file(source, args.cache_dir or default_cache_dir()))
    except ModelConversionError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
