"""Closing a BleSource whose link task ended cancelled under it (seen with bumble when a
wearable walks away mid-request) is a clean close; cancelling the closer still cancels."""

import asyncio
from types import SimpleNamespace

import pytest

from sensors.ble.source import BleSource
from sensors.types import BodySegment


class _Link:
    def __init__(self, run_forever: bool) -> None:
        self.wearable = SimpleNamespace(sensor_id="w1", segment=BodySegment.UNKNOWN, name="w1")
        self.run_forever = run_forever
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True

    async def run(self) -> None:
        if self.run_forever:
            await asyncio.Event().wait()
        raise asyncio.CancelledError  # a GATT request cancelled by the stack


async def test_link_cancelled_by_the_stack_closes_cleanly():
    link = _Link(run_forever=False)
    source = BleSource(link)  # type: ignore[arg-type]
    source.start()
    await asyncio.sleep(0)
    await source.aclose()  # no exception
    assert link.stopped and source._task is not None and source._task.cancelled()


async def test_cancelling_the_closer_still_cancels_it():
    link = _Link(run_forever=True)
    source = BleSource(link)  # type: ignore[arg-type]
    source.start()
    closer = asyncio.ensure_future(source.aclose())
    await asyncio.sleep(0.05)
    closer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closer
