"""The SampleSource contract on the simulator's source (sensors.sim.SimSource)."""

from __future__ import annotations

import contextlib

from source_contract import ENDED, ImuSourceContract

from sensors.sim import SimConfig, SimError, SimSource, sim_sources
from sensors.types import BodySegment, SourceInfo


class TestSimSourceContract(ImuSourceContract):
    VALUES_ATOL = 0.0  # the simulated chunk itself

    async def make(self, stack: contextlib.AsyncExitStack) -> SimSource:
        return SimSource(self.motion, SourceInfo("sim-distal", BodySegment.SHANK, 100.0),
                         chunk_size=10)

    async def failure(self, stack: contextlib.AsyncExitStack) -> BaseException | str:
        try:
            distal, _ = sim_sources(SimConfig(exercise_id="no_such_exercise"), realtime=False)
        except SimError as exc:
            return exc
        await self.rest(distal)
        return ENDED
