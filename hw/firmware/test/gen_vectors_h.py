"""Turn hw/protocol/vectors.json into a C header for test_protocol.c (stdlib only).

Usage: python3 gen_vectors_h.py VECTORS_JSON OUT_H
Each encode vector becomes a function filling a proto_msg_t from the JSON fields, so the
C encoder is checked from the message, not from bytes it was handed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

UNION = {
    "HELLO_REQ": "hello_req", "HELLO": "hello", "START": "start", "STOP": None,
    "IMU_BATCH": "imu_batch", "BATTERY": "battery", "TIME_REQ": "time_req",
    "TIME_RESP": "time_resp", "ACK": "ack", "ERROR": "error",
}
STATS = ["frames", "crc_errors", "framing_errors", "overruns", "bad_payload", "lost", "gaps",
         "duplicates", "restarts"]


def _bytes(name: str, hexstr: str) -> str:
    data = bytes.fromhex(hexstr)
    body = ", ".join(f"0x{b:02x}" for b in data) or "0"
    return f"static const uint8_t {name}[] = {{{body}}};\n"


def _assignments(kind: str, fields: dict) -> list[str]:
    member = UNION[kind]
    if member is None:
        return []
    u = f"m->u.{member}"
    lines = []
    for key, value in fields.items():
        if key == "fw_version":
            for part, v in zip(("fw_major", "fw_minor", "fw_patch"), value, strict=False):
                lines.append(f"{u}.{part} = {v}u;")
        elif key == "sensors":
            lines.append(f"{u}.n_sensors = {len(value)}u;")
            for i, s in enumerate(value):
                lines += [f"{u}.sensors[{i}].{k} = {v}u;" for k, v in s.items()]
        elif key == "counts":
            lines.append(f"{u}.n = {len(value)}u;")
            for i, row in enumerate(value):
                lines += [f"{u}.counts[{i}][{a}] = (int16_t)({v});" for a, v in enumerate(row)]
        else:
            lines.append(f"{u}.{key} = {value}ull;")
    return lines


def generate(vectors: dict) -> str:
    out = ["/* Generated from hw/protocol/vectors.json by gen_vectors_h.py: do not edit. */\n"]
    enc_rows, dec_rows = [], []
    for i, v in enumerate(vectors["encode"]):
        out.append(_bytes(f"enc{i}_frame", v["frame_hex"]))
        lines = [f"m->type = {v['type_code']}u;"] + _assignments(v["type"], v["fields"])
        body = "\n    ".join(lines)
        out.append(f"static void enc{i}_msg(proto_msg_t *m)\n{{\n    {body}\n}}\n")
        enc_rows.append(f'{{"{v["name"]}", {v["seq"]}u, enc{i}_msg, enc{i}_frame, '
                        f'sizeof(enc{i}_frame)}}')
    for i, v in enumerate(vectors["decode"]):
        out.append(_bytes(f"dec{i}_stream", v["stream_hex"]))
        frames = []
        for j, f in enumerate(v["frames"]):
            out.append(_bytes(f"dec{i}_p{j}", f["payload_hex"]))
            n = len(bytes.fromhex(f["payload_hex"]))
            frames.append(f"{{{f['type_code']}u, {f['seq']}u, dec{i}_p{j}, {n}u}}")
        rows = ", ".join(frames) or "{0}"
        out.append(f"static const dec_frame_t dec{i}_frames[] = {{{rows}}};\n")
        stats = ", ".join(f"{v['stats'][k]}u" for k in STATS)
        dec_rows.append(f'{{"{v["name"]}", dec{i}_stream, sizeof(dec{i}_stream), dec{i}_frames, '
                        f'{len(v["frames"])}u, {{{stats}}}}}')
    out.append("static const enc_vector_t ENC[] = {\n    " + ",\n    ".join(enc_rows) + "\n};\n")
    out.append("static const dec_vector_t DEC[] = {\n    " + ",\n    ".join(dec_rows) + "\n};\n")
    check = int(vectors["crc"]["check"], 16)
    out.append(f"#define CRC_CHECK_VALUE 0x{check:04x}u\n")
    return "\n".join(out)


if __name__ == "__main__":
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    dst.write_text(generate(json.loads(src.read_text())))
