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

from pathlib import Path

import numpy as np
import pytest

PHOTO_DIR = Path("/usr/share/doc/opencv-doc/examples/data")


def photo(name: str) -> np.ndarray:
    import cv2

    path = PHOTO_DIR / name
    if not path.is_file():
        pytest.fail(f"{path} missing: install the Debian package opencv-doc "
                    "(apt-get install opencv-doc, or `make test`)")
    image = cv2.imread(str(path))
    assert image is not None, f"OpenCV cannot read {path}"
    return image
