"""The two sensors' joint axes as one hinge: which way round the axes pair up, and the
proximal axis from gravity when the proximal segment barely turns.

Each sensor finds the joint axis from its own gyro (:mod:`motion.axis`), but only up to
sign. The angle needs the two signs to match (both axes the same physical direction):
with one axis flipped, the "joint angle" becomes distal + proximal rotation instead of
distal - proximal. Nothing in the orientations tells the two apart while the axis stays
horizontal and the proximal segment turns about the joint axis and the vertical only
(the mirror pairing is then an equally rigid hinge), so the pairing is read from how a
joint behaves: when the joint is still, the distal segment turns exactly as the
proximal one does about the joint axis (``ω_d·j_d = ω_p·j_p``), while the mirror pairing
would need the joint to turn by twice the proximal motion (``ω_d·j_d = -ω_p·j_p``).
Samples where the proximal turns about the axis (body sway, a segment following the
exercise) vote, with a loss that saturates, so that samples where the joint moves
(both pairings far from zero) count for neither. Gyro bias left before the bias
estimator settles stays under ``PROXIMAL_MOVING_RAD_S`` and casts no vote.

When the proximal segment barely turns, its gyro axis is noise, and only its direction
relative to gravity matters (the angle is measured on the up vector): a hinge keeps the
angle between the joint axis and gravity the same in both segments (``up_p·j_p =
up_d·j_d``, Seel et al. 2012, the gravity variant of the hinge constraint), which
:func:`gravity_constrained_axis` imposes on the proximal axis.
"""

from __future__ import annotations

import numpy as np

AGREE_RAD_S = 0.03  # |ω_d·j_d ∓ ω_p·j_p| within this: the joint is still under that pairing
PROXIMAL_MOVING_RAD_S = 0.03  # the proximal turns about the axis clearly above noise
DECIDE_S = 0.25  # net votes, in seconds of samples, that decide the pairing


class AxisPairing:
    """Votes on whether the proximal axis pairs with the distal one as is (+1) or flipped.

    ``add`` takes bias-corrected gyro samples and the axes in force for them; the votes
    are a plain sum, so the result does not depend on chunking. ``sign_`` is +1 or -1
    once ``decided_``, else the hint's +1.
    """

    def __init__(self, rate_hz: float) -> None:
        self.dt_s = 1.0 / float(rate_hz)
        self.votes_s_ = 0.0

    def add(self, gyro_d: np.ndarray, gyro_p: np.ndarray, j_d: np.ndarray, j_p: np.ndarray) -> None:
        x = gyro_d @ j_d
        y = gyro_p @ j_p
        moving = np.abs(y) > PROXIMAL_MOVING_RAD_S
        if not moving.any():
            return
        x, y = x[moving], y[moving]
        same = np.minimum(((x - y) / AGREE_RAD_S) ** 2, 1.0)
        flipped = np.minimum(((x + y) / AGREE_RAD_S) ** 2, 1.0)
        self.votes_s_ += float(np.sum(flipped - same)) * self.dt_s

    @property
    def decided_(self) -> bool:
        return abs(self.votes_s_) >= DECIDE_S

    @property
    def sign_(self) -> float:
        return -1.0 if self.votes_s_ <= -DECIDE_S else 1.0


def gravity_constrained_axis(j_p: np.ndarray, up_p: np.ndarray, cos_d: float) -> np.ndarray:
    """The unit vector nearest ``j_p`` whose cosine with ``up_p`` is ``cos_d``.

    ``cos_d`` is the distal axis' cosine with its own up vector (the same physical angle
    for a hinge). The component of ``j_p`` across gravity keeps its direction; only its
    tilt is set. If ``j_p`` is along gravity, any horizontal direction would do: it is
    returned as is.
    """
    u = up_p / np.linalg.norm(up_p)
    c = float(np.clip(cos_d, -1.0, 1.0))
    perp = j_p - float(j_p @ u) * u
    n = float(np.linalg.norm(perp))
    if n < 1e-6:
        return j_p
    return c * u + np.sqrt(1.0 - c * c) * perp / n
