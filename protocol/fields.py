"""Messages <-> plain JSON fields (for hw/protocol/vectors.json and the C vector header)."""

from __future__ import annotations

from dataclasses import fields as dc_fields
from typing import Any

import numpy as np

from protocol.messages import (
    Ack,
    Battery,
    Error,
    Hello,
    HelloReq,
    ImuBatch,
    Message,
    MsgType,
    SensorDesc,
    Start,
    Stop,
    TimeReq,
    TimeResp,
)

CLASSES: dict[MsgType, type] = {
    MsgType.HELLO_REQ: HelloReq, MsgType.HELLO: Hello, MsgType.START: Start,
    MsgType.STOP: Stop, MsgType.IMU_BATCH: ImuBatch, MsgType.BATTERY: Battery,
    MsgType.TIME_REQ: TimeReq, MsgType.TIME_RESP: TimeResp, MsgType.ACK: Ack,
    MsgType.ERROR: Error,
}


def to_fields(msg: Message) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dc_fields(msg):  # type: ignore[arg-type]
        v = getattr(msg, f.name)
        if isinstance(v, np.ndarray):
            v = v.astype(int).tolist()
        elif f.name == "sensors":
            v = [{g.name: getattr(s, g.name) for g in dc_fields(s)} for s in v]
        elif isinstance(v, tuple):
            v = list(v)
        out[f.name] = int(v) if isinstance(v, int | np.integer) else v
    return out


def from_fields(msg_type: MsgType, values: dict[str, Any]) -> Message:
    cls = CLASSES[msg_type]
    kw = dict(values)
    if cls is ImuBatch:
        kw["counts"] = np.array(kw["counts"], dtype=np.int16).reshape(-1, 6)
    if cls is Hello:
        kw["fw_version"] = tuple(kw["fw_version"])
        kw["sensors"] = tuple(SensorDesc(**s) for s in kw["sensors"])
    return cls(**kw)  # type: ignore[no-any-return]
