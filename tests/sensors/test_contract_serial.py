"""The SampleSource contract on the serial bridge (firmware_bridge.source.BridgeSource).

The emulated firmware on a real pseudo-terminal, through pyserial and the host protocol, on
a clock 20 times faster than real time (the emulator and the host share it)."""

from __future__ import annotations

import contextlib

from source_contract import ENDED, ImuSourceContract

from firmware_bridge.emulator import FirmwareEmulator
from firmware_bridge.session import BridgeSession
from firmware_bridge.source import BridgeSource
from protocol.clock import ScaledClock
from sensors.source import SensorError
from sensors.types import BodySegment, SourceInfo

SPEED = 20.0
INFO = SourceInfo("serial:emu", BodySegment.SHANK, 100.0, "emulated XIAO")


class TestBridgeSourceContract(ImuSourceContract):
    FINITE = False  # a device streams until the host closes the link

    async def make(self, stack: contextlib.AsyncExitStack) -> BridgeSource:
        clock = ScaledClock(SPEED)
        emu = stack.enter_context(FirmwareEmulator(self.motion, clock=clock))
        source = BridgeSource(BridgeSession(emu.port, clock=clock), INFO)
        stack.push_async_callback(source.aclose)
        return source

    async def failure(self, stack: contextlib.AsyncExitStack) -> BaseException | str:
        """Port faults are retried (the device may come back); what cannot be retried (here
        an opener that breaks unexpectedly) must reach the consumer as a BridgeError."""

        def broken(port: str):
            raise RuntimeError(f"driver crashed opening {port}")

        source = BridgeSource(BridgeSession("/dev/rehab-imu0", opener=broken), INFO)
        stack.push_async_callback(source.aclose)
        try:
            await self.rest(source)
        except SensorError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - returned for the contract to judge
            return exc
        return ENDED
