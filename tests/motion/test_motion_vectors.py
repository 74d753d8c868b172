"""Known-answer tests for the rotation helpers the exercise angle rests on."""

from __future__ import annotations

import imufusion
import numpy as np
import pytest

from motion.vectors import (
    gravity_from_quaternions,
    quaternion_from_up,
    signed_angle_about,
    unsigned_angle,
)


def rot(axis: np.ndarray, angle_rad: float) -> np.ndarray:
    a = axis / np.linalg.norm(axis)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + np.sin(angle_rad) * k + (1 - np.cos(angle_rad)) * (k @ k)


@pytest.mark.parametrize("axis", [(0, 1, 0), (1, 0, 0), (0.3, 0.8, 0.5), (0.1, -0.9, 0.7)])
@pytest.mark.parametrize("angle_deg", [-150.0, -30.0, 5.0, 90.0, 170.0])
def test_signed_angle_recovers_a_rotation_about_any_tilted_axis(axis, angle_deg):
    axis = np.asarray(axis, float)
    v_ref = np.array([0.2, -0.4, 0.9])
    v_ref /= np.linalg.norm(v_ref)
    v = rot(axis, np.radians(angle_deg)) @ v_ref
    got = np.degrees(signed_angle_about(v[None, :], v_ref, axis))[0]
    assert got == pytest.approx(angle_deg, abs=1e-9)


def test_signed_angle_ignores_the_component_along_the_axis():
    axis = np.array([0.0, 0.0, 1.0])
    v_ref = np.array([1.0, 0.0, 0.0])
    v = np.array([[0.0, 0.6, 0.8]])  # 90 deg about z, then tilted towards the axis
    assert np.degrees(signed_angle_about(v, v_ref, axis))[0] == pytest.approx(90.0)


def test_gravity_from_quaternions_matches_imufusion_rotation_matrix():
    rng = np.random.default_rng(3)
    q = rng.normal(size=(20, 4))
    q /= np.linalg.norm(q, axis=1)[:, None]
    ours = gravity_from_quaternions(q)
    for qi, gi in zip(q, ours):
        m = imufusion.quaternion_to_matrix(qi.astype(np.float32))
        assert gi == pytest.approx(np.asarray(m)[2], abs=1e-5)


@pytest.mark.parametrize("up", [(0, 0, 9.8), (9.8, 0, 0), (0.3, -0.5, -0.8), (0, 0, -1)])
def test_quaternion_from_up_puts_the_measured_up_on_earth_z(up):
    q = quaternion_from_up(np.array(up, float))
    g = gravity_from_quaternions(q[None, :])[0]
    u = np.array(up, float) / np.linalg.norm(up)
    assert g == pytest.approx(u, abs=1e-9)


def test_unsigned_angle_is_the_angle_between_unit_vectors():
    assert np.degrees(unsigned_angle(np.array([[0.0, 1.0, 0.0]]), np.array([1.0, 0, 0])))[0] == (
        pytest.approx(90.0)
    )
