"""The demonstration figure: one rep of every exercise, posed from the simulator's angle
course and axes, a whole body that stays on its chair, bed or floor."""

from __future__ import annotations

import numpy as np
import pytest

from exercises import CATALOGUE, Position
from sensors.sim import SimError
from sensors.sim.figure import Tone, demo, posed, prop_boxes, rep_angles
from sensors.sim.figure_body import BY_NAME
from sensors.sim.figure_moves import SPECS
from sensors.sim.geometry import GEOMETRY
from sensors.sim.rotations import twist_angle

FPS = 10.0


def top_angle(exercise_id: str) -> float:
    return float(rep_angles(exercise_id, FPS).max())


def lowest_body_z(pose) -> float:
    return min(min(a[2], b[2]) for k, (a, b) in pose.items() if k != "pelvis")


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_one_rep_at_the_catalogue_rom_and_tempo(exercise_id: str) -> None:
    e = CATALOGUE[exercise_id]
    d = demo(exercise_id, FPS)
    assert len(d.frames) == len(d.angles_deg) >= (e.up_s + e.hold_s + e.down_s) * FPS
    assert d.angles_deg[0] == 0.0 and d.angles_deg[-1] == pytest.approx(0.0, abs=0.5)
    assert d.angles_deg.max() == pytest.approx(e.target_rom_deg, rel=1e-3)
    at_top = np.sum(d.angles_deg > e.target_rom_deg - 0.01)
    assert at_top == pytest.approx(e.hold_s * FPS, abs=2)
    kinds = {s.kind for s in d.frames[0]}
    assert kinds == {"capsule", "circle", "polygon"}  # limbs, head, torso and furniture
    assert any(s.tone == Tone.MOVING for s in d.frames[0])
    x0, y0, x1, y1 = d.bounds
    assert x1 > x0 and y1 > y0


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_the_moving_segment_turns_about_the_simulators_axis(exercise_id: str) -> None:
    """The figure's moving segment turns by the exercise angle about the simulator's own
    ``move_axis`` relative to its parent segment (the joint angle the simulator's two
    wearables measure; the axis the IMU's gyro sees)."""
    spec = SPECS[exercise_id]
    seg = spec.moving[0]
    rest, top = posed(exercise_id, 0.0), posed(exercise_id, top_angle(exercise_id))
    axis = np.asarray(GEOMETRY[exercise_id].move_axis, float)
    axis /= np.linalg.norm(axis)

    def line(pose, name, shoulders_if_along_axis=True):
        a, b = pose[name]
        if shoulders_if_along_axis and abs((b - a) @ axis) > 0.99 * np.linalg.norm(b - a):
            a, b = pose["r_upper_arm"][0], pose["l_upper_arm"][0]  # turning about its length
        return (b - a) / np.linalg.norm(b - a)

    def turned(name, **kw):
        if BY_NAME[name].length_m == 0.0:
            return 0.0
        u, v = line(rest, name, **kw), line(top, name, **kw)
        # the turn in the plane across the axis, signed by the axis (right-hand rule)
        pu, pv = u - (u @ axis) * axis, v - (v @ axis) * axis
        return np.degrees(np.arctan2(np.cross(pu, pv) @ axis, pu @ pv))

    relative = turned(seg) - turned(BY_NAME[seg].parent, shoulders_if_along_axis=False)
    rom = CATALOGUE[exercise_id].target_rom_deg
    if seg in {f.segment for f in spec.follow}:  # it moves with the body too (a squat)
        assert relative > 0.25 * rom
    else:
        assert relative == pytest.approx(rom, abs=1.0)


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_the_body_stays_on_its_support_through_the_rep(exercise_id: str) -> None:
    """No frame puts a limb through the floor or the bed, the anchor stays put, and
    seated patients stay on the chair (except standing up from it)."""
    spec = SPECS[exercise_id]
    boxes = prop_boxes(exercise_id)
    lying = CATALOGUE[exercise_id].position in (Position.SUPINE, Position.PRONE,
                                                Position.SIDE_LYING)
    # the bed is the first box of a lying exercise; everyone else stands on the floor
    support_top = float(boxes[0][0][:, 2].max()) if lying else max(
        float(b[:, 2].max()) for b, tone in boxes if tone == Tone.FLOOR)
    name, _, end = spec.anchor.partition(":")
    rest = posed(exercise_id, 0.0)
    for a in rep_angles(exercise_id, FPS)[::3]:
        pose = posed(exercise_id, float(a))
        assert lowest_body_z(pose) > support_top - 0.02, (a, lowest_body_z(pose), support_top)
        k = 1 if end == "end" else 0
        np.testing.assert_allclose(pose[name][k], rest[name][k], atol=1e-9)
        if CATALOGUE[exercise_id].position == Position.SEATED and exercise_id != "sit_to_stand":
            np.testing.assert_allclose(pose["pelvis"][0], rest["pelvis"][0], atol=1e-9)


