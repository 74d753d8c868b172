"""One catalogue exercise as a value: :class:`Exercise` and its :class:`Position` (pure).

What the fields mean is described in :mod:`exercises.catalogue`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from exercises.body import BodySegment, CameraView, Joint, Plane


def N_(text: str) -> str:
    """Marks a patient-facing catalogue text (name, instructions) for the kiosk's
    translation catalogue (``pybabel extract -k N_``, kiosk/locale/README.md): returns
    ``text`` unchanged. The stored text stays English (plans and the clinic use it); the
    kiosk translates it where it is drawn or spoken."""
    return text


# Joints whose angle a camera measures from three pose landmarks (sensors.camera.angles).
CAMERA_JOINTS = frozenset({Joint.KNEE, Joint.HIP, Joint.ELBOW, Joint.SHOULDER})


class Position(StrEnum):
    """The starting position the patient takes (the kiosk tells it; the figure shows it)."""

    STANDING = "standing"
    SEATED = "seated"
    SUPINE = "supine"  # lying on the back
    PRONE = "prone"  # lying on the stomach
    SIDE_LYING = "side_lying"


@dataclass(frozen=True, slots=True)
class Exercise:
    id: str
    name: str
    instructions: str
    joint: Joint
    distal: BodySegment
    proximal: BodySegment
    target_rom_deg: float
    hold_s: float
    up_s: float
    down_s: float
    rest_s: float
    reps: int = 10
    sets: int = 2
    lifts: bool = True
    extends: bool = False
    plane: Plane = Plane.SAGITTAL
    position: Position = Position.SEATED
    second_sensor: bool = True  # a wearable on ``proximal`` too measures the joint angle
    camera_view: CameraView | None = None

    @property
    def movement_sign(self) -> float:
        """+1 or -1: multiply the joint's anatomical angle by this to make the asked-for
        movement positive."""
        return -1.0 if self.extends else 1.0

    @property
    def placements(self) -> tuple[BodySegment, ...]:
        """Where wearables go: the measuring segment, then the reference segment when a
        second wearable measures the joint angle."""
        return (self.distal, self.proximal) if self.second_sensor else (self.distal,)

    @property
    def camera_joint(self) -> Joint | None:
        """The joint a camera measures for this exercise, or None if no camera can."""
        return self.joint if self.camera_view is not None else None

    @property
    def tempo_s(self) -> float:
        """One rep's up + down time (the prescribed tempo)."""
        return self.up_s + self.down_s

    def to_json(self) -> dict[str, object]:
        """The entry as plain JSON values (the clinic's plan editor lists these)."""
        return {
            "id": self.id, "name": self.name, "instructions": self.instructions,
            "joint": str(self.joint), "plane": str(self.plane), "position": str(self.position),
            "placements": [str(s) for s in self.placements],
            "camera": ({"joint": str(self.joint), "view": str(self.camera_view)}
                       if self.camera_view is not None else None),
            "defaults": {"target_rom_deg": self.target_rom_deg, "hold_s": self.hold_s,
                         "up_s": self.up_s, "down_s": self.down_s, "rest_s": self.rest_s,
                         "sets": self.sets, "reps": self.reps},
        }

    def spoken_text(self) -> str:
        """What the kiosk reads aloud: the name, then the instructions."""
        return f"{self.name}. {self.instructions}"
