"""The pose landmark model with its float16 weights stored as float32 (issue 15).

MediaPipe's ``pose_landmark_full.tflite`` stores its weights as float16 constants, each
read through a DEQUANTIZE op. TFLite's XNNPACK delegate runs those DEQUANTIZE ops once, at
load, into its own buffer (``static_unpacked_data_``, ~17.7 MB at its peak for this model)
and keeps that float32 copy beside XNNPACK's packed one for the model's lifetime. Stored as
float32 in the file the weights are used where they lie: the file grows by 6.3 MB and the
unpacked copy is gone. The arithmetic is unchanged (float16 to float32 is exact, and the
delegate computed in float32 from the same values), so the landmarks are the same.

:func:`unfold_fp16_weights` is pure (bytes to bytes, the TFLite flatbuffer schema that
ships in the mediapipe wheel); :mod:`sensors.camera.model_cache` runs it once and keeps the
result. The helpers here (read, renumber, write a model) serve :mod:`sensors.camera.model_prune`
too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sensors.camera.errors import CameraError

FILE_ID = b"TFL3"  # TFLite's flatbuffer file identifier (schema.fbs)
BUFFER_ALIGN = 16  # schema.fbs: Buffer.data (force_align: 16), as TFLite's converter writes


class ModelConversionError(CameraError):
    """The model is not the model the conversion was written for."""

    def __init__(self, what: str) -> None:
        super().__init__(f"cannot convert this pose model for the kiosk: {what} (the kiosk "
                         "is built for mediapipe==0.10.18's pose_landmark_full.tflite)")


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


def load_model(model: bytes) -> tuple[Any, Any]:
    """The schema module and ``model`` (a TFLite flatbuffer) as its object tree
    (``ModelT``), checked to hold one subgraph and its buffers inside the file."""
    schema = _schema()
    if model[4:8] != FILE_ID:
        raise ModelConversionError("not a TFLite model file")
    m = schema.ModelT.InitFromPackedBuf(model, 0)
    if len(m.subgraphs) != 1:
        raise ModelConversionError(f"{len(m.subgraphs)} subgraphs, expected 1")
    if any(getattr(b, "offset", 0) or getattr(b, "size", 0) for b in m.buffers):
        raise ModelConversionError("buffers stored outside the flatbuffer")
    return schema, m


def op_names(schema: Any, m: Any) -> list[str]:
    """The builtin operator name of each operator of ``m``'s subgraph, in order."""
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    codes = [names[max(c.builtinCode, c.deprecatedBuiltinCode)] for c in m.operatorCodes]
    return [codes[op.opcodeIndex] for op in m.subgraphs[0].operators]


def keep_tensors(sg: Any, kept: list[int]) -> None:
    """Keep only the tensors ``kept`` (old indices, ascending) of ``sg``, renumbering every
    reference to them in its operators, inputs and outputs."""
    new_index = np.full(len(sg.tensors), -1, np.int32)
    new_index[kept] = np.arange(len(kept), dtype=np.int32)

    def renumber(ix: Any) -> np.ndarray:
        ix = np.asarray(ix, np.int32)
        out = np.where(ix < 0, ix, new_index[np.maximum(ix, 0)]).astype(np.int32)
        if (out[ix >= 0] < 0).any():
            raise ModelConversionError("an operator reads a tensor that was removed")
        return out

    for op in sg.operators:
        if op.intermediates is not None and len(op.intermediates):
            raise ModelConversionError("ops with intermediate tensors")
        op.inputs, op.outputs = renumber(op.inputs), renumber(op.outputs)
    sg.tensors = [sg.tensors[k] for k in kept]
    sg.inputs, sg.outputs = renumber(sg.inputs), renumber(sg.outputs)


def pack_model(schema: Any, m: Any) -> bytes:
    """``m`` written as a TFLite flatbuffer, each buffer's data 16-byte aligned; buffers no
    tensor or metadata entry refers to any more are written empty."""
    import flatbuffers

    used = {t.buffer for t in m.subgraphs[0].tensors} | {md.buffer for md in m.metadata or []}
    aligned = _aligned_buffer_class(schema)
    for k, b in enumerate(m.buffers):
        nb = aligned()
        nb.data = b.data if k in used else None
        m.buffers[k] = nb
    size = sum(len(b.data) for b in m.buffers if b.data is not None)
    builder = flatbuffers.Builder(size + (1 << 20))
    builder.Finish(m.Pack(builder), file_identifier=FILE_ID)
    return bytes(builder.Output())


def unfold_fp16_weights(model: bytes) -> bytes:
    """``model`` (a TFLite flatbuffer) with each DEQUANTIZE of a constant float16 tensor
    replaced by the float32 constant it computes. ModelConversionError if the model has no
    such op, or anything float16 or dequantized that this does not handle."""
    schema, m = load_model(model)
    sg = m.subgraphs[0]
    names = op_names(schema, m)
    used_by = np.zeros(len(sg.tensors), int)
    for op in sg.operators:
        for i in op.inputs:
            if i >= 0:
                used_by[i] += 1
    graph_io = set(sg.inputs.tolist()) | set(sg.outputs.tolist())
    keep_ops, dropped = [], set()
    for op, name in zip(sg.operators, names, strict=True):
        if name != "DEQUANTIZE":
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
    sg.operators = keep_ops
    keep_tensors(sg, [k for k in range(len(sg.tensors)) if k not in dropped])
    return pack_model(schema, m)


