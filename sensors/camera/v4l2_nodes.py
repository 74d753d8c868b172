"""Which ``/dev/video*`` nodes are cameras: the kiosk's pick, ``rehab session``'s and the
doctor's, one rule.

A Raspberry Pi has video nodes with no webcam plugged in: the codec (``/dev/video10``-``12``)
and the image signal processor (``/dev/video13``-``31``), some of which even say
VIDEO_CAPTURE, on the chip's own bus (``bus_info`` ``platform:``); a UVC webcam adds a
metadata node beside its capture node. Taking the first ``video*`` by name, as the kiosk
did, picked a codec node on a Pi without a camera (so a camera exercise said "No camera
found" instead of using the wearables), and ``video10`` before ``video2`` by name.

:func:`cameras` asks each node what it is (open + ``VIDIOC_QUERYCAP``: neither disturbs a
camera another process streams from) and keeps the capture nodes off the chip's bus, by
number. A node that cannot be asked (permission, busy) is kept: it may be the camera, and
opening it says why it cannot be used. With the real OS calls, a path under a test's or
bench's device folder that is not a character device stands in for a camera (no real
``/dev`` has such files); injected calls (a fake V4L2 device) are asked about every node.
"""

from __future__ import annotations

import errno
from pathlib import Path

from sensors.camera import v4l2_abi as abi
from sensors.camera.v4l2_capture import SystemV4l2, V4l2Os

CAMERA_GLOB = "video*"
ON_CHIP_BUS = b"platform:"  # bus_info of SoC nodes (bcm2835-isp, -codec, unicam), not USB


def video_nodes(dev_dir: Path) -> list[Path]:
    """The ``video*`` nodes under ``dev_dir`` by number (video2 before video10)."""
    def number(p: Path) -> tuple[int, str]:
        tail = p.name[5:]
        return (int(tail) if tail.isdigit() else 1 << 30, p.name)
    return sorted(dev_dir.glob(CAMERA_GLOB), key=number)


def probe(node: Path, v4l2_os: V4l2Os | None = None) -> str | None:
    """None for a camera (a video capture node not on the chip's bus); else what the node is,
    or why it could not be asked (an OSError's errno as ``errno:N``)."""
    v4l2_os = v4l2_os or SystemV4l2()
    try:
        fd = v4l2_os.open(str(node))
    except OSError as exc:
        return f"errno:{exc.errno}"
    try:
        cap = abi.Capability()
        v4l2_os.ioctl(fd, abi.Ioctl.QUERYCAP, cap)
    except OSError as exc:
        return ("not a V4L2 device" if exc.errno in (errno.ENOTTY, errno.EINVAL)
                else f"errno:{exc.errno}")
    finally:
        v4l2_os.close(fd)
    caps = cap.device_caps if cap.capabilities & abi.Cap.DEVICE_CAPS else cap.capabilities
    card, driver = cap.card.decode(errors="replace"), cap.driver.decode(errors="replace")
    if not caps & abi.Cap.VIDEO_CAPTURE:
        return f"{card}, {driver}: no video capture"
    if cap.bus_info.startswith(ON_CHIP_BUS):  # a Pi's ISP outputs have VIDEO_CAPTURE too
        return f"{card}, {driver}: on-chip, not a webcam"
    return None


def counts_as_camera(why: str | None) -> bool:
    """What :func:`probe` said makes the node a camera: it is one, or it could not be asked
    (permission, busy: opening it says why it cannot be used)."""
    return why is None or why.startswith("errno:")


def is_stand_in(node: Path) -> bool:
    """A test's or bench's camera stand-in: a path that exists but is no character device."""
    return node.exists() and not node.is_char_device()


def cameras(dev_dir: Path, v4l2_os: V4l2Os | None = None) -> list[Path]:
    """The camera nodes under ``dev_dir``, lowest number first (see the module doc)."""
    found = []
    for node in video_nodes(dev_dir):
        if v4l2_os is None and is_stand_in(node):
            found.append(node)
            continue
        if counts_as_camera(probe(node, v4l2_os)):
            found.append(node)
    return found
