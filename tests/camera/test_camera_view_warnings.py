"""``sensors.camera.stream.view_warnings``: what a camera recording's frames say about how the
camera saw the patient (the session's and the replay's ``warnings``), from synthetic pose
frames with known problems; each problem reported once it holds for ``WARN_SHARE`` of the
frames, side-on or facing judged only when the exercise's view is known."""

from __future__ import annotations

from sensors.camera.angles import CameraJoint
from sensors.camera.framing import View, view_of_plane
from sensors.camera.landmarks import PoseFrame
from sensors.camera.stream import WARN_SHARE, CameraAngleStream, view_warnings
from tests.helpers.camera_synth import seated_frame


def far(t_s: float) -> PoseFrame:
    """The seated patient five times further away: a small figure in a big picture."""
    f = seated_frame(t_s, 90.0)
    return PoseFrame(t_s, f.xy_px, f.visibility, f.width * 5, f.height * 5)


def feed(stream: CameraAngleStream, frames: list[PoseFrame | None]) -> list[str]:
    for i, f in enumerate(frames):
        stream.angle(i / 15, f)
    return view_warnings(stream)


def test_a_well_framed_recording_has_no_warning() -> None:
    s = CameraAngleStream(CameraJoint.KNEE_RIGHT, view=View.SIDE_ON)
    assert feed(s, [seated_frame(i / 15, 90.0 - i) for i in range(60)]) == []
    assert view_warnings(None) == [] and view_warnings(CameraAngleStream(
        CameraJoint.KNEE_RIGHT)) == []  # no stream, no frame: nothing to say


def test_each_problem_is_reported_with_its_share() -> None:
    s = CameraAngleStream(CameraJoint.KNEE_RIGHT, view=View.SIDE_ON)
    good = [seated_frame(0.0, 90.0)] * 50
    got = feed(s, good + [None] * 20 + [far(0.0)] * 30)
    assert got == [
        "camera: in 20% of 100 frames the right knee was out of view (nobody found in 20): "
        "reps there are not counted",
        "camera: in 30% of 100 frames the person was too far from the camera (the trunk "
        "under 15 % of the picture's height): angles are less sure"]
    s = CameraAngleStream(CameraJoint.KNEE_RIGHT, view=View.SIDE_ON)
    got = feed(s, good + [seated_frame(0.0, 90.0, frontal=True)] * 50)
    assert got == ["camera: in 50% of 100 frames the person was not side-on to the camera: "
                   "the exercise's angle is measured in the picture's plane"]


def test_under_the_share_or_without_a_view_nothing_about_it() -> None:
    n_bad = int(WARN_SHARE * 100) - 1
    s = CameraAngleStream(CameraJoint.KNEE_RIGHT, view=View.SIDE_ON)
    assert feed(s, [seated_frame(0.0, 90.0)] * (100 - n_bad) + [None] * n_bad) == []
    s = CameraAngleStream(CameraJoint.KNEE_RIGHT)  # no exercise given: the view is unknown
    assert feed(s, [seated_frame(0.0, 90.0, frontal=True)] * 10) == []


def test_the_view_of_an_exercise_s_plane() -> None:
    assert view_of_plane("sagittal") is View.SIDE_ON
    assert view_of_plane("frontal") is View.FACING
    assert view_of_plane("transverse") is View.SIDE_ON  # no camera view: side-on
