"""The pose landmark model without its segmentation head (issue 15).

``pose_landmark_full.tflite`` has five outputs: landmarks, the pose flag, a 256x256 person
segmentation mask, the 64x64 landmark heatmap and world landmarks. The kiosk never asks for
the mask (``enable_segmentation=False``: MediaPipe's graph drops the tensor unread), yet the
20 ops that only feed it, a decoder up to 256x256, ran on every frame and held XNNPACK's
largest activations and convolution indirection buffers: ~22 MB and ~40 % of a tracked
frame's time (``bench.camera_memory``). :func:`without_segmentation` removes them; the mask
output stays, as a 1x1x1x1 reshape of the pose flag, so the graph still gets the five
tensors it splits. Every other output is computed by the same ops on the same weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sensors.camera.model_fp32 import ModelConversionError, keep_tensors, load_model, op_names
from sensors.camera.model_fp32 import pack_model

SEGMENTATION_OUTPUT = 2  # output order of pose_landmark_full.tflite (0.10.18)
POSE_FLAG_OUTPUT = 1
SEGMENTATION_SHAPE = [1, 256, 256, 1]
STAND_IN_SHAPE = [1, 1, 1, 1]
RESHAPE = 22  # BuiltinOperator.RESHAPE (schema.fbs)


def _producers(sg: Any) -> dict[int, int]:
    return {int(o): k for k, op in enumerate(sg.operators) for o in op.outputs}


def _ops_feeding(sg: Any, producer: dict[int, int], tensors: list[int]) -> set[int]:
    """Indices of the operators that ``tensors`` depend on."""
    need: set[int] = set()
    stack = list(tensors)
    while stack:
        k = producer.get(stack.pop())
        if k is not None and k not in need:
            need.add(k)
            stack.extend(int(i) for i in sg.operators[k].inputs if i >= 0)
    return need


def without_segmentation(model: bytes) -> bytes:
    """``model`` (the landmark model) without the ops only its segmentation output needs,
    that output now a 1x1x1x1 copy of the pose flag. ModelConversionError if the outputs
    are not the five expected or nothing feeds the mask alone (removed already?)."""
    schema, m = load_model(model)
    sg = m.subgraphs[0]
    outs = [int(o) for o in sg.outputs]
    shapes = [list(sg.tensors[o].shape) for o in outs]
    if len(outs) != 5 or shapes[SEGMENTATION_OUTPUT] != SEGMENTATION_SHAPE \
            or shapes[POSE_FLAG_OUTPUT] != [1, 1]:
        raise ModelConversionError(f"outputs shaped {shapes}, expected the pose flag [1, 1] "
                                   f"second and the mask {SEGMENTATION_SHAPE} third")
    if "DEQUANTIZE" in op_names(schema, m):
        raise ModelConversionError("float16 weights: store them as float32 first")
    producer = _producers(sg)
    mask, flag = outs[SEGMENTATION_OUTPUT], outs[POSE_FLAG_OUTPUT]
    others = _ops_feeding(sg, producer, [o for o in outs if o != mask])
    mask_only = _ops_feeding(sg, producer, [mask]) - others
    if not mask_only:
        raise ModelConversionError("no op feeds the mask alone (removed already?)")
    shape_buffer = schema.BufferT()
    shape_buffer.data = np.array(STAND_IN_SHAPE, "<i4").view(np.uint8)
    m.buffers.append(shape_buffer)
    shape = schema.TensorT()
    shape.name, shape.type = b"segmentation_removed/shape", schema.TensorType.INT32
    shape.shape, shape.buffer = np.array([len(STAND_IN_SHAPE)], np.int32), len(m.buffers) - 1
    sg.tensors.append(shape)
    stand_in = sg.tensors[mask]
    stand_in.shape = np.array(STAND_IN_SHAPE, np.int32)
    if stand_in.shapeSignature is not None:
        stand_in.shapeSignature = np.array(STAND_IN_SHAPE, np.int32)
    reshape = schema.OperatorT()
    reshape.opcodeIndex = _opcode(schema, m, RESHAPE)
    reshape.inputs = np.array([flag, len(sg.tensors) - 1], np.int32)
    reshape.outputs = np.array([mask], np.int32)
    reshape.builtinOptionsType = schema.BuiltinOptions.ReshapeOptions
    reshape.builtinOptions = schema.ReshapeOptionsT()
    reshape.builtinOptions.newShape = np.array(STAND_IN_SHAPE, np.int32)
    sg.operators = [op for k, op in enumerate(sg.operators) if k not in mask_only] + [reshape]
    used = {int(i) for op in sg.operators for i in [*op.inputs, *op.outputs] if i >= 0}
    keep_tensors(sg, sorted(used | set(outs) | {int(i) for i in sg.inputs}))
    return pack_model(schema, m)


def _opcode(schema: Any, m: Any, builtin: int) -> int:
    """The index of ``builtin``'s operator code in ``m``, added if the model has none."""
    for k, c in enumerate(m.operatorCodes):
        if max(c.builtinCode, c.deprecatedBuiltinCode) == builtin:
            return k
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = builtin
    code.version = 1
    m.operatorCodes.append(code)
    return len(m.operatorCodes) - 1
