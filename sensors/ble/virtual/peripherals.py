"""Virtual wearables on a :class:`VirtualAir`: our firmware's GATT profile and a WitMotion.

The rehab wearable's behaviour is :class:`protocol.device.DeviceModel`, the model the
serial emulator serves too; this module serves it over GATT.

Both play back a simulated motion (an :class:`~sensors.types.ImuChunk` starting at 0 s)
on a shared, possibly faster-than-real-time, host clock: the sample a wearable sends for
an instant is the one the simulated limb produced then, so a wearable that drops out and
comes back resumes where the limb is now. Faults for tests: :meth:`drop` (disconnect and
stay silent), :meth:`inject` (raw bytes on the data characteristic).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Coroutine
from typing import Any

import numpy as np
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import Characteristic, CharacteristicValue, Service

from protocol.clock import Clock, real_seconds
from protocol.device import DeviceModel
from protocol.messages import STANDARD_GRAVITY_M_S2, ImuBatch, Start
from sensors.ble import gatt, witmotion
from sensors.ble.errors import BlePayloadError
from sensors.ble.virtual.air import VirtualAir
from sensors.types import ImuChunk

log = logging.getLogger(__name__)
R = Characteristic.Properties
RW = Characteristic.Permissions.READABLE | Characteristic.Permissions.WRITEABLE
NONE = Characteristic.Permissions(0)
RO = Characteristic.Permissions.READABLE
ADV_INTERVAL_MS = 20.0  # real time: scans and reconnects find a wearable quickly


async def clock_sleep(clock: Clock, seconds: float) -> None:
    """Sleep ``seconds`` of ``clock`` time (a ScaledClock runs ``speed`` times faster)."""
    await asyncio.sleep(real_seconds(clock, seconds))


class _Peripheral:
    def __init__(self, air: VirtualAir, address: str, name: str, motion: ImuChunk,
                 clock: Clock) -> None:
        self.air = air
        self.address = address
        self.name = name
        self.motion = motion
        self.clock = clock
        self.rate_hz = 1.0 / float(np.median(np.diff(motion.t_s[:100])))
        self.device: Device = air.new_device(name, address)
        self.conn: Connection | None = None
        self.notified = 0
        self.away = False
        self._t0 = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self.device.on(self.device.EVENT_CONNECTION, self._on_connection)

    def _on_connection(self, conn: Connection) -> None:
        self.conn = conn
        conn.on(conn.EVENT_DISCONNECTION, lambda *_: self._on_disconnection())

    def _on_disconnection(self) -> None:
        self.conn = None
        self.on_disconnected()

    def on_disconnected(self) -> None:
        """Subclasses stop streaming here."""

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def advertising_data(self) -> bytes:
        raise NotImplementedError

    async def start(self) -> None:
        """Power on and advertise; the motion starts now on the host clock."""
        await self.air.start()
        await self.device.power_on()
        self._t0 = self.clock.now()
        await self.device.start_advertising(
            auto_restart=True, advertising_data=self.advertising_data(),
            advertising_interval_min=ADV_INTERVAL_MS, advertising_interval_max=ADV_INTERVAL_MS)

    def sample_at(self, host_s: float) -> tuple[np.ndarray, np.ndarray]:
        """(accel m/s², gyro rad/s) the limb produced at ``host_s`` (the last one after it)."""
        i = round((host_s - self._t0) * self.rate_hz)
        i = min(max(i, 0), len(self.motion) - 1)
        return self.motion.accel_m_s2[i], self.motion.gyro_rad_s[i]

    async def drop(self, for_s: float) -> None:
        """Disconnect and stay away (no advertising) for ``for_s`` clock seconds."""
        self.away = True
        await self.device.stop_advertising()
        if self.conn is not None:
            await self.conn.disconnect()
        await clock_sleep(self.clock, for_s)
        self.away = False
        await self.device.start_advertising(
            auto_restart=True, advertising_data=self.advertising_data(),
            advertising_interval_min=ADV_INTERVAL_MS, advertising_interval_max=ADV_INTERVAL_MS)

    async def close(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        if self.conn is not None:
            await self.conn.disconnect()
        await self.device.stop_advertising()


class VirtualRehabImu(_Peripheral):
    """Our firmware's GATT profile (PROTOCOL.md section 5) plus Battery and Device Information."""

    BATTERY_INTERVAL_S = 1.0  # BATTERY notified on control once a second while streaming

    def __init__(self, air: VirtualAir, address: str, motion: ImuChunk, clock: Clock, *,
                 device_id: int = 0x1234_5678_9ABC_0001, battery_pct: int = 80,
                 drift_ppm: float = 0.0, boot_s: float = -12.5) -> None:
        super().__init__(air, address, gatt.device_name(device_id), motion, clock)
        self.device_id = device_id
        # The motion starts when the wearable is switched on (start() sets motion_t0_s).
        self.model = DeviceModel(motion, rate_hz=round(self.rate_hz), device_id=device_id,
                                 boot_s=boot_s, drift_ppm=drift_ppm, battery_pct=battery_pct,
                                 battery_interval_s=self.BATTERY_INTERVAL_S, motion_t0_s=0.0)
        self.hello = self.model.hello
        self.skip_batches = 0  # fault: batches taken but never sent (a sample_seq gap)
        self.repeat_batches = 0  # fault: batches sent twice (duplicates)
        self._stream: asyncio.Task[None] | None = None
        self.batch_char: Characteristic[bytes] = Characteristic(
            gatt.IMU_BATCH_UUID, R.NOTIFY, NONE, b"")
        self.control_char: Characteristic[bytes] = Characteristic(
            gatt.CONTROL_UUID, R.WRITE | R.NOTIFY, RW,
            CharacteristicValue(write=self._on_control))
        self.battery_char: Characteristic[bytes] = Characteristic(
            gatt.BATTERY_LEVEL_UUID, R.READ | R.NOTIFY, RO,
            CharacteristicValue(read=lambda c: bytes([self.battery_pct])))
        info = Characteristic(gatt.DEVICE_INFO_UUID, R.READ, RO,
                              gatt.encode_control(self.hello)[1:])
        dis = [Characteristic(u, R.READ, RO, v.encode()) for u, v in (
            (gatt.MANUFACTURER_NAME_UUID, "rehab-kiosk"),
            (gatt.MODEL_NUMBER_UUID, "XIAO nRF52840 Sense (virtual)"),
            (gatt.FIRMWARE_REVISION_UUID, ".".join(map(str, self.hello.fw_version))))]
        self.device.add_services([
            Service(gatt.IMU_SERVICE_UUID, [self.batch_char, self.control_char, info]),
            Service(gatt.BATTERY_SERVICE_UUID, [self.battery_char]),
            Service(gatt.DIS_SERVICE_UUID, dis),
        ])

    @property
    def battery_pct(self) -> int:
        return self.model.battery_pct

    @property
    def start_cfg(self) -> Start | None:
        return self.model.start_cfg

    async def start(self) -> None:
        await super().start()
        self.model.motion_t0_s = self._t0

    def advertising_data(self) -> bytes:
        return bytes(AdvertisingData([
            (AdvertisingData.FLAGS, bytes([0x06])),
            (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()),
            (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
             UUID(gatt.IMU_SERVICE_UUID).to_bytes()),
        ]))

    def device_us(self, host_s: float | None = None) -> int:
        return self.model.device_us(self.clock.now() if host_s is None else host_s)

    def host_s(self, device_us: float) -> float:
        return self.model.host_s(device_us)

    async def _notify(self, char: Characteristic, value: bytes) -> None:
        if self.conn is not None:
            await self.device.notify_subscribers(char, value)
            self.notified += 1

    async def _on_control(self, conn: Connection, value: bytes) -> None:
        try:
            msg = gatt.parse_control(value)
        except BlePayloadError as exc:
            log.warning("virtual %s: bad control write: %s", self.name, exc)
            return
        for reply in self.model.handle(msg, 0, self.clock.now()):  # no frame numbers on BLE
            self._spawn(self._notify(self.control_char, gatt.encode_control(reply)))
        if self.model.streaming and self._stream is None:
            self._stream = asyncio.ensure_future(self._run_stream())
        elif not self.model.streaming:
            self._stop_stream()

    def _stop_stream(self) -> None:
        if self._stream is not None:
            self._stream.cancel()
            self._stream = None

    def on_disconnected(self) -> None:
        self.model.stop_streaming()
        self._stop_stream()

    async def _run_stream(self) -> None:
        # Each notification is handed to the radio (a task; they go out in order) without
        # waiting for bumble's round trips: a wearable's radio does not run in the kiosk's
        # process, so a kiosk loop busy drawing (one loop round per frame) must not pace the
        # stream. Awaited one by one, each cost two loop rounds: with ~20 frames/s on a
        # contended core that was fewer than the 11 notifications a second the stream needs,
        # and the samples fell further behind for the whole set (bench.kiosk --pinned-only).
        while self.conn is not None and (due := self.model.next_due_s()) is not None:
            await clock_sleep(self.clock, due - self.clock.now())
            for msg in self.model.due(self.clock.now()):
                if not isinstance(msg, ImuBatch):
                    self._spawn(self._notify(self.control_char, gatt.encode_control(msg)))
                elif self.skip_batches > 0:
                    self.skip_batches -= 1
                else:
                    value = gatt.encode_control(msg)[1:]
                    self._spawn(self._notify(self.batch_char, value))
                    if self.repeat_batches > 0:
                        self.repeat_batches -= 1
                        self._spawn(self._notify(self.batch_char, value))
        self._stream = None

    async def inject(self, value: bytes) -> None:
        """Send raw bytes as an IMU-batch notification (corruption tests)."""
        await self._notify(self.batch_char, value)

    async def set_battery(self, pct: int) -> None:
        self.model.battery_pct = pct
        await self._notify(self.battery_char, bytes([pct]))


