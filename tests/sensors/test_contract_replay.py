"""The SampleSource contract on a recording replayed (sensors.replay.ReplaySource)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from source_contract import ENDED, ImuSourceContract

from sensors.replay import ReplayError, ReplaySource, load_recording
from sensors.replay.writer import write_csv
from sensors.types import BodySegment


class TestReplaySourceContract(ImuSourceContract):
    VALUES_ATOL = 6e-7  # written as text with 6 decimals (VALUE_FORMAT) and read back

    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.folder = tmp_path

    async def make(self, stack: contextlib.AsyncExitStack) -> ReplaySource:
        path = write_csv(self.folder / "knee.csv", self.motion)
        return ReplaySource(load_recording(path), chunk_size=32, segment=BodySegment.SHANK)

    async def failure(self, stack: contextlib.AsyncExitStack) -> BaseException | str:
        bad = self.folder / "bad.csv"
        bad.write_text("t,ax,ay,az,gx,gy,gz\n0.0,1,2,3,4,5,6\n0.01,one,2,3,4,5,6\n")
        try:
            source = ReplaySource(load_recording(bad))
        except ReplayError as exc:
            return exc
        await self.rest(source)
        return ENDED
