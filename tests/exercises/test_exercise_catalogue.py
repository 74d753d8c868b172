"""The exercise library: stable ids, every joint covered, plain instructions, sane defaults,
placements the kiosk can pair, camera use only where a camera measures the joint."""

from __future__ import annotations

import re

import pytest

from exercises import CATALOGUE, BodySegment, CameraView, Joint, Plane, get_exercise
from kiosk.camera_setup_vm import view_for
from sensors.camera.angles import CameraJoint
from sensors.camera.framing import View
from sensors.sim.geometry import GEOMETRY
from therapy import plan as plan_limits
from therapy.fhir import JOINT_SITE
from therapy.plan import parse_plan

# Clinics' plans name these ids: an id is never renamed or removed (append new ones).
STABLE_IDS = (
    "ankle_dorsiflexion_seated", "bridge", "clamshell", "elbow_extension_overhead",
    "elbow_flexion", "hamstring_curl_standing", "heel_raise_standing", "heel_slide",
    "hip_abduction_side_lying", "hip_extension_prone", "hip_flexion_standing",
    "knee_extension_seated", "mini_squat", "scaption", "shoulder_abduction_standing",
    "shoulder_extension_standing", "shoulder_external_rotation", "shoulder_flexion_standing",
    "sit_to_stand", "straight_leg_raise", "terminal_knee_extension", "trunk_flexion_seated",
    "trunk_rotation_seated", "trunk_side_bend_standing",
)
MAX_WORDS_PER_SENTENCE = 20


def test_the_ids_are_pinned_snake_case_and_at_least_twenty() -> None:
    assert sorted(CATALOGUE) == sorted(STABLE_IDS)
    assert len(CATALOGUE) >= 20
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", i) for i in CATALOGUE)
    assert all(e.id == key for key, e in CATALOGUE.items())


def test_every_joint_of_the_library_has_exercises() -> None:
    by_joint = {j: [e.id for e in CATALOGUE.values() if e.joint == j] for j in Joint}
    assert {j for j, ids in by_joint.items() if not ids} == set()
    assert all(len(ids) >= 2 for ids in by_joint.values()), by_joint


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_instructions_are_short_plain_sentences_saying_what_to_do_and_avoid(
        exercise_id: str) -> None:
    text = CATALOGUE[exercise_id].instructions
    sentences = [s for s in re.split(r"(?<=\.)\s+", text) if s]
    assert 3 <= len(sentences) <= 6, sentences
    assert all(s.endswith(".") and s[0].isupper() for s in sentences)
    long = [s for s in sentences if len(s.split()) > MAX_WORDS_PER_SENTENCE]
    assert long == []
    # what to avoid or keep: a patient is told the usual mistake
    assert re.search(r"\b(Do not|Keep|Stop if|Use your)\b", text), text
    assert not re.search(r"\d+ ?(°|degrees)", text)  # no numbers of degrees for patients


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_defaults_are_a_valid_prescription(exercise_id: str) -> None:
    """The catalogue's defaults pass the plan validator as they are (what the clinic's
    plan editor starts from), with the wearables the exercise places."""
    e = CATALOGUE[exercise_id]
    plan = parse_plan({
        "plan_id": "p1", "version": 1, "valid_from": "2026-01-01T00:00:00Z",
        "valid_until": "2026-12-31T00:00:00Z",
        "schedule": {"days": ["mon"], "sessions_per_day": 1},
        "exercises": [{"exercise_id": e.id, "sensors": [str(s) for s in e.placements]}],
    })
    item = plan.exercises[0]
    assert (item.target_rom_deg, item.hold_s, item.up_s, item.down_s, item.sets, item.reps) == (
        e.target_rom_deg, e.hold_s, e.up_s, e.down_s, e.sets, e.reps)
    assert item.two_imu == (len(e.placements) == 2)
    assert 10.0 <= e.target_rom_deg <= plan_limits.MAX_ROM_DEG
    assert e.up_s >= 1.0 and e.down_s >= 1.0 and e.rest_s >= 1.0 and 1 <= e.sets <= 3


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_placements_are_real_segments_and_the_simulator_has_the_limb(exercise_id: str) -> None:
    e = CATALOGUE[exercise_id]
    assert e.placements[0] == e.distal and BodySegment.UNKNOWN not in e.placements
    assert len(set(e.placements)) == len(e.placements)
    assert exercise_id in GEOMETRY


def test_turning_about_the_long_axis_is_measured_by_one_wearable() -> None:
    """Two wearables measure a hinge angle from gravity; a turn about the vertical has none
    to see (the joint angle counted no reps in the simulator): one wearable, its gyro."""
    turning = [e for e in CATALOGUE.values() if GEOMETRY[e.id].move_axis[2] != 0.0]
    assert {e.id for e in turning} == {"shoulder_external_rotation", "trunk_rotation_seated"}
    assert all(len(e.placements) == 1 and e.plane == Plane.TRANSVERSE for e in turning)


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_a_camera_is_offered_only_for_a_joint_and_view_it_measures(exercise_id: str) -> None:
    e = CATALOGUE[exercise_id]
    if e.camera_view is None:
        assert e.camera_joint is None
        return
    CameraJoint.of(str(e.camera_joint), "right")  # raises for a joint the camera lacks
    expected = {Plane.SAGITTAL: CameraView.SIDE, Plane.FRONTAL: CameraView.FRONT}[e.plane]
    assert e.camera_view == expected
    assert view_for(e.id) == {CameraView.SIDE: View.SIDE_ON, CameraView.FRONT: View.FACING}[
        e.camera_view]


def test_the_camera_set_up_has_a_view_for_every_exercise() -> None:
    """A transverse exercise (no camera view) used to raise KeyError in the set-up."""
    assert {view_for(i) for i in CATALOGUE} <= {View.SIDE_ON, View.FACING}
    assert sum(e.camera_view is not None for e in CATALOGUE.values()) >= 12


def test_every_joint_reaches_fhir_with_a_body_site() -> None:
    """An ankle exercise's observations carried no SNOMED body site."""
    assert {e.joint for e in CATALOGUE.values()} <= set(JOINT_SITE)


def test_spoken_text_is_name_then_instructions_and_unknown_ids_list_the_known() -> None:
    e = get_exercise("bridge")
    assert e.spoken_text() == f"Bridge. {e.instructions}"
    with pytest.raises(KeyError, match="known: ankle_dorsiflexion_seated, bridge"):
        get_exercise("bridges")


def test_each_entry_exports_as_plain_json_for_the_plan_editor() -> None:
    import json

    rows = json.loads(json.dumps([e.to_json() for e in CATALOGUE.values()]))
    assert [r["id"] for r in rows] == list(CATALOGUE)
    knee = next(r for r in rows if r["id"] == "sit_to_stand")
    assert knee["camera"] == {"joint": "knee", "view": "side"}
    assert knee["placements"] == ["thigh", "shank"] and knee["position"] == "seated"
    assert knee["defaults"]["reps"] == 8
    assert next(r for r in rows if r["id"] == "clamshell")["camera"] is None
