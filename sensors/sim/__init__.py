"""A simulated wearable performing the catalogue's exercises (numpy only).

``simulate(SimConfig(...))`` gives IMU chunks in the sensor frame with realistic mounting,
bias, drift, noise and dropped samples, plus the ground truth the motion core is judged by;
``SimSource`` streams a chunk through the :class:`~sensors.source.SampleSource` port.
"""

from sensors.sim.config import RepKind, SimConfig, SimError
from sensors.sim.profile import RepTruth
from sensors.sim.simulate import SimResult, SimTruth, simulate
from sensors.sim.source import SimSource, sim_sources

__all__ = [
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
