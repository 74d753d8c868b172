"""Per-protocol drivers: what to do on a fresh bleak connection and with each notification.

A driver is handed a connected ``BleakClient`` by :class:`~sensors.ble.link.WearableLink`
and turns notifications into :class:`~sensors.types.ImuChunk` on the host clock. Bad
notifications are counted and skipped here; nothing a wearable sends can raise out of a
notification callback.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import numpy as np
from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic

from protocol.clock import Clock
from protocol.host import HostLink, HostState, StreamConfig
from protocol.messages import HelloReq, Message, Stop
from protocol.sequence import LinkCounters, MonotonicTimes
from sensors.ble import gatt, witmotion
from sensors.ble.errors import BleError
from sensors.ble.ports import WearableKind
from sensors.types import ImuChunk

log = logging.getLogger(__name__)
DEFAULT_STREAM = StreamConfig()  # 100 Hz, ±8 g, ±1000 °/s, 10 samples per batch
REPLY_TIMEOUT_S = 2.0  # real seconds for an ACK or TIME_RESP (a few connection intervals)
WAKE = None  # handshake queue item: the host machine changed state, nothing to send


class DriverSink(Protocol):
    def chunk(self, chunk: ImuChunk) -> None: ...

    def battery(self, pct: int) -> None: ...


class Driver(Protocol):
    kind: WearableKind
    counters: LinkCounters
    last_rx_s: float

    async def start(self, client: BleakClient, sink: DriverSink) -> None: ...

    async def tick(self, client: BleakClient) -> None: ...

    async def stop(self, client: BleakClient) -> None: ...


class RehabImuDriver:
    """Our firmware over GATT: the protocol's :class:`~protocol.host.HostLink`, with HELLO
    read from the device-info characteristic and the rest written to / notified on control
    (no frame numbers over BLE, so the ACK of START names 0)."""

    kind = WearableKind.REHAB_IMU

    def __init__(self, clock: Clock, config: StreamConfig = DEFAULT_STREAM, *,
                 sync_burst: int = 5, reply_timeout_s: float = REPLY_TIMEOUT_S) -> None:
        self.clock = clock
        self.config = config
        self.reply_timeout_s = reply_timeout_s
        self.host = HostLink(config, sync_burst=sync_burst, numbered=False)
        self.mapper = self.host.mapper
        self.counters = self.host.counters
        self.last_rx_s = 0.0
        self._sink: DriverSink | None = None
        self._outbox: asyncio.Queue[Message | None] = asyncio.Queue()

    @property
    def device_errors(self) -> int:
        return self.host.device_errors_

    async def _write(self, client: BleakClient, msg: Message) -> None:
        self.host.sent(msg, self.clock.now())
        await client.write_gatt_char(gatt.CONTROL_UUID, gatt.encode_control(msg), response=True)

    async def start(self, client: BleakClient, sink: DriverSink) -> None:
        h = self.host
        self._sink = sink
        self._outbox = asyncio.Queue()
        hello_req = h.connect(self.clock.now())
        assert hello_req == (HelloReq(),)  # answered by the device-info characteristic
        hello = gatt.parse_device_info(await client.read_gatt_char(gatt.DEVICE_INFO_UUID))
        first = h.receive(hello, self.clock.now()).send
        if h.error_ is not None:
            raise BleError(f"wearable: {h.error_}") from h.error_
        await client.start_notify(gatt.CONTROL_UUID, self._on_control)
        await client.start_notify(gatt.IMU_BATCH_UUID, self._on_batch)
        try:
            sink.battery(gatt.parse_battery_level(
                await client.read_gatt_char(gatt.BATTERY_LEVEL_UUID)))
            await client.start_notify(gatt.BATTERY_LEVEL_UUID, self._on_battery_level)
        except (BleError, KeyError) as exc:  # optional service
            log.info("no battery level from %s: %s", client.address, exc)
        for msg in first:
            self._outbox.put_nowait(msg)
        while h.state != HostState.STREAMING:
            if h.error_ is not None:
                raise BleError(f"wearable: {h.error_}") from h.error_
            try:  # asyncio.timeout: 3.11's wait_for can drop a cancellation with an item
                async with asyncio.timeout(self.reply_timeout_s):
                    item = await self._outbox.get()
            except TimeoutError as exc:
                raise BleError(f"no {h.awaiting} from the wearable within "
                               f"{self.reply_timeout_s} s") from exc
            if item is not WAKE:
                await self._write(client, item)
        self.last_rx_s = self.clock.now()

    async def tick(self, client: BleakClient) -> None:
        await self._write(client, self.host.request_sync(self.clock.now()))

    async def stop(self, client: BleakClient) -> None:
        await client.write_gatt_char(gatt.CONTROL_UUID, gatt.encode_control(Stop()),
                                     response=True)

    # ---- notifications (never raise) ----

    def _on_control(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        host_rx = self.clock.now()
        try:
            msg = gatt.parse_control(data)
        except BleError as exc:
            self.counters.corrupt += 1
            log.debug("control notification skipped: %s", exc)
            return
        h = self.host
        before, errors = h.state, h.device_errors_
        reply = h.receive(msg, host_rx)
        for out in reply.send:
            self._outbox.put_nowait(out)
        if h.state != before:
            self._outbox.put_nowait(WAKE)
        if reply.battery is not None and reply.battery.percent <= gatt.BATTERY_MAX_PCT \
                and self._sink is not None:
            self._sink.battery(reply.battery.percent)
        if h.device_errors_ != errors:
            log.warning("wearable reports %s", h.last_device_error_)

    def _on_battery_level(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        try:
            pct = gatt.parse_battery_level(data)
        except BleError:
            self.counters.corrupt += 1
            return
        if self._sink is not None:
            self._sink.battery(pct)

    def _on_batch(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        host_rx = self.clock.now()
        self.counters.notifications += 1
        try:
            b = gatt.parse_batch(data)
        except BleError:
            self.counters.corrupt += 1
            return
        s = self.host.receive(b, host_rx).samples
        if s is None:  # another sensor's, or a duplicate
            return
        self.last_rx_s = host_rx
        if self._sink is not None:
            self._sink.chunk(ImuChunk(s.t_s, s.accel_m_s2, s.gyro_rad_s))


class WitMotionDriver:
    """WT901BLE: unlock, set the return rate, stream 0x61 packets, poll the battery."""

    kind = WearableKind.WITMOTION

    def __init__(self, clock: Clock, rate_hz: float = 100.0, battery_every_s: float = 10.0
                 ) -> None:
        witmotion.rate_command(rate_hz)  # refuse an unsupported rate now, not on connect
        self.clock = clock
        self.rate_hz = rate_hz
        self.battery_every_s = battery_every_s
        self.counters = LinkCounters()
        self.last_rx_s = 0.0
        self.angles_deg: tuple[float, float, float] | None = None
        self._arrival = witmotion.ArrivalClock(rate_hz)
        self._mono = MonotonicTimes()
        self._sink: DriverSink | None = None
        self._last_battery_s = -np.inf

    async def _write(self, client: BleakClient, value: bytes) -> None:
        await client.write_gatt_char(witmotion.WIT_WRITE_UUID, value, response=False)

    async def start(self, client: BleakClient, sink: DriverSink) -> None:
        self._sink = sink
        self._arrival = witmotion.ArrivalClock(self.rate_hz)
        await client.start_notify(witmotion.WIT_NOTIFY_UUID, self._on_notify)
        await self._write(client, witmotion.UNLOCK)
        await self._write(client, witmotion.rate_command(self.rate_hz))
        await self._write(client, witmotion.read_command(witmotion.REG_BATTERY_V))
        self._last_battery_s = self.last_rx_s = self.clock.now()

    async def calibrate_accel(self, client: BleakClient, still_s: float = 3.0) -> None:
        """The vendor's accelerometer calibration: sensor flat and still for ``still_s``."""
        await self._write(client, witmotion.UNLOCK)
        await self._write(client, witmotion.calibrate_accel_command(True))
        await asyncio.sleep(still_s)
        await self._write(client, witmotion.calibrate_accel_command(False))
        await self._write(client, witmotion.SAVE)

    async def tick(self, client: BleakClient) -> None:
        now = self.clock.now()
        if now - self._last_battery_s >= self.battery_every_s:
            self._last_battery_s = now
            await self._write(client, witmotion.read_command(witmotion.REG_BATTERY_V))

    async def stop(self, client: BleakClient) -> None:
        await client.stop_notify(witmotion.WIT_NOTIFY_UUID)

    def _on_notify(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        host_rx = self.clock.now()
        c = self.counters
        c.notifications += 1
        try:
            packets = witmotion.parse_notification(data)
        except BleError:
            c.corrupt += 1
            return
        samples = [p for p in packets if isinstance(p, witmotion.WitSample)]
        for p in packets:
            if (isinstance(p, witmotion.WitRegisters) and p.start == witmotion.REG_BATTERY_V
                    and self._sink is not None):
                self._sink.battery(witmotion.battery_percent(p.values[0]))
        if not samples:
            return
        self.last_rx_s = host_rx
        t = np.array([self._arrival.stamp(host_rx) for _ in samples])
        c.gaps, c.lost = self._arrival.gaps_, self._arrival.lost_
        c.batches += 1
        c.samples += len(samples)
        self.angles_deg = samples[-1].angle_deg
        if self._sink is not None:
            self._sink.chunk(ImuChunk(self._mono.fix(t),
                                      np.array([s.accel_m_s2 for s in samples]),
                                      np.array([s.gyro_rad_s for s in samples])))
