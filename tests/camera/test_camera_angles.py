"""Joint-angle maths on known geometry, visibility gating and joint names."""

from __future__ import annotations

import numpy as np
import pytest
from tests.helpers.camera_synth import seated_frame

from sensors.camera import CameraError
from sensors.camera.angles import (
    CameraJoint,
    interior_angle_deg,
    joint_angle_deg,
)
from sensors.camera.landmarks import N_LANDMARKS, PoseFrame
from sensors.camera.landmarks import Landmark as L


@pytest.mark.parametrize(
    ("a", "b", "c", "expected"),
    [
        ((0, -100), (0, 0), (100, 0), 90.0),
        ((0, -100), (0, 0), (0, 100), 180.0),
        ((-100, 0), (0, 0), (100, 0), 180.0),
        ((100, 0), (0, 0), (100, 100), 45.0),
        ((100, 0), (0, 0), (100, 1e-3), 0.0),
        ((50, 50 * np.sqrt(3)), (0, 0), (100, 0), 60.0),
    ],
)
def test_interior_angle_known_geometry(a, b, c, expected):
    assert interior_angle_deg(np.array(a), np.array(b), np.array(c)) == pytest.approx(
        expected, abs=1e-3)


def test_interior_angle_of_a_collapsed_segment_is_nan():
    assert np.isnan(interior_angle_deg(np.array([0, 0]), np.array([1, 1]), np.array([50, 0])))


@pytest.mark.parametrize("flex", [0.0, 15.0, 45.0, 90.0, 120.0])
def test_knee_flexion_of_a_drawn_skeleton(flex):
    frame = seated_frame(0.0, flex)
    assert joint_angle_deg(frame, CameraJoint.KNEE_RIGHT) == pytest.approx(flex, abs=1e-6)
    assert joint_angle_deg(frame, CameraJoint.KNEE_LEFT) == pytest.approx(flex, abs=1.0)


def test_hip_elbow_shoulder_conventions():
    frame = seated_frame(0.0, 90.0)
    # Seated: the thigh is at right angles to the upright trunk.
    assert joint_angle_deg(frame, CameraJoint.HIP_RIGHT) == pytest.approx(90.0, abs=1e-6)
    sh, el, wr = (frame.point(L.RIGHT_SHOULDER), frame.point(L.RIGHT_ELBOW),
                  frame.point(L.RIGHT_WRIST))
    upper, fore = el - sh, wr - el
    expected_elbow = np.degrees(np.arccos(upper @ fore / np.hypot(*upper) / np.hypot(*fore)))
    assert joint_angle_deg(frame, CameraJoint.ELBOW_RIGHT) == pytest.approx(expected_elbow)
    expected_shoulder = np.degrees(np.arctan2(20.0, 80.0))  # arm 20 px forward per 80 down
    assert joint_angle_deg(frame, CameraJoint.SHOULDER_RIGHT) == pytest.approx(
        expected_shoulder, abs=1e-6)


def test_normalised_coordinates_are_scaled_per_axis():
    # 45° in pixels on a 640x480 image is not 45° in normalised (0..1) coordinates.
    xyv = np.zeros((N_LANDMARKS, 3))
    xyv[:, 2] = 1.0
    xyv[L.RIGHT_HIP] = (0.25, 0.25, 1.0)
    xyv[L.RIGHT_KNEE] = (0.5, 0.25, 1.0)  # thigh: +160 px in x
    xyv[L.RIGHT_ANKLE] = (0.75, 0.25 + 160 / 480, 1.0)  # shank: +160 px x, +160 px y
    frame = PoseFrame.from_normalized(1.0, xyv, 640, 480)
    assert frame.xy_px[L.RIGHT_KNEE] == pytest.approx([320.0, 120.0])
    assert joint_angle_deg(frame, CameraJoint.KNEE_RIGHT) == pytest.approx(45.0, abs=1e-6)


def test_a_hidden_landmark_gives_nan():
    frame = seated_frame(0.0, 40.0)
    vis = frame.visibility.copy()
    vis[L.RIGHT_ANKLE] = 0.3
    hidden = PoseFrame(0.0, frame.xy_px, vis, 640, 480)
    assert np.isnan(joint_angle_deg(hidden, CameraJoint.KNEE_RIGHT))
    assert joint_angle_deg(hidden, CameraJoint.KNEE_RIGHT, min_visibility=0.2) == pytest.approx(
        40.0)
    assert joint_angle_deg(hidden, CameraJoint.KNEE_LEFT) == pytest.approx(40.0, abs=1.0)


def test_joint_names():
    assert CameraJoint.parse("knee_right") is CameraJoint.KNEE_RIGHT
    assert CameraJoint.parse("Elbow-Left") is CameraJoint.ELBOW_LEFT
    assert CameraJoint.of("shoulder", "right") is CameraJoint.SHOULDER_RIGHT
    with pytest.raises(CameraError, match="known: knee_left"):
        CameraJoint.parse("ankle_right")