def test_what_the_instructions_promise_the_figure_keeps() -> None:
    top = {i: posed(i, top_angle(i)) for i in ("heel_slide", "bridge", "clamshell",
                                               "sit_to_stand", "mini_squat")}
    rest = {i: posed(i, 0.0) for i in top}
    # heel slide: the heel stays on the bed; bridge: the shoulders stay down, hips rise
    assert abs(top["heel_slide"]["r_foot"][0][2] - rest["heel_slide"]["r_foot"][0][2]) < 0.03
    assert abs(top["bridge"]["trunk"][1][2] - rest["bridge"]["trunk"][1][2]) < 0.03
    assert top["bridge"]["pelvis"][0][2] - rest["bridge"]["pelvis"][0][2] > 0.15
    # clamshell: the feet stay together while the top knee lifts
    feet = np.linalg.norm(top["clamshell"]["r_foot"][0] - top["clamshell"]["l_foot"][0])
    assert feet < 0.25 and top["clamshell"]["r_thigh"][1][2] - \
        rest["clamshell"]["r_thigh"][1][2] > 0.15
    # standing up ends upright over the feet; a squat keeps the heels down
    assert top["sit_to_stand"]["pelvis"][0][2] - rest["sit_to_stand"]["pelvis"][0][2] > 0.3
    foot = top["mini_squat"]["r_foot"]
    assert abs(foot[0][2] - foot[1][2]) < 0.01


def test_an_exercise_without_a_figure_is_a_clear_error() -> None:
    with pytest.raises(SimError, match="unknown exercise 'moonwalk'"):
        demo("moonwalk")
    assert set(SPECS) == set(CATALOGUE)


def test_twist_helper_agrees_on_a_simple_turn() -> None:
    """(Self-check of the angle measure used above against the simulator's own helper.)"""
    rot = posed("elbow_flexion", 40.0)
    f = rot["r_forearm"][1] - rot["r_forearm"][0]
    f /= np.linalg.norm(f)
    assert np.degrees(np.arccos(-f[2])) == pytest.approx(40.0, abs=1e-6)
    assert twist_angle(np.eye(3)[None], (0, 1, 0))[0] == 0.0


def test_the_demonstration_follows_the_plans_prescription() -> None:
    """The kiosk shows the plan's numbers, not the catalogue's, when a therapist set them."""
    from sensors.sim.figure import Prescription

    base = demo("knee_extension_seated", FPS)
    rx = demo("knee_extension_seated", FPS, Prescription(rom_deg=40.0, up_s=3.0, hold_s=1.0))
    assert rx.angles_deg.max() == pytest.approx(40.0, rel=1e-3)
    e = CATALOGUE["knee_extension_seated"]
    assert len(rx.frames) - len(base.frames) == pytest.approx(
        (3.0 - e.up_s + 1.0 - e.hold_s) * FPS, abs=1)
    silly = demo("knee_extension_seated", FPS, Prescription(rom_deg=1e6, up_s=-1.0))
    assert silly.angles_deg.max() <= 180.0 and len(silly.frames) > 0


# The figure's joints as the camera's pose landmarks (sensors.camera.landmarks).
LANDMARKS = {  # landmark name: (segment, 0 = its start / 1 = its end)
    "SHOULDER": ("upper_arm", 0), "ELBOW": ("upper_arm", 1), "WRIST": ("forearm", 1),
    "HIP": ("thigh", 0), "KNEE": ("thigh", 1), "ANKLE": ("shank", 1),
}


def camera_angle(exercise_id: str, angle_deg: float) -> float:
    """The exercise's camera joint angle measured on the figure seen from the catalogue's
    camera view, as sensors.camera measures it on pose landmarks."""
    from sensors.camera.angles import CameraJoint, joint_angle_deg
    from sensors.camera.landmarks import Landmark, PoseFrame
    from sensors.sim.figure import View

    e = CATALOGUE[exercise_id]
    view = View(-90.0, 0.0) if e.camera_view == "side" else View(0.0, 0.0)
    pose = posed(exercise_id, angle_deg)
    xy = np.zeros((33, 2))
    for side, prefix in (("RIGHT", "r_"), ("LEFT", "l_")):
        for name, (seg, end) in LANDMARKS.items():
            p = view.xy(pose[prefix + seg][end][None, :])[0]
            xy[int(Landmark[f"{side}_{name}"])] = (320 + 300 * p[0], 400 - 300 * p[1])
    frame = PoseFrame(0.0, xy, np.ones(33), 640, 480)
    return joint_angle_deg(frame, CameraJoint.of(str(e.camera_joint), "right"))


@pytest.mark.parametrize("exercise_id", sorted(i for i, e in CATALOGUE.items()
                                               if e.camera_view is not None))
def test_a_camera_exercise_moves_its_camera_joint_by_the_rom_in_the_right_sense(
        exercise_id: str) -> None:
    """Where the catalogue offers a camera, the camera's joint angle seen from its view
    changes by the target ROM, and ``extends`` gives its sense (the rep detector's sign)."""
    e = CATALOGUE[exercise_id]
    change = camera_angle(exercise_id, e.target_rom_deg) - camera_angle(exercise_id, 0.0)
    assert e.movement_sign * change == pytest.approx(e.target_rom_deg, abs=3.0)
