"""The ctypes V4L2 ABI (sensors/camera/v4l2_abi.py) against the C compiler's view of the
installed kernel header: a small C program, built with gcc from linux-libc-dev's
``linux/videodev2.h``, prints sizeof of every struct the capture passes to ioctl, the
offsets it reads, the VIDIOC_* numbers and the codes; each must equal the Python value.
A wrong field, a missing padding or a wrong ioctl direction fails here, not on a Pi."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sensors.camera import v4l2_abi

HEADER = Path("/usr/include/linux/videodev2.h")
NEEDS = "apt-get install gcc linux-libc-dev (and libc6-dev)"


def _c_program() -> str:
    lines = ["#include <stdio.h>", "#include <stddef.h>", "#include <sys/time.h>",
             "#include <linux/videodev2.h>", "int main(void) {"]
    for c_name in v4l2_abi.STRUCTS:
        lines.append(f'  printf("sizeof {c_name}=%zu\\n", sizeof({c_name}));')
    for (c_name, member), _ in v4l2_abi.OFFSETS.items():
        lines.append(f'  printf("offsetof {c_name}.{member}=%zu\\n", '
                     f"offsetof({c_name}, {member}));")
    for name in v4l2_abi.CONSTANTS:
        lines.append(f'  printf("{name}=%lu\\n", (unsigned long)({name}));')
    lines += ["  return 0;", "}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def c_values(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    gcc = shutil.which("gcc")
    if gcc is None or not HEADER.is_file():
        pytest.fail(f"the V4L2 ABI test needs gcc and {HEADER}: {NEEDS}")
    work = tmp_path_factory.mktemp("v4l2abi")
    (work / "abi.c").write_text(_c_program())
    build = subprocess.run([gcc, "-Wall", "-o", str(work / "abi"), str(work / "abi.c")],
                           capture_output=True, text=True, timeout=60)
    assert build.returncode == 0, f"gcc failed ({NEEDS}?):\n{build.stderr}"
    run = subprocess.run([str(work / "abi")], capture_output=True, text=True, timeout=30,
                         check=True)
    return {k: int(v) for k, v in (line.split("=") for line in run.stdout.splitlines())}


def test_struct_sizes_match_the_kernel_header(c_values: dict[str, int]) -> None:
    import ctypes

    py = {f"sizeof {c}": ctypes.sizeof(t) for c, t in v4l2_abi.STRUCTS.items()}
    assert py == {k: v for k, v in c_values.items() if k.startswith("sizeof ")}


def test_member_offsets_match_the_kernel_header(c_values: dict[str, int]) -> None:
    py = {f"offsetof {c}.{m}": off for (c, m), off in v4l2_abi.OFFSETS.items()}
    assert py == {k: v for k, v in c_values.items() if k.startswith("offsetof ")}


def test_ioctl_numbers_and_codes_match_the_kernel_header(c_values: dict[str, int]) -> None:
    py = {k: int(v) for k, v in v4l2_abi.CONSTANTS.items()}
    assert py == {k: v for k, v in c_values.items() if not k.startswith(("sizeof", "offsetof"))}
    assert len(py) >= 20  # every request and code the capture uses is compared


def test_fourcc_round_trips() -> None:
    assert v4l2_abi.fourcc_name(v4l2_abi.PixelFormat.MJPEG) == "MJPG"
    assert v4l2_abi.fourcc_name(v4l2_abi.fourcc("H264")) == "H264"
