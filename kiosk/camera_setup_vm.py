"""View-model of the camera set-up screen (pure: no Kivy, no OpenCV).

Each camera result becomes what the screen shows: the skeleton (bones in image-normalised
coordinates, the exercised joint highlighted), one instruction, and whether the exercise
may start — only once the light and the framing have been right for ``ready_after_s``
without a break, so a patient passing through the right pose for one frame does not start
the set. The light comes first: a room too dark for the pose model finds nobody, and the
patient must hear "turn on a light", not "step into the picture".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from exercises import CATALOGUE
from kiosk.i18n import N_, _
from sensors.camera.angles import JOINTS, MIN_VISIBILITY, CameraJoint
from sensors.camera.framing import (
    FramingCheck,
    FramingProblem,
    View,
    check_framing,
    view_of_plane,
)
from sensors.camera.landmarks import SKELETON, PoseFrame
from sensors.camera.lighting import LightingCheck, LightingMonitor, LightingProblem

READY_AFTER_S = 1.0

MESSAGES: dict[FramingProblem, str] = {
    FramingProblem.NO_PERSON: N_("Step into the picture so the camera can see you."),
    FramingProblem.NOT_IN_FRAME: N_("Move back a little: your whole body must be in the picture."),
    FramingProblem.NOT_SIDE_ON: N_("Turn sideways so the camera sees your {side} side."),
    FramingProblem.NOT_FACING: N_("Turn to face the camera."),
    FramingProblem.TOO_FAR: N_("Come a little closer to the camera."),
}
LIGHT_MESSAGES: dict[LightingProblem, str] = {
    LightingProblem.TOO_DARK: N_("Too dark for the camera. Turn on a light or open the curtains."),
    LightingProblem.BACKLIT: N_("Too much light behind you. Don't stand with a window or a "
                                "lamp behind you."),
    LightingProblem.TOO_BRIGHT: N_("Too bright for the camera. Close the curtains or turn the "
                                   "camera away from the sun."),
}
HOLD_STILL = N_("Good. Stay like this…")
READY = N_("Ready. Press Start.")


def view_for(exercise_id: str | None) -> View:
    """How the camera must see the patient for a catalogue exercise (side-on when unknown)."""
    exercise = CATALOGUE.get(exercise_id) if exercise_id is not None else None
    return view_of_plane(exercise.plane) if exercise else View.SIDE_ON


@dataclass(frozen=True, slots=True)
class Bone:
    """A segment in image-normalised coordinates (x right, y down, 0..1)."""

    x0: float
    y0: float
    x1: float
    y1: float
    highlight: bool  # part of the exercised joint


@dataclass(frozen=True, slots=True)
class SetupView:
    message: str
    ready: bool
    framed: bool  # right now (``ready`` needs it for READY_AFTER_S)
    progress: float  # 0..1 of the wait before ready
    bones: tuple[Bone, ...]
    check: FramingCheck
    lighting: LightingCheck | None = None  # None: no picture given (the light not checked)

    @property
    def problem(self) -> FramingProblem | LightingProblem | None:
        """What the message is about: the light's problem first, then the framing's."""
        if self.lighting is not None and self.lighting.problems:
            return self.lighting.problems[0]
        return self.check.problems[0] if self.check.problems else None


class CameraSetupVM:
    def __init__(self, joint: CameraJoint, exercise_id: str | None = None, *,
                 ready_after_s: float = READY_AFTER_S, ready_message: str = READY) -> None:
        self.joint = joint
        self.view: View = view_for(exercise_id)
        self.ready_after_s = ready_after_s
        self.ready_message = ready_message
        self._ok_since: float | None = None
        side = _("right") if "RIGHT" in joint.name else _("left")
        self._messages: dict[FramingProblem | LightingProblem, str] = {
            k: _(v).format(side=side) for k, v in MESSAGES.items()}
        self._messages.update({k: _(v) for k, v in LIGHT_MESSAGES.items()})
        self.light = LightingMonitor()  # keeps each light problem until the light is clearly good

    def update(self, t_s: float, frame: PoseFrame | None,
               image_bgr: np.ndarray | None = None) -> SetupView:
        """``frame``: the pose found in ``image_bgr`` (the camera's picture; the light is
        checked on it, None: not checked)."""
        framing = check_framing(frame, self.joint, self.view)
        light = self.light.update(image_bgr, frame) if image_bgr is not None else None
        ok = framing.ok and (light is None or light.ok)
        if ok:
            if self._ok_since is None:
                self._ok_since = t_s
            waited = t_s - self._ok_since
        else:
            self._ok_since, waited = None, 0.0
        progress = min(1.0, waited / self.ready_after_s) if self.ready_after_s > 0 else 1.0
        ready = ok and progress >= 1.0
        view = SetupView("", ready, ok, progress, bones(frame, self.joint), framing, light)
        if (problem := view.problem) is not None:
            return replace(view, message=self._messages[problem])
        return replace(view, message=_(self.ready_message) if ready else _(HOLD_STILL))


def bones(frame: PoseFrame | None, joint: CameraJoint,
          min_visibility: float = MIN_VISIBILITY) -> tuple[Bone, ...]:
    """The visible bones of the skeleton; those of ``joint`` highlighted."""
    if frame is None:
        return ()
    spec = JOINTS[joint]
    mine = {(spec.a, spec.b), (spec.b, spec.c)}
    out = []
    for a, b in SKELETON:
        if frame.visible(a, min_visibility) and frame.visible(b, min_visibility):
            (x0, y0), (x1, y1) = frame.point(a), frame.point(b)
            out.append(Bone(x0 / frame.width, y0 / frame.height, x1 / frame.width,
                            y1 / frame.height, (a, b) in mine or (b, a) in mine))
    return tuple(out)
