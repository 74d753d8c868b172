"""The camera set-up's lighting check on a real photo (OpenCV's basketball1.png) made dark,
backlit and washed out, with the pose the real model finds in each picture and with nobody
found; its hysteresis; and the set-up's view-model saying the light's problem first and
keeping Start disabled."""

from __future__ import annotations

import numpy as np
import pytest
from tests.helpers.camera_photos import photo
from tests.helpers.camera_synth import seated_frame
from tests.helpers.lit_photos import backlit, darkened, scaled, washed_out

from kiosk.camera_setup_vm import HOLD_STILL, LIGHT_MESSAGES, READY, CameraSetupVM
from sensors.camera.angles import CameraJoint
from sensors.camera.framing import FramingProblem
from sensors.camera.lighting import (DARK_ENTER_LUMA, DARK_LEAVE_LUMA, LightingMonitor,
                                     LightingProblem, LightLevels, check_lighting, classify,
                                     luma)

pytestmark = pytest.mark.timeout(120)
DARK, BACK, BRIGHT = LightingProblem.TOO_DARK, LightingProblem.BACKLIT, LightingProblem.TOO_BRIGHT


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return photo("basketball1.png")


@pytest.fixture(scope="module")
def estimator():
    from sensors.camera.pose import MediaPipePose

    with MediaPipePose(video=False) as pose:
        yield pose


def test_the_ordinary_photo_passes_with_and_without_its_person(image, estimator):
    frame = estimator.estimate(image, 0.0)
    assert frame is not None
    check = check_lighting(image, frame)
    assert check.ok, check
    assert 100 < check.levels.mean_luma < 140
    # His dark shirt before the light wall: the person is under half the background's
    # luma, yet nothing in view is a light source (little clipped): not backlit.
    assert check.levels.backlight_ratio < 0.5 and check.levels.background_clipped < 0.05
    assert check_lighting(image, None).ok


def test_a_dark_room_is_too_dark_whether_or_not_a_person_is_found(image, estimator):
    dark = darkened(image, 0.25)
    assert check_lighting(dark, None).problems == (DARK,)
    frame = estimator.estimate(dark, 0.0)
    assert check_lighting(dark, frame).problems == (DARK,)
    assert check_lighting(darkened(image, 0.1), None).problems == (DARK,)


def test_a_window_behind_the_patient_is_backlit(image, estimator):
    bl = backlit(image)
    frame = estimator.estimate(bl, 0.0)
    assert frame is not None, "the model still finds the man before the window"
    check = check_lighting(bl, frame)
    assert check.problems == (BACK,), check
    assert check.levels.backlight_ratio < 0.3 and check.levels.mean_luma > DARK_LEAVE_LUMA
    # Nobody found: the middle third of the picture stands for the patient; moved there,
    # the man before the window is still the backlit case.
    centred = np.roll(bl, 200, axis=1)
    assert check_lighting(centred, None).problems == (BACK,)


def test_a_pose_found_on_a_larger_picture_is_scaled_to_this_one(image, estimator):
    """A preview may be smaller than the picture the model ran on: the landmarks are scaled."""
    import cv2

    bl = backlit(image)
    frame = estimator.estimate(bl, 0.0)
    small = cv2.resize(bl, (320, 240), interpolation=cv2.INTER_AREA)
    assert check_lighting(small, frame).levels.person_luma == pytest.approx(
        check_lighting(bl, frame).levels.person_luma, abs=3)
    assert check_lighting(small, frame).problems == (BACK,)


def test_a_washed_out_picture_is_too_bright(image):
    check = check_lighting(washed_out(image), None)
    assert BRIGHT in check.problems and check.levels.clipped > 0.5
    assert DARK not in check.problems


def test_hysteresis_keeps_a_problem_until_the_light_is_clearly_better(image):
    """Gains that put the picture's mean luma just under the enter level, between the two
    levels, and above the leave level."""
    mean = float(luma(image).mean())
    under, between, above = (scaled(image, lvl / mean)
                             for lvl in (DARK_ENTER_LUMA - 3, (DARK_ENTER_LUMA + DARK_LEAVE_LUMA) / 2,
                                         DARK_LEAVE_LUMA + 3))
    monitor = LightingMonitor()
    assert monitor.update(between).ok  # not dark yet: between the levels is fine
    assert monitor.update(under).problems == (DARK,)
    assert monitor.update(between).problems == (DARK,)  # held: no flicker at the edge
    assert monitor.update(under).problems == (DARK,)
    assert monitor.update(above).ok
    assert monitor.update(between).ok
    assert monitor.check_ is not None and monitor.check_.ok
    centred = np.roll(backlit(image), 200, axis=1)
    assert monitor.update(centred).problems == (BACK,)
    assert monitor.update(np.roll(image, 200, axis=1)).ok


def test_backlight_hysteresis_on_levels():
    """Backlit starts under 0.4x the background's luma with >= 10 % of it clipped, and ends
    only above 0.5x or under 5 % clipped."""
    def levels(ratio: float, window: float) -> LightLevels:
        return LightLevels(100.0, 200.0 * ratio, 200.0, window, window / 2)

    assert classify(levels(0.45, 0.2)) == ()
    assert classify(levels(0.35, 0.08)) == ()  # a little clipped is no window
    assert classify(levels(0.35, 0.2)) == (BACK,)
    assert classify(levels(0.45, 0.2), frozenset({BACK})) == (BACK,)
    assert classify(levels(0.35, 0.08), frozenset({BACK})) == (BACK,)
    assert classify(levels(0.55, 0.2), frozenset({BACK})) == ()
    assert classify(levels(0.35, 0.04), frozenset({BACK})) == ()
    assert classify(LightLevels(0.0, 0.0, 0.0, 0.0, 0.0)) == (DARK,)  # black: no division


def test_a_grey_image_is_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="BGR image"):
        check_lighting(np.zeros((48, 64), np.uint8))


def test_setup_says_the_light_before_the_framing_and_blocks_start(image):
    """A dark room finds nobody: the patient reads "too dark", not "step into the picture";
    Start waits for the light and then for the usual second of good framing."""
    vm = CameraSetupVM(CameraJoint.KNEE_RIGHT, "knee_extension_seated", ready_after_s=1.0)
    dark = darkened(image, 0.25)
    v = vm.update(0.0, None, dark)
    assert v.problem is DARK and not v.ready and not v.framed
    assert v.message == LIGHT_MESSAGES[DARK] and "Step into" not in v.message
    assert "Turn on a light" in v.message
    v = vm.update(0.5, seated_frame(0.5, 90), dark)  # in place, still too dark
    assert v.problem is DARK and v.check.ok and not v.framed and v.progress == 0.0
    v = vm.update(1.0, seated_frame(1.0, 90), image)  # the light on
    assert v.framed and v.message == HOLD_STILL and v.lighting is not None and v.lighting.ok
    v = vm.update(2.0, seated_frame(2.0, 90), image)
    assert v.ready and v.message == READY
    # A window behind the patient: the model finds nobody; the light's message, not the
    # framing's (the man moved to the middle of the picture, where the patient stands).
    v = vm.update(2.1, None, np.roll(backlit(image), 200, axis=1))
    assert v.problem is BACK and not v.ready and "window" in v.message
    assert v.check.problems == (FramingProblem.NO_PERSON,)
    v = vm.update(2.2, None, image)  # light fine, nobody: the framing's message again
    assert v.problem is FramingProblem.NO_PERSON and "Step into" in v.message


def test_every_light_problem_has_a_message():
    assert set(LIGHT_MESSAGES) == set(LightingProblem)
