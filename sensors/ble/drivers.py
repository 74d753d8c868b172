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

from firmware_bridge.clock import Clock, ClockMapper
from firmware_bridge.messages import (
    PROTOCOL_VERSION,
    Ack,
    Battery,
    Error,
    ErrorCode,
    MsgType,
    Start,
    Stop,
    TimeReq,
    TimeResp,
)
from firmware_bridge.session import StreamConfig
from sensors.ble import gatt, witmotion
from sensors.ble.errors import BleError
from sensors.ble.ports import WearableKind
from sensors.ble.tracking import LinkCounters, SeqTracker, Verdict
from sensors.types import ImuChunk

log = logging.getLogger(__name__)
DEFAULT_STREAM = StreamConfig()  # 100 Hz, ±8 g, ±1000 °/s, 10 samples per batch
REPLY_TIMEOUT_S = 2.0  # real seconds for an ACK or TIME_RESP (a few connection intervals)


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


class _Monotonic:
    """Keeps a stream's host times increasing across clock re-fits and reconnections."""

    def __init__(self) -> None:
        self.last_t = -np.inf

    def fix(self, t: np.ndarray) -> np.ndarray:
        if t.size and t[0] <= self.last_t:
            t = t + (self.last_t - t[0]) + 1e-4
        if t.size:
            self.last_t = float(t[-1])
        return t


class RehabImuDriver:
    kind = WearableKind.REHAB_IMU

    def __init__(self, clock: Clock, config: StreamConfig = DEFAULT_STREAM, *,
                 sync_burst: int = 5, reply_timeout_s: float = REPLY_TIMEOUT_S) -> None:
        self.clock = clock
        self.config = config
        self.sync_burst = sync_burst
        self.reply_timeout_s = reply_timeout_s
        self.tracker = SeqTracker()
        self.counters = self.tracker.counters
        self.mapper = ClockMapper()
        self.last_rx_s = 0.0
        self.device_errors = 0
        self._mono = _Monotonic()
        self._sink: DriverSink | None = None
        self._next_id = 1
        self._pending: dict[int, tuple[float, asyncio.Future[None]]] = {}
        self._ack: asyncio.Future[Ack] | None = None

    async def start(self, client: BleakClient, sink: DriverSink) -> None:
        self._sink = sink
        self.mapper.reset()
        self._pending.clear()
        hello = gatt.parse_device_info(await client.read_gatt_char(gatt.DEVICE_INFO_UUID))
        if hello.proto_version != PROTOCOL_VERSION:
            raise BleError(f"wearable speaks protocol {hello.proto_version}, this kiosk "
                           f"{PROTOCOL_VERSION}: update its firmware (hw/README.md)")
        await client.start_notify(gatt.CONTROL_UUID, self._on_control)
        await client.start_notify(gatt.IMU_BATCH_UUID, self._on_batch)
        try:
            sink.battery(gatt.parse_battery_level(
                await client.read_gatt_char(gatt.BATTERY_LEVEL_UUID)))
            await client.start_notify(gatt.BATTERY_LEVEL_UUID, self._on_battery_level)
        except (BleError, KeyError) as exc:  # optional service
            log.info("no battery level from %s: %s", client.address, exc)
        for _ in range(self.sync_burst):
            await self._sync(client, wait=True)
        c = self.config
        self.tracker.reset(0)  # sample_seq counts from START: a lost first batch shows
        self._ack = asyncio.get_running_loop().create_future()
        await client.write_gatt_char(gatt.CONTROL_UUID, gatt.encode_control(
            Start(c.rate_hz, c.accel_fs_g, c.gyro_fs_dps, 1 << c.sensor, c.batch_len)),
            response=True)
        ack = await asyncio.wait_for(self._ack, self.reply_timeout_s)
        if ack.status != ErrorCode.OK:
            raise BleError(f"wearable refused START: status {ack.status}")
        self.last_rx_s = self.clock.now()

    async def _sync(self, client: BleakClient, wait: bool) -> None:
        rid = self._next_id
        self._next_id = (rid + 1) & 0xFFFFFFFF
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if len(self._pending) > 8:  # unanswered requests: forget the oldest
            self._pending.pop(min(self._pending))
        self._pending[rid] = (self.clock.now(), fut)
        await client.write_gatt_char(gatt.CONTROL_UUID, gatt.encode_control(TimeReq(rid)),
                                     response=True)
        if wait:
            await asyncio.wait_for(fut, self.reply_timeout_s)

    async def tick(self, client: BleakClient) -> None:
        await self._sync(client, wait=False)

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
        if isinstance(msg, TimeResp):
            got = self._pending.pop(msg.request_id, None)
            if got is not None:
                self.mapper.add_sync(got[0], msg.device_us, host_rx)
                if not got[1].done():
                    got[1].set_result(None)
        elif isinstance(msg, Ack) and msg.acked_type == MsgType.START:
            if self._ack is not None and not self._ack.done():
                self._ack.set_result(msg)
        elif isinstance(msg, Battery) and msg.percent <= 100 and self._sink is not None:
            self._sink.battery(msg.percent)
        elif isinstance(msg, Error):
            self.device_errors += 1
            log.warning("wearable reports error %d (detail %d)", msg.code, msg.detail)

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
        c = self.counters
        c.notifications += 1
        try:
            b = gatt.parse_batch(data)
        except BleError:
            c.corrupt += 1
            return
        if b.sensor != self.config.sensor:
            return
        n = len(b)
        verdict, skip = self.tracker.accept(b.sample_seq, n)
        if verdict == Verdict.DUPLICATE:
            return
        self.last_rx_s = host_rx
        if not self.mapper.synced_:
            self.mapper.anchor(b.t_first_us + (n - 1) * b.period_us, host_rx)
        dev_us = b.t_first_us + b.period_us * np.arange(skip, n)
        t = self._mono.fix(np.asarray(self.mapper.to_host(dev_us), dtype=float).reshape(-1))
        c.batches += 1
        c.samples += n - skip
        if self._sink is not None:
            self._sink.chunk(ImuChunk(t, b.accel_m_s2()[skip:], b.gyro_rad_s()[skip:]))


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
        self._mono = _Monotonic()
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