class VirtualWitMotion(_Peripheral):
    """A WT901BLE: service 0xFFE5, 0x55 0x61 packets on 0xFFE4, commands on 0xFFE9."""

    def __init__(self, air: VirtualAir, address: str, motion: ImuChunk, clock: Clock, *,
                 name: str = "WT901BLE68", battery_cv: int = 395) -> None:
        super().__init__(air, address, name, motion, clock)
        self.out_rate_hz = 10.0  # the sensor's factory default
        self.battery_cv = battery_cv  # register 0x64, 0.01 V
        self.unlocked = False
        self.calibrating = False
        self.commands: list[tuple[int, int]] = []
        self._stream: asyncio.Task[None] | None = None
        self.notify_char: Characteristic[bytes] = Characteristic(witmotion.WIT_NOTIFY_UUID,
                                                                R.NOTIFY, NONE, b"")
        self.write_char: Characteristic[bytes] = Characteristic(witmotion.WIT_WRITE_UUID,
                                         R.WRITE_WITHOUT_RESPONSE | R.WRITE, RW,
                                         CharacteristicValue(write=self._on_write))
        self.device.add_service(Service(witmotion.WIT_SERVICE_UUID,
                                        [self.notify_char, self.write_char]))
        self.notify_char.on(self.notify_char.EVENT_SUBSCRIPTION, self._on_subscription)

    def advertising_data(self) -> bytes:
        return bytes(AdvertisingData([
            (AdvertisingData.FLAGS, bytes([0x06])),
            (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()),
        ]))

    def _on_subscription(self, conn: Connection, notify: bool, indicate: bool) -> None:
        if notify and self._stream is None:
            self._stream = asyncio.ensure_future(self._run_stream())

    def on_disconnected(self) -> None:
        if self._stream is not None:
            self._stream.cancel()
            self._stream = None

    def _on_write(self, conn: Connection, value: bytes) -> None:
        if bytes(value) == witmotion.UNLOCK:
            self.unlocked = True
            return
        reg, val = witmotion.parse_command(value)
        self.commands.append((reg, val))
        if reg == witmotion.REG_RRATE and self.unlocked:
            self.out_rate_hz = witmotion.rate_from_code(val)
        elif reg == witmotion.REG_CALSW and self.unlocked:
            self.calibrating = bool(val)
        elif reg == witmotion.REG_READ and val == witmotion.REG_BATTERY_V:
            self._spawn(self._notify(witmotion.encode_registers(val, (self.battery_cv,))))

    async def _notify(self, value: bytes) -> None:
        if self.conn is not None:
            await self.device.notify_subscribers(self.notify_char, value)
            self.notified += 1

    async def _run_stream(self) -> None:
        k = 0
        t0 = self.clock.now()
        while self.conn is not None:
            period = 1.0 / self.out_rate_hz
            due = t0 + (k + 1) * period
            await clock_sleep(self.clock, due - self.clock.now())
            acc, gyr = self.sample_at(due)
            g = STANDARD_GRAVITY_M_S2
            await self._notify(witmotion.encode_imu(
                (acc[0] / g, acc[1] / g, acc[2] / g),
                tuple(math.degrees(x) for x in gyr)))  # type: ignore[arg-type]
            k += 1
            if self.out_rate_hz != 1.0 / period:  # rate changed: restart the grid
                k, t0 = 0, self.clock.now()
