"""MediaPipe's full model on photos of real people: landmarks found, joint angles within
a tolerance of angles marked by hand on the same photos.

Reference angles were read by hand from the photos at 3-4x zoom with a 10 px grid
(/tmp crops, not kept): joint centres to about ±6 px where the joint is visible, ±10 px
where clothing hides it (a hip under shorts, a shoulder in a dark shirt). On the 45-80 px
limb segments of these photos that is ±8-15° of angle by itself, so each tolerance below is
the hand-marking uncertainty of that joint; MediaPipe's own error on clear, unoccluded
limbs is smaller (a few px). The comparisons that do not depend on the marks (a straight
leg against a bent one) are asserted with a wide margin.
"""

from __future__ import annotations

import pytest
from tests.helpers.camera_photos import photo

from sensors.camera.angles import CameraJoint, joint_angle_deg
from sensors.camera.landmarks import Landmark as L

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def estimator():
    from sensors.camera.pose import MediaPipePose

    with MediaPipePose(video=False) as pose:
        yield pose


def test_standing_man_with_bent_elbows(estimator):
    frame = estimator.estimate(photo("basketball1.png"), 0.0)
    assert frame is not None, "no person found in basketball1.png"
    assert (frame.width, frame.height) == (640, 480)
    for lm in (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_HIP, L.RIGHT_KNEE,
               L.RIGHT_ANKLE, L.LEFT_KNEE, L.LEFT_ANKLE):
        assert frame.visible(lm, 0.8), lm
    # The man stands on the left of the picture (x < 200 px), head above the feet.
    assert frame.xy_px[[L.RIGHT_HIP, L.LEFT_HIP], 0].max() < 200
    assert frame.point(L.NOSE)[1] < frame.point(L.RIGHT_ANKLE)[1] - 250
    # Hand-marked: shoulder (55,160) elbow (80,205) wrist (128,160) -> flexion 104°;
    # the shoulder is in a dark shirt (±10 px on a 51 px upper arm): tolerance 15°.
    assert joint_angle_deg(frame, CameraJoint.ELBOW_RIGHT) == pytest.approx(104.0, abs=15.0)
    # Standing: both knees nearly straight (hand-marked < 10°; hip under the shirt hem).
    assert joint_angle_deg(frame, CameraJoint.KNEE_RIGHT) < 20.0
    assert joint_angle_deg(frame, CameraJoint.KNEE_LEFT) < 20.0


def test_kicking_footballer_one_knee_straight_one_bent(estimator):
    frame = estimator.estimate(photo("messi5.jpg"), 0.0)
    assert frame is not None, "no person found in messi5.jpg"
    assert (frame.width, frame.height) == (548, 342)
    left = joint_angle_deg(frame, CameraJoint.KNEE_LEFT)  # kicking leg, on the right
    right = joint_angle_deg(frame, CameraJoint.KNEE_RIGHT)  # kneeling leg
    # Hand-marked: hip (290,225) knee (345,248) ankle (425,262) -> 13°; segments 60-80 px,
    # hip under the shorts (±10 px): tolerance 12°.
    assert left == pytest.approx(13.0, abs=12.0)
    # Hand-marked: hip (255,245) knee (230,282) ankle (285,318) -> 91°; the hip is hidden
    # and the thigh only ~45 px long in the image: tolerance 15°.
    assert right == pytest.approx(91.0, abs=15.0)
    assert right - left > 50.0


def test_video_mode_tracks_across_frames(estimator):
    from sensors.camera.pose import MediaPipePose

    a, b = photo("basketball1.png"), photo("basketball2.png")
    with MediaPipePose(video=True) as tracker:
        frames = [tracker.estimate(img, k / 30) for k, img in enumerate((a, b, a, b))]
    assert all(f is not None for f in frames)
    angles = [joint_angle_deg(f, CameraJoint.ELBOW_RIGHT) for f in frames]
    assert [f.t_s for f in frames] == [0.0, 1 / 30, 2 / 30, 3 / 30]
    # The two photos are 1/30 s apart in one throw: the angle barely changes.
    assert max(angles) - min(angles) < 10.0


def test_framing_check_on_real_photos(estimator):
    from sensors.camera.framing import FramingProblem, check_framing

    full = estimator.estimate(photo("basketball1.png"), 0.0)
    check = check_framing(full, CameraJoint.KNEE_RIGHT)
    # Whole body in the picture and near enough, but turned three-quarters to the camera.
    assert check.problems == (FramingProblem.NOT_SIDE_ON,)
    assert 0.3 < check.spread_ratio < 0.6
    cropped = estimator.estimate(photo("basketball1.png")[:330].copy(), 0.0)  # feet cut off
    check = check_framing(cropped, CameraJoint.KNEE_RIGHT)
    assert FramingProblem.NOT_IN_FRAME in check.problems
    assert L.RIGHT_ANKLE in check.missing
