"""Sample values shared by every sensor source and the motion core.

Units are in the names: seconds, m/s² (specific force, so a sensor at rest reads +1 g
pointing up), rad/s. The magnetometer is optional and unitless-normalised or µT; the
motion core does not use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from exercises.body import BodySegment  # where a wearable sits (body vocabulary)

STANDARD_GRAVITY_M_S2 = 9.80665

Vec3 = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class ImuSample:
    """One reading of a 6- or 9-axis IMU on the host clock."""

    t_s: float
    accel_m_s2: Vec3
    gyro_rad_s: Vec3
    mag: Vec3 | None = None


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What a sample source is: its id, where it sits and how fast it should deliver."""

    sensor_id: str
    segment: BodySegment
    rate_hz: float
    label: str = ""


@dataclass(frozen=True, slots=True, eq=False)
class ImuChunk:
    """A run of consecutive samples from one sensor, as arrays (the streaming unit).

    ``t_s`` has shape (n,), ``accel_m_s2`` and ``gyro_rad_s`` shape (n, 3), ``mag`` is
    (n, 3) or None. Sources deliver chunks of any length >= 1; the motion core gives the
    same result whatever the chunking.
    """

    t_s: np.ndarray
    accel_m_s2: np.ndarray
    gyro_rad_s: np.ndarray
    mag: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = self.t_s.shape[0]
        if self.accel_m_s2.shape != (n, 3) or self.gyro_rad_s.shape != (n, 3):
            raise ValueError(
                f"chunk shapes disagree: t {self.t_s.shape}, accel {self.accel_m_s2.shape}, "
                f"gyro {self.gyro_rad_s.shape}"
            )
        if self.mag is not None and self.mag.shape != (n, 3):
            raise ValueError(f"magnetometer shape {self.mag.shape} != {(n, 3)}")

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @classmethod
    def from_samples(cls, samples: Sequence[ImuSample]) -> ImuChunk:
        t = np.fromiter((s.t_s for s in samples), float, len(samples))
        acc = np.array([s.accel_m_s2 for s in samples], float).reshape(-1, 3)
        gyr = np.array([s.gyro_rad_s for s in samples], float).reshape(-1, 3)
        mag = None
        if samples and all(s.mag is not None for s in samples):
            mag = np.array([s.mag for s in samples], float).reshape(-1, 3)
        return cls(t, acc, gyr, mag)

    def samples(self) -> Iterator[ImuSample]:
        mag = self.mag.tolist() if self.mag is not None else None
        for i, (t, a, g) in enumerate(
            zip(self.t_s.tolist(), self.accel_m_s2.tolist(), self.gyro_rad_s.tolist())
        ):
            yield ImuSample(t, tuple(a), tuple(g), tuple(mag[i]) if mag else None)  # type: ignore[arg-type]

    def slice(self, start: int, stop: int) -> ImuChunk:
        mag = self.mag[start:stop] if self.mag is not None else None
        return ImuChunk(
            self.t_s[start:stop], self.accel_m_s2[start:stop], self.gyro_rad_s[start:stop], mag
        )

    def split(self, size: int) -> Iterator[ImuChunk]:
        """Consecutive chunks of at most ``size`` samples (how replay streams a file)."""
        for start in range(0, len(self), size):
            yield self.slice(start, start + size)

    @staticmethod
    def concat(chunks: Sequence[ImuChunk]) -> ImuChunk:
        mags = [c.mag for c in chunks]
        have = [m for m in mags if m is not None]
        mag = np.concatenate(have) if chunks and len(have) == len(mags) else None
        return ImuChunk(
            np.concatenate([c.t_s for c in chunks]) if chunks else np.empty(0),
            np.concatenate([c.accel_m_s2 for c in chunks]) if chunks else np.empty((0, 3)),
            np.concatenate([c.gyro_rad_s for c in chunks]) if chunks else np.empty((0, 3)),
            mag,
        )
