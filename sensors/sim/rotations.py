"""Batched rotation helpers for the simulator (numpy only, shapes (n, 3, 3)).

Rotation matrices map segment/sensor coordinates to world coordinates. Angles in radians.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-12


def skew(v: np.ndarray) -> np.ndarray:
    """(n, 3) vectors -> (n, 3, 3) cross-product matrices."""
    v = np.asarray(v, float)
    out = np.zeros(v.shape[:-1] + (3, 3))
    out[..., 0, 1], out[..., 0, 2] = -v[..., 2], v[..., 1]
    out[..., 1, 0], out[..., 1, 2] = v[..., 2], -v[..., 0]
    out[..., 2, 0], out[..., 2, 1] = -v[..., 1], v[..., 0]
    return out


def exp_so3(rotvec: np.ndarray) -> np.ndarray:
    """Rotation vectors (n, 3) -> rotation matrices (n, 3, 3) (Rodrigues)."""
    rotvec = np.atleast_2d(np.asarray(rotvec, float))
    angle = np.linalg.norm(rotvec, axis=-1)
    small = angle < 1e-8
    safe = np.where(small, 1.0, angle)
    # sin(a)/a and (1-cos(a))/a², with their series near zero.
    a = np.where(small, 1.0 - angle**2 / 6.0, np.sin(angle) / safe)
    b = np.where(small, 0.5 - angle**2 / 24.0, (1.0 - np.cos(angle)) / safe**2)
    k = skew(rotvec)
    eye = np.broadcast_to(np.eye(3), k.shape)
    return eye + a[..., None, None] * k + b[..., None, None] * (k @ k)


def axis_angle(axis: np.ndarray | tuple[float, float, float], angle_rad: np.ndarray) -> np.ndarray:
    """Rotations about one fixed ``axis`` by each of ``angle_rad`` (n,) -> (n, 3, 3)."""
    unit = np.asarray(axis, float)
    unit = unit / np.linalg.norm(unit)
    return exp_so3(np.asarray(angle_rad, float)[:, None] * unit[None, :])


def log_so3(rot: np.ndarray) -> np.ndarray:
    """Rotation matrices (n, 3, 3) -> rotation vectors (n, 3). Accurate for angles < ~3 rad."""
    rot = np.asarray(rot, float)
    trace = np.trace(rot, axis1=-2, axis2=-1)
    cos_a = np.clip((trace - 1.0) / 2.0, -1.0, 1.0)
    angle = np.arccos(cos_a)
    vee = np.stack(
        [rot[..., 2, 1] - rot[..., 1, 2], rot[..., 0, 2] - rot[..., 2, 0],
         rot[..., 1, 0] - rot[..., 0, 1]],
        axis=-1,
    )
    sin_a = np.sin(angle)
    small = sin_a < 1e-8
    factor = np.where(small, 0.5 + angle**2 / 12.0, angle / (2.0 * np.where(small, 1.0, sin_a)))
    return factor[..., None] * vee


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly distributed rotation matrix (3, 3) (from a uniform unit quaternion)."""
    q = rng.normal(size=4)
    q /= np.linalg.norm(q) + _EPS
    w, x, y, z = q
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


def strapped_rotation(rng: np.random.Generator, face_axis: np.ndarray,
                      max_tilt_deg: float = 25.0) -> np.ndarray:
    """A sensor strapped on a segment by the wearing rule: face out along ``face_axis``.

    The sensor's +z points along ``face_axis`` (in the segment frame) tilted by up to
    ``max_tilt_deg`` in a random direction, and it is turned by a uniformly random angle
    about its own z (the strap sits at any angle on the limb).
    """
    n = np.asarray(face_axis, float)
    n = n / np.linalg.norm(n)
    u, v = perpendicular_basis(n)
    spin = rng.uniform(0.0, 2.0 * np.pi)
    # Columns: the sensor's x, y, z axes in the segment frame before tilting.
    x = np.cos(spin) * u + np.sin(spin) * v
    y = np.cross(n, x)
    base = np.column_stack((x, y, n))
    tilt_axis = rng.normal(size=3)
    tilt_axis -= (tilt_axis @ n) * n
    tilt_axis /= np.linalg.norm(tilt_axis) + _EPS
    tilt = np.deg2rad(rng.uniform(0.0, max_tilt_deg))
    k = np.array([[0, -tilt_axis[2], tilt_axis[1]], [tilt_axis[2], 0, -tilt_axis[0]],
                  [-tilt_axis[1], tilt_axis[0], 0]])
    r_tilt = np.eye(3) + np.sin(tilt) * k + (1 - np.cos(tilt)) * (k @ k)
    return r_tilt @ base


def perpendicular_basis(axis: np.ndarray | tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors completing ``axis`` to a right-handed orthonormal basis."""
    n = np.asarray(axis, float)
    n = n / np.linalg.norm(n)
    helper = np.array([1.0, 0.0, 0.0]) if abs(n[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = np.cross(n, helper)
    u /= np.linalg.norm(u)
    return u, np.cross(n, u)


def twist_angle(rot: np.ndarray, axis: np.ndarray | tuple[float, float, float]) -> np.ndarray:
    """Swing-twist decomposition: the rotation angle (rad) of ``rot`` (n,3,3) about ``axis``."""
    rot = np.asarray(rot, float)
    n = np.asarray(axis, float)
    n = n / np.linalg.norm(n)
    # Quaternion scalar (times 2) and the vector part projected on the axis (times 2).
    w2 = np.sqrt(np.clip(1.0 + np.trace(rot, axis1=-2, axis2=-1), 0.0, None))
    vee = np.stack(
        [rot[..., 2, 1] - rot[..., 1, 2], rot[..., 0, 2] - rot[..., 2, 0],
         rot[..., 1, 0] - rot[..., 0, 1]],
        axis=-1,
    )
    # q = (w, v) with v = vee / (4 w); projected: (w, v·n) ∝ (w², vee·n / 4)·(1/w).
    proj = (vee @ n) / 2.0
    return 2.0 * np.arctan2(proj, w2**2 / 2.0)
