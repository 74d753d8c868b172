"""Photos of real people for the camera tests, from a Debian package (never the web).

Source: Debian package ``opencv-doc`` (Bookworm 4.6.0+dfsg-12), folder
/usr/share/doc/opencv-doc/examples/data/ — OpenCV's own ``samples/data`` images.
Licence: Apache-2.0 AND BSD-3-Clause (Debian's copyright file, ``Files: *``, for the whole
OpenCV source tree, which these samples are part of).
- basketball1.png / basketball2.png: 640x480, two frames of a man catching a ball,
  standing, elbows bent (OpenCV's optical-flow sample pair).
- messi5.jpg: 548x342, a footballer kicking, one leg straight, the other knee bent.
``make test`` installs the package (scripts/system-deps.d/test).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PHOTO_DIR = Path("/usr/share/doc/opencv-doc/examples/data")
ROOT = Path(__file__).resolve().parents[2]


def photo(name: str) -> np.ndarray:
    import cv2

    path = PHOTO_DIR / name
    if not path.is_file():
        pytest.fail(f"{path} missing: install the Debian package opencv-doc "
                    "(apt-get install opencv-doc, or `make test`)")
    image = cv2.imread(str(path))
    assert image is not None, f"OpenCV cannot read {path}"
    return image


def run_on_photos(script: str, *args: str, timeout_s: float = 150) -> dict:
    """``script`` run in a fresh interpreter (its own RSS, MediaPipe's graph alone) from the
    repository root with ``PHOTO_DIR`` and ``args`` as its arguments; the JSON object its
    last line of output prints."""
    photo("basketball1.png")  # fails with the install command when the photos are missing
    run = subprocess.run([sys.executable, "-c", script, str(PHOTO_DIR), *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=timeout_s)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])
