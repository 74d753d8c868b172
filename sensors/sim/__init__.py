"""A simulated wearable performing the catalogue's exercises (numpy only).

``simulate(SimConfig(...))`` gives IMU chunks in the sensor frame with realistic mounting,
bias, drift, noise and dropped samples, plus the ground truth the motion core is judged by;
``SimSource`` streams a chunk through the :class:`~sensors.source.SampleSource` port. What an
exercise is comes from :mod:`exercises`; how the simulated limb is built for it (axes and
lengths) from :mod:`sensors.sim.geometry`, keyed by the same exercise ids.
"""

from sensors.sim.config import RepKind, SimConfig, SimError
from sensors.sim.geometry import GEOMETRY, LimbGeometry
from sensors.sim.profile import RepTruth
from sensors.sim.simulate import SimResult, SimTruth, simulate
from sensors.sim.source import SimSource, sim_sources

__all__ = [
    "GEOMETRY",
    "LimbGeometry",
    "RepKind",
    "RepTruth",
    "SimConfig",
    "SimError",
    "SimResult",
    "SimSource",
    "SimTruth",
    "sim_sources",
    "simulate",
]
