"""The live set's out-of-view banner (``LiveSetVM.on_camera_view``) and what it is fed
(``CameraAngleStream.unseen_s_``), without a kiosk: every camera joint named as a patient
says it, in English and Spanish; said once, not again within ``CAMERA_SAY_EVERY_S``; the
stream's out-of-view time from its frames. The kiosk's own camera set:
``test_kiosk_camera_out_of_view.py``."""

from __future__ import annotations

import math

import pytest

from kiosk import i18n
from kiosk.vm.live import CAMERA_JOINTS, CAMERA_SAY_EVERY_S, LiveSetVM
from sensors.camera.angles import CameraJoint
from sensors.camera.stream import CameraAngleStream
from tests.helpers.camera_synth import seated_frame
from therapy.plan import exercise_from_catalogue


def live() -> LiveSetVM:
    return LiveSetVM(exercise_from_catalogue("knee_extension_seated"))


def test_every_camera_joint_has_its_patient_name() -> None:
    assert set(CAMERA_JOINTS) == {j.value for j in CameraJoint}
    for joint in CameraJoint:
        vm = live()
        vm.on_camera_view(str(joint), True, 0.0)
        side, part = joint.value.split("_")[1], joint.value.split("_")[0]
        assert vm.lost_banner == f"Camera can't see your {side} {part} — move into view"


@pytest.mark.parametrize(("joint", "text"), [
    ("knee_right", "La cámara no ve su rodilla derecha: colóquese a la vista"),
    ("elbow_left", "La cámara no ve su codo izquierdo: colóquese a la vista"),
    ("shoulder_right", "La cámara no ve su hombro derecho: colóquese a la vista"),
])
def test_the_banner_in_spanish(joint: str, text: str) -> None:
    i18n.set_language("es")
    vm = live()
    vm.on_camera_view(joint, True, 0.0)
    assert vm.lost_banner == text and vm.speech == [text]


def test_said_once_shown_while_out_and_said_again_only_after_a_while() -> None:
    vm = live()
    banner = "Camera can't see your right knee — move into view"
    vm.on_camera_view("knee_right", True, 10.0)
    vm.on_camera_view("knee_right", True, 10.5)
    assert vm.lost_banner == banner and vm.pop_speech() == [banner]
    vm.on_camera_view("knee_right", False, 11.0)  # back in view
    assert vm.lost_banner == ""
    vm.on_camera_view("knee_right", True, 12.0)  # out again soon: shown, not said
    assert vm.lost_banner == banner and vm.pop_speech() == []
    vm.on_camera_view("knee_right", False, 13.0)
    vm.on_camera_view("knee_right", True, 10.0 + CAMERA_SAY_EVERY_S)  # a while later: said
    assert vm.pop_speech() == [banner]


def test_a_wearable_s_banner_and_the_camera_s_show_together() -> None:
    vm = live()
    vm.on_link("thigh", "lost")
    vm.on_camera_view("knee_right", True, 0.0)
    assert vm.lost_banner == ("Thigh sensor lost — bring it closer   "
                              "Camera can't see your right knee — move into view")
    vm.on_camera_view("knee_right", False, 1.0)
    assert vm.lost_banner == "Thigh sensor lost — bring it closer"


def test_the_stream_s_out_of_view_time_follows_its_frames() -> None:
    s = CameraAngleStream(CameraJoint.KNEE_RIGHT)
    assert s.unseen_s_ == 0.0  # no frame yet
    s.angle(0.0, None)
    s.angle(0.5, None)
    assert s.unseen_s_ == pytest.approx(0.5)  # nobody from the first frame on
    s.angle(1.0, seated_frame(1.0, 90.0))
    assert s.unseen_s_ == 0.0 and math.isfinite(s.angle(1.1, seated_frame(1.1, 80.0)))
    s.angle(1.5, None)
    s.angle(2.9, seated_frame(2.9, 90.0, visibility=0.1))  # the joint's points not seen
    assert s.unseen_s_ == pytest.approx(1.8)
    s.angle(3.0, seated_frame(3.0, 90.0))
    assert s.unseen_s_ == 0.0
    assert (s.frames_, s.unseen_) == (7, 4)
