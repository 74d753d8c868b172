"""The wired wearable of ``bench.kiosk_pinned``'s ``camera-wired`` mode: the firmware
emulator (``firmware_bridge.emulator``, what ``rehab bridge emulate`` serves) in its own
process, on a pty linked where udev names a plugged-in USB bridge (``DEV/rehab-imu0``),
streaming the bench's simulated set in real time (speed 1).

It stands for the wearable's own microcontroller, so it is not pinned to the kiosk's CPU 0:
it runs on the other cores (on CPU 0 only on a one-core machine). What the kiosk does with
the wire (pyserial reads, framing, CRC, the clock mapping) runs in the measured process.

Its clock is the host's monotonic clock itself (``CLOCK_MONOTONIC`` is one clock for
every process), so the time its simulated limb starts moving (``DeviceModel.motion_t0_s``,
the first START) is on the kiosk's clock, as a BLE virtual wearable's is: it writes that
time, with the rep ends of its simulation, to a JSON file once the kiosk starts the stream.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from protocol.clock import ScaledClock

EX = "knee_extension_seated"


class HostClock(ScaledClock):
    """The host's monotonic clock (speed 1): the emulator's times are the kiosk's."""

    def __init__(self) -> None:
        super().__init__(1.0)

    def now(self) -> float:
        return time.monotonic()


def sim_config(reps: int) -> Any:
    """The bench's one-wearable set (``bench.kiosk_pinned``: seed 0, no drops)."""
    from sensors.sim import SimConfig

    return SimConfig(exercise_id=EX, reps=reps, seed=0, two_segment=False, drop_prob=0.0)


def serve(link: Path, reps: int, t0_file: Path) -> None:
    """Serve the emulated wearable on ``link`` until killed or its parent (the kiosk) is
    gone (a bench child killed on its time-out leaves no emulator behind); write
    ``t0_file`` when its motion starts."""
    from firmware_bridge.emulator import FirmwareEmulator
    from sensors.sim import simulate

    parent = os.getppid()
    sim = simulate(sim_config(reps))
    emu = FirmwareEmulator(sim.distal, rate_hz=100, link_path=link, clock=HostClock())
    with emu:
        while emu.model.motion_t0_s is None:
            if os.getppid() != parent:
                return
            time.sleep(0.002)
        tmp = t0_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"motion_t0_s": emu.model.motion_t0_s,
                                   "boot_s": emu.model.boot_s,  # its clock read 0 (no drift)
                                   "true_ends": [r.t_end for r in sim.truth.reps],
                                   "cpus": sorted(os.sched_getaffinity(0))}))
        tmp.replace(t0_file)
        while os.getppid() == parent:
            time.sleep(0.5)


def start(dev: Path, reps: int, t0_file: Path, log: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """The emulator's process and its link (``dev/rehab-imu0``, there once it serves)."""
    link = dev / "rehab-imu0"
    with log.open("wb") as err:
        emu = subprocess.Popen([sys.executable, "-m", "bench.wired_wearable", str(link),
                                str(reps), str(t0_file)], stdout=err, stderr=err)
    atexit.register(end_process, emu)  # however the caller ends: no emulator left running
    deadline = time.monotonic() + 20
    while not link.exists():
        if emu.poll() is not None or time.monotonic() > deadline:
            emu.kill()
            raise SystemExit(f"the wearable emulator made no link:\n{log.read_text()[-2000:]}")
        time.sleep(0.02)
    return emu, link


def end_process(proc: subprocess.Popen[bytes]) -> None:
    """The emulator ended (again: a no-op)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def motion_start(t0_file: Path, true_ends: list[float],
                 timeout_s: float = 10.0) -> tuple[float, float]:
    """The emulated limb's motion start and the device clock's zero, on the host clock
    (from its process), after checking it plays the same rep ends as ``true_ends``."""
    deadline = time.monotonic() + timeout_s
    while not t0_file.exists():
        assert time.monotonic() < deadline, "the emulator never saw a START"
        time.sleep(0.01)
    got = json.loads(t0_file.read_text())
    assert got["true_ends"] == true_ends, "the emulator plays another simulation"
    assert 0 not in got["cpus"] or os.cpu_count() == 1, got["cpus"]
    return float(got["motion_t0_s"]), float(got["boot_s"])


def wire_figures(session: Any, boot_s: float) -> dict[str, Any]:
    """The kiosk's side of the wire (its ``BridgeSession``), and the error of its
    device-to-host clock mapping now (``boot_s``: the emulator's device clock zero on the
    host clock): the error in the samples' times, hence in the rep delays."""
    st = session.stats
    dev_s = time.monotonic() - boot_s
    mapped = session.mapper.to_host(dev_s * 1e6)
    return {"samples": st.samples, "samples_lost": st.samples_lost,
            "crc_errors": st.decoder.crc_errors, "frames_lost": st.decoder.lost,
            "rtt_ms": round(st.rtt_ms, 3), "reconnects": st.reconnects,
            "mapping_error_ms": round(1000 * (mapped - boot_s - dev_s), 3)}


async def end_set(run: Any, timeout_s: float = 20.0) -> None:
    """End a kiosk's running set as reaching its target does (``ExerciseRun.end_set``: its
    sources closed), so that stopping the app does not cancel it mid-set. A cancelled
    camera + wearable set can hang for ever on Python 3.11: ``asyncio.wait_for`` in
    ``sensors.camera.worker_source.WorkerAngleSource.__anext__`` returns the frame that
    came in the same moment instead of raising the cancellation, so the set's
    ``CameraFeed`` task reads on, and the set awaits it (seen in 6 of 9 camera-wired
    children of 30 s; 0 of 7 once ended first; the figures are all taken before)."""
    import asyncio

    run.end_set()
    end = time.monotonic() + timeout_s
    while run.task is not None and not run.task.done():
        assert time.monotonic() < end, "the set did not end"
        await asyncio.sleep(0.05)


if __name__ == "__main__":
    cpus = set(range(os.cpu_count() or 1)) - {0}  # not the kiosk's core (the wearable's MCU)
    os.sched_setaffinity(0, cpus or {0})
    serve(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
