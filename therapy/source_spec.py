"""The session source string, parsed (pure): ``sim``, ``ble``, ``serial:PORT``,
``video:FILE``, ``camera[:N]``, or a wearable source and a camera source joined by ``+``.

``rehab session --source`` and the kiosk's source choice both go through
:func:`parse_source`; :mod:`therapy.sources` opens what it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from therapy.errors import TherapyError

SOURCE_FORMS = "sim, ble, serial:PORT, video:FILE or camera[:N]"
MAX_CAMERA_INDEX = 63  # /dev/video0..63 (V4L2 minor numbers a kiosk would plausibly have)


class SourceSpecError(TherapyError):
    """A source string that names no source; the message lists the accepted forms."""


class SourceKind(StrEnum):
    SIM = "sim"
    BLE = "ble"
    SERIAL = "serial"
    VIDEO = "video"
    CAMERA = "camera"


LIVE_KINDS = frozenset({SourceKind.BLE, SourceKind.SERIAL, SourceKind.CAMERA})


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A parsed ``--source``: the kind and its argument (port, file, camera index)."""

    kind: SourceKind
    target: str = ""
    camera: SourceSpec | None = None  # wearables + camera: the camera part, fused

    @property
    def live(self) -> bool:
        """Streams until closed (a set on it ends at the target or a time limit)."""
        return self.kind in LIVE_KINDS or (self.camera is not None and self.camera.live)

    @property
    def is_camera(self) -> bool:
        return self.kind in CAMERA_KINDS

    def __str__(self) -> str:
        own = f"{self.kind}:{self.target}" if self.target else str(self.kind)
        return own if self.camera is None else f"{own}+{self.camera}"


CAMERA_KINDS = frozenset({SourceKind.VIDEO, SourceKind.CAMERA})
# "+" joins a wearable source and a camera source ("ble+camera", "sim+video:set.mp4");
# only a "+" before a source name splits, so a file name may hold one
_JOIN = re.compile(r"\+(?=(?:" + "|".join(k.value for k in SourceKind) + r")(?::|\+|$))",
                   re.IGNORECASE)


def parse_source(text: str) -> SourceSpec:
    """``sim`` | ``ble`` | ``serial:PORT`` | ``video:FILE`` | ``camera[:N]``, or a wearable
    source and a camera source joined by ``+`` (fused: ``ble+camera``). Pure."""
    parts = _JOIN.split(text.strip())
    if len(parts) == 1:
        return _parse_one(parts[0])
    if len(parts) == 2:
        imu, cam = _parse_one(parts[0]), _parse_one(parts[1])
        if not imu.is_camera and cam.is_camera:
            return SourceSpec(imu.kind, imu.target, cam)
    raise SourceSpecError(f"join one wearable source and one camera source, e.g. ble+camera "
                          f"or sim+video:FILE; got {text!r}")


def _parse_one(text: str) -> SourceSpec:
    raw = text.strip()
    head, sep, arg = raw.partition(":")
    try:
        kind = SourceKind(head.lower())
    except ValueError:
        raise SourceSpecError(f"unknown source {text!r}: use {SOURCE_FORMS}") from None
    if kind in (SourceKind.SIM, SourceKind.BLE):
        if sep:
            raise SourceSpecError(f"source {kind} takes no argument, got {text!r}")
        return SourceSpec(kind)
    if kind == SourceKind.CAMERA:
        if not sep:
            return SourceSpec(kind, "0")
        if not (arg.isascii() and arg.isdigit() and int(arg) <= MAX_CAMERA_INDEX):
            raise SourceSpecError(f"camera index must be a number 0..{MAX_CAMERA_INDEX}, "
                                  f"got {arg!r}")
        return SourceSpec(kind, str(int(arg)))
    if not arg.strip() or "\x00" in arg:
        example = "serial:/dev/rehab-imu0" if kind == SourceKind.SERIAL else "video:set.mp4"
        raise SourceSpecError(f"source {kind} needs a {'port' if kind == 'serial' else 'file'}"
                              f", e.g. {example}")
    return SourceSpec(kind, arg)
