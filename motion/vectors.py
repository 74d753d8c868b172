"""Small vectorised rotation helpers (numpy only). Quaternions are [w, x, y, z]."""

from __future__ import annotations

import numpy as np


def gravity_from_quaternions(q: np.ndarray) -> np.ndarray:
    """Up direction in the sensor frame for each sensor-to-earth quaternion (n, 4) -> (n, 3).

    This is the third row of the rotation matrix: what an accelerometer at rest reads,
    normalised. Equivalent to imufusion's ``get_gravity`` without a call per sample.
    """
    w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    out = np.empty((q.shape[0], 3))
    out[:, 0] = 2.0 * (x * z - w * y)
    out[:, 1] = 2.0 * (y * z + w * x)
    out[:, 2] = 1.0 - 2.0 * (x * x + y * y)
    return out


def quaternion_from_up(up: np.ndarray) -> np.ndarray:
    """The smallest rotation taking the sensor's measured ``up`` vector onto earth +z.

    Used to start the fusion filter at the tilt the first accelerometer sample shows, so
    the angle does not swing while the filter converges from identity.
    """
    u = np.asarray(up, float)
    n = float(np.linalg.norm(u))
    if n == 0.0 or not np.isfinite(n):
        return np.array([1.0, 0.0, 0.0, 0.0])
    u = u / n
    w = 1.0 + u[2]
    if w < 1e-9:  # upside down: turn half a circle about x
        return np.array([0.0, 1.0, 0.0, 0.0])
    # axis = u x z = (u_y, -u_x, 0)
    q = np.array([w, u[1], -u[0], 0.0])
    return q / np.linalg.norm(q)


def signed_angle_about(
    v: np.ndarray, v_ref: np.ndarray, axis: np.ndarray
) -> np.ndarray:
    """Signed angle (rad) that turns ``v_ref`` into each row of ``v`` about ``axis``.

    Both are first projected onto the plane perpendicular to ``axis``; a pure rotation
    about ``axis`` by θ gives exactly θ whatever the axis' tilt, as long as the axis is
    not parallel to the vectors.
    """
    a = axis / np.sqrt(axis @ axis)
    r = v_ref - (v_ref @ a) * a
    # Orthonormal basis (r_hat, s_hat) of the plane; s_hat = a x r_hat.
    r_hat = r / max(float(np.sqrt(r @ r)), 1e-12)
    s_hat = np.array((a[1] * r_hat[2] - a[2] * r_hat[1],
                      a[2] * r_hat[0] - a[0] * r_hat[2],
                      a[0] * r_hat[1] - a[1] * r_hat[0]))
    return np.arctan2(v @ s_hat, v @ r_hat)


def unsigned_angle(v: np.ndarray, v_ref: np.ndarray) -> np.ndarray:
    """Angle (rad) between each row of ``v`` and ``v_ref`` (unit vectors)."""
    return np.arccos(np.clip(v @ v_ref, -1.0, 1.0))
