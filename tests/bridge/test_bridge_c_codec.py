"""The C codec (hw/firmware/protocol.c) against the vectors, and a Python<->C round trip.

Built here with the system gcc into tmp_path; the Cortex-M4 check needs Debian's
gcc-arm-none-eabi (installed by ``make test`` through scripts/system-deps.sh).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from protocol.codec import FrameDecoder, encode_frame
from protocol.messages import (
    Ack,
    Battery,
    Error,
    Hello,
    HelloReq,
    ImuBatch,
    Message,
    SensorDesc,
    Start,
    Stop,
    TimeReq,
    TimeResp,
)

FW = Path(__file__).resolve().parents[2] / "hw" / "firmware"
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2"]


def _need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} not found: install it with `sudo apt-get install {package}` "
                    "(or `bash scripts/system-deps.sh test`)")
    return path


@pytest.fixture(scope="module")
def c_test_program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gcc = _need("gcc", "gcc")
    out = tmp_path_factory.mktemp("c_codec")
    subprocess.run([sys.executable, str(FW / "test" / "gen_vectors_h.py"),
                    str(FW.parent / "protocol" / "vectors.json"), str(out / "vectors.h")],
                   check=True)
    exe = out / "test_protocol"
    subprocess.run([gcc, *CFLAGS, f"-I{FW}", f"-I{out}", str(FW / "protocol.c"),
                    str(FW / "test" / "test_protocol.c"), "-o", str(exe)],
                   check=True, capture_output=True, text=True)
    return exe


def test_c_codec_reproduces_every_vector(c_test_program: Path) -> None:
    run = subprocess.run([str(c_test_program)], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    vectors = json.loads((FW.parent / "protocol" / "vectors.json").read_text())
    n_enc, n_dec = len(vectors["encode"]), len(vectors["decode"])
    assert run.stdout.strip() == f"{n_enc} encode and {n_dec} decode vectors, 0 failures"


def _random_messages(n: int, seed: int) -> list[Message]:
    rng = np.random.default_rng(seed)
    u = lambda bits: int(rng.integers(0, 2**bits, dtype=np.uint64))  # noqa: E731
    out: list[Message] = []
    for i in range(n):
        k = i % 10
        if k == 0:
            out.append(ImuBatch(u(32), u(63), u(32), u(16), u(8), u(8),
                                rng.integers(-32768, 32768, (int(rng.integers(1, 19)), 6))
                                .astype(np.int16), u(8)))
        elif k == 1:
            n_sensors = int(rng.integers(0, 9))
            sensors = tuple(SensorDesc(u(8), u(8), u(8), u(16), u(16)) for _ in range(n_sensors))
            out.append(Hello(u(8), (u(8), u(8), u(8)), u(64), sensors))
        else:
            out.append([HelloReq(u(8)), Start(u(16), u(8), u(16), u(8), u(8)), Stop(),
                        Battery(u(16), u(8), u(8)), TimeReq(u(32)), TimeResp(u(32), u(64)),
                        Ack(u(8), u(16), u(8)), Error(u(8), u(8), u(16))][k - 2])
    return out


@pytest.mark.timeout(60)
def test_round_trip_python_c_python(c_test_program: Path) -> None:
    msgs = _random_messages(2000, seed=5)
    stream = b"".join(encode_frame(m, i) for i, m in enumerate(msgs))
    run = subprocess.run([str(c_test_program), "--pipe"], input=stream, capture_output=True,
                         timeout=30)
    assert run.returncode == 0, run.stderr
    assert run.stdout == stream  # the C encoder wrote back exactly what Python sent
    dec = FrameDecoder()
    back = dec.feed(run.stdout)
    assert [f.msg for f in back] == msgs
    assert dec.stats.frames == len(msgs) and dec.stats.lost == 0


def test_cortex_m4_build(tmp_path: Path) -> None:
    arm = _need("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    run = subprocess.run([arm, "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                          "-mfpu=fpv4-sp-d16", *CFLAGS, "-c", str(FW / "protocol.c"),
                          "-o", str(tmp_path / "protocol_cm4.o")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "protocol_cm4.o").stat().st_size > 0
