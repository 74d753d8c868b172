"""``bench.kiosk``'s runs on a Pi's budget: the whole kiosk in one process pinned to one core
(``taskset -c 0``), a live set on the live screen at 800x480, through the same source path
the kiosk uses (``KioskModel``'s default sources: ``therapy.sources.pick_source`` per set).

- ``wearables``: two paired wearables (thigh, shank) simulated as bumble virtual wearables
  reached by unmodified bleak (``sensors.ble.virtual``) at real speed: a supervised BLE set.
  The virtual radio runs in the measured process (on a Pi, BlueZ and the wearables' own
  radios do that work outside it).
- ``camera``: a camera exercise with a paired wearable (the shank) and a camera present:
  the kiosk picks ``ble+camera:0``, fused. The camera is the kiosk's shared camera and pose
  worker (``SharedCamera.open_pose``: capture hub, grab and inference threads) over a paced
  stand-in capture of two 640x480 photos of people (Debian opencv-doc's basketball1/2.png);
  the real MediaPipe model estimates every frame it has time for (its cost and memory), and
  the landmarks handed on are a seated patient side-on doing knee extensions (no recorded
  patient video is shipped), so the fusion has the joint in view.
- ``camera-wired``: the same camera exercise (same plan, stand-in camera, pose model,
  fusion) with its wearable the wired one on the USB bridge instead: nothing paired, the
  kiosk picks ``serial:DEV/rehab-imu0+camera:0``. The wearable is the firmware emulator in
  its own process on a pty named as udev names the bridge (``bench.wired_wearable``), in
  real time; that process stands for the wearable's microcontroller and is not pinned to
  CPU 0. The measured process loads no bumble (checked): as on a Pi, where BlueZ and the
  radios run outside the kiosk, nothing of the radio is in it.

As deployed, the kiosk has its clinic: a Mosquitto broker and ``rehab clinic serve`` on
loopback (``bench.loopback_clinic``), in their own processes on the other cores, and the
kiosk's data folder configured for them, so its MQTT link (paho, the outbox drainer, the
live feed) is in the measured process (+7-8 MB against the kiosk offline).

Measured once the set streams: UI frame intervals (buffer flips with the live screen
redrawn every frame), rep confirmation delay (host clock at the REP event minus the rep's
end on the same clock), CPU % of the process over the window (100 % = the one core), peak
RSS (VmHWM: the whole process's, and apart the start-up's, a transient before the first
frame, and the peak after it) and what the largest loaded packages are.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.process_memory import (
    biggest_packages,
    renderer_file_mb,
    reset_peak,
    resident_by_mapping,
    resident_by_path,
    status_mb,
)

PHOTOS = Path("/usr/share/doc/opencv-doc/examples/data")
SHANK, THIGH = "F1:00:00:00:00:01", "F1:00:00:00:00:02"
EX = "knee_extension_seated"


def plan(two: bool, reps: int) -> dict[str, Any]:
    return {"plan_id": "bench", "version": 1, "valid_from": "2026-01-01T00:00:00Z",
            "valid_until": "2099-01-01T00:00:00Z",
            "exercises": [{"exercise_id": EX, "side": "right", "sets": 1, "reps": reps,
                           "sensors": ["thigh", "shank"] if two else ["shank"]}]}


def seated_knee(t_s: float, flex_deg: float, w: int = 640, h: int = 480) -> Any:
    """A seated patient seen from the right at knee flexion ``flex_deg`` (all 33 points)."""
    from sensors.camera.landmarks import N_LANDMARKS, PoseFrame
    from sensors.camera.landmarks import Landmark as L

    hip = np.array([250.0, 260.0])
    knee = hip + [130.0, 0.0]
    th = np.radians(flex_deg)
    ankle = knee + 120.0 * np.array([np.cos(th), np.sin(th)])
    shoulder = hip + [0.0, -150.0]
    xy = np.tile(shoulder + [25.0, -45.0], (N_LANDMARKS, 1))
    for left, right, p in ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER, shoulder),
                           (L.LEFT_HIP, L.RIGHT_HIP, hip), (L.LEFT_KNEE, L.RIGHT_KNEE, knee),
                           (L.LEFT_ANKLE, L.RIGHT_ANKLE, ankle),
                           (L.LEFT_HEEL, L.RIGHT_HEEL, ankle + [-8.0, 6.0]),
                           (L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX, ankle + [18.0, 0.0]),
                           (L.LEFT_ELBOW, L.RIGHT_ELBOW, shoulder + [20.0, 80.0]),
                           (L.LEFT_WRIST, L.RIGHT_WRIST, shoulder + [80.0, 110.0])):
        xy[left], xy[right] = p - [3.0, 0.0], p + [3.0, 0.0]
    return PoseFrame(t_s, xy, np.full(N_LANDMARKS, 0.98), w, h)


class PacedPhotos:
    """A live camera stand-in: the photos in turn at ``fps`` real time, host-clock times."""

    def __init__(self, images: list[np.ndarray], fps: float = 30.0) -> None:
        self.images, self.fps = images, fps
        self._next = time.monotonic()
        self._n = 0
        self._closed = False

    def read(self) -> tuple[float, np.ndarray] | None:
        if self._closed:
            return None
        self._next += 1.0 / self.fps
        time.sleep(max(0.0, self._next - time.monotonic()))
        self._n += 1
        return time.monotonic(), self.images[self._n % len(self.images)]

    def close(self) -> None:
        self._closed = True


class ModelThenSkeleton:
    """The real MediaPipe model on every frame (its cost), then the seated patient with the
    knee where the simulated wearable's movement has it at that time (``truth``: the
    simulator's angle from rest; ``t0``: the host time its motion started, set once the
    wearable streams; at rest before) as the landmarks handed on."""

    truth_t: np.ndarray = np.zeros(1)
    truth_deg: np.ndarray = np.zeros(1)
    t0: float | None = None
    rss_mb: dict[str, float] = {}  # the process's RSS around the model's load and 1st frame

    def __init__(self) -> None:
        from sensors.camera.pose import MediaPipePose

        ModelThenSkeleton.rss_mb.setdefault("before_pose", status_mb()["VmRSS"])
        self.model = MediaPipePose(video=True)
        ModelThenSkeleton.rss_mb.setdefault("pose_loaded", status_mb()["VmRSS"])
        self.seen_ = 0

    def estimate(self, image: np.ndarray, t_s: float) -> Any:
        if self.model.estimate(image, t_s) is not None:
            self.seen_ += 1
        ModelThenSkeleton.rss_mb.setdefault("pose_first_frame", status_mb()["VmRSS"])
        t0 = ModelThenSkeleton.t0
        lift = 0.0 if t0 is None else float(np.interp(t_s - t0, self.truth_t, self.truth_deg))
        return seated_knee(t_s, 90.0 - lift)  # seated at 90 degrees of flexion, extending

    def close(self) -> None:
        self.model.close()


def photos() -> list[np.ndarray]:
    """The two photos as BGR frames, as a camera read hands them on. Read with Pillow, which
    Kivy has loaded already, not OpenCV: the kiosk's live camera does not load cv2 (~28 MB),
    so neither may its stand-in."""
    from PIL import Image

    paths = [PHOTOS / n for n in ("basketball1.png", "basketball2.png")]
    if not all(p.is_file() for p in paths):
        raise SystemExit(f"photos missing in {PHOTOS}: apt-get install opencv-doc")
    images = []
    for path in paths:
        with Image.open(path) as im:
            images.append(np.ascontiguousarray(np.asarray(im.convert("RGB"))[:, :, ::-1]))
    return images


def child(mode: str, size: str, set_s: float) -> dict[str, Any]:
    from kiosk.headless import prepare_env
    from sensors.glibc_heap import limit_heap_growth

    limit_heap_growth()  # as rehab kiosk does first
    tmp = Path(tempfile.mkdtemp(prefix="bench-kiosk-pinned-"))
    prepare_env(tmp / "kivy", offscreen=True)
    from kiosk.kivy_setup import configure_kivy

    w, h = (int(v) for v in size.split("x"))
    configure_kivy((w, h), fullscreen=False, pi=False)
    from datetime import UTC, datetime

    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.graphics.opengl import glFinish

    from bench.loopback_clinic import LoopbackClinic
    from bench.rep_delay import RepDelayProbe
    from kiosk.adapters.audio import AudioCues
    from kiosk.adapters.camera import SharedCamera
    from kiosk.model import KioskModel
    from kiosk.ui.app import KioskApp
    from protocol.clock import MonotonicClock
    from sensors.ble.ports import Wearable, WearableKind
    from sensors.sim import SimConfig, simulate
    from sensors.types import BodySegment
    from therapy.devices import WearableRegistry
    from therapy.plan import parse_plan
    from therapy.ports import EventKind
    from therapy.sources import SourceOptions

    wired = mode == "camera-wired"  # the wired wearable: no virtual radio at all
    radio_imports_mb = 0.0
    if wired:
        from bench import wired_wearable
    else:
        rss_before_radio = status_mb()["VmRSS"]  # the bench's virtual radio (bumble) comes next:
        from sensors.ble.virtual.world import VirtualWearables  # on a Pi, BlueZ and the radio

        radio_imports_mb = status_mb()["VmRSS"] - rss_before_radio

    camera = mode in ("camera", "camera-wired")
    reps = int(set_s // 4) + 4  # more than the window holds: the set runs throughout
    clock = MonotonicClock()
    out: dict[str, Any] = {"mode": mode, "cpus": sorted(os.sched_getaffinity(0))}
    world: Any = None
    dev = tmp / "dev"
    dev.mkdir()
    images = photos() if camera else []  # missing photos stop the child before it starts
    # The emulator and the clinic stop at this process's exit however it ends (atexit in
    # wired_wearable.start and LoopbackClinic), and at once when the set is done (below).
    emulator = None
    if wired:  # plugged in before the kiosk starts: it picks the bridge (none is paired)
        emulator, _link = wired_wearable.start(dev, reps, tmp / "motion_t0.json",
                                               tmp / "emulator.log")
    # As deployed, the kiosk has its clinic: a broker and a clinic server on loopback, in
    # their own processes (not pinned, not measured), so its MQTT link (paho, the outbox
    # drainer, live events to the clinic) is in the process measured.
    clinic = LoopbackClinic(tmp / "clinic", tls=True,  # a deployed kiosk's link is TLS
                            cpus=set(range(os.cpu_count() or 1)) - set(os.sched_getaffinity(0)))
    clinic.configure(tmp / "data", "bench-kiosk")
    model = KioskModel(tmp / "data", dev_dir=dev, source_options=SourceOptions(
        clock=clock) if wired else SourceOptions(ble_connector=lambda: world.connector(),
                                                 clock=clock))
    if camera:
        (dev / "video0").touch()
        model.shared_camera = SharedCamera(dev_dir=dev, capture=lambda _d: PacedPhotos(images),
                                           pose=ModelThenSkeleton)
        model.camera = model.shared_camera.open_pose
    model.access.save_pin("2580", first_run=True)
    p = plan(not camera, reps)
    model.store.save_plan(parse_plan(p), json.dumps(p), datetime.now(UTC))
    app = KioskApp(model, audio=AudioCues(enabled=False))

    async def drive() -> None:
        await app.first_frame.wait()
        up = status_mb()
        out["rss_first_frame"] = up["VmRSS"]  # the kiosk up, before any set
        out["hwm_start_up"] = up["VmHWM"]  # start-up's peak (a transient before the frame)
        reset_peak()  # from here VmHWM is the peak of the screens and the set
        sim = simulate(SimConfig(exercise_id=EX, reps=reps, seed=0, two_segment=not camera,
                                 drop_prob=0.0))
        ModelThenSkeleton.truth_t, ModelThenSkeleton.truth_deg = (sim.truth.angle_t_s,
                                                                  sim.truth.angle_deg)
        reg = WearableRegistry(model.store)
        wearables = [(SHANK, BodySegment.SHANK, sim.distal)]
        if not camera:
            wearables.append((THIGH, BodySegment.THIGH, sim.proximal))
        for addr, seg, motion in wearables if not wired else ():
            await world.add(addr, str(seg), motion)
            reg.remember(Wearable(addr, world.devices[str(seg)].name, WearableKind.REHAB_IMU,
                                  seg), 80)
        if not wired:
            model.wearables_changed()
        model.lock.locked = False
        flow = app.flow
        flow.go("today")
        flow.start_exercise(model.plan()[0].exercises[0])
        # where delays go; the wired limb starts at the first START: known once it streams
        probe = RepDelayProbe(clock.now, [r.t_end for r in sim.truth.reps], float("nan")
                              if wired else world.devices["shank"].model.motion_t0_s)
        model.run.ctl.fused_factory = probe.fused_factory(model.run.ctl.fused_factory)
        app.screens["pain"].choose(2)
        flow.pain_done()
        flow.begin_set()
        if flow.current == "camera_setup":  # the camera set-up gate: the patient taps Done
            flow.touch()  # a touch, as the tap on Start was (else the kiosk locks)
            await asyncio.sleep(1.0)
            flow.touch()
            flow.close_camera_setup()
        run = model.run
        assert run is not None and flow.current == "live", (flow.current, run and run.error)
        out["source"] = str(model.sources.spec_for(run.ex))  # type: ignore[attr-defined]
        end = time.monotonic() + 30
        while not (run.live.sensors and all(s.connected for s in run.live.sensors)
                   and run.analyzer is not None and getattr(run.analyzer, "samples_", 0)):
            assert time.monotonic() < end, ("the set never streamed", run.live.sensors,
                                            run.error)
            await asyncio.sleep(0.05)
        if wired:  # the emulator's motion start, on this clock (its process's monotonic)
            probe.motion_t0, boot_s = wired_wearable.motion_start(
                tmp / "motion_t0.json", [r.t_end for r in sim.truth.reps])
        # the limb moves from the wearable's switch-on (its samples follow it from then), so
        # the camera sees the same limb at the same time (its connection was 1.3 s later)
        ModelThenSkeleton.t0 = probe.motion_t0
        await asyncio.sleep(1.0)  # settle
        delays: list[float] = []
        detect: list[float] = []  # the motion core's own part: detected minus end, data time

        def on_rep(ev: Any) -> None:
            if ev.kind == EventKind.REP and ev.rep is not None:
                delays.append(clock.now() - ev.rep.t_end)
                detect.append(ev.rep.t_detected - ev.rep.t_end)

        run.ctl.add_listener(on_rep)
        if wired:  # the bridge's chunks reach the loop through its source's queue
            probe.watch_queue(run._open[0]._queue)
        else:
            probe.watch_link(run._open[0].link)
        probe.watch_detector(run.analyzer)
        run.ctl.add_listener(probe.on_event)
        flips: list[float] = []
        Window.bind(on_flip=lambda *_: (glFinish(), flips.append(time.perf_counter())))
        Window.bind(on_flip=probe.on_flip)  # called first (the one above stops the rest)
        Clock.schedule_interval(lambda _dt: Window.canvas.ask_update(), 0)
        cams = [src for src in run._open if hasattr(src, "worker")]  # the set's camera
        n0 = cams[0].frames_ if cams else 0
        cpu0, wall0 = os.times(), time.perf_counter()
        await asyncio.sleep(set_s)
        cpu1, wall1 = os.times(), time.perf_counter()
        dts = sorted((b - a) * 1000 for a, b in zip(flips, flips[1:]))
        out.update(frames=len(dts), median_ms=statistics.median(dts),
                   p99_ms=dts[int(0.99 * (len(dts) - 1))],
                   fps=len(dts) / (flips[-1] - flips[0]),
                   delays_s=delays, detect_s=detect, cpu_pct=100 * ((cpu1.user - cpu0.user)
                                                  + (cpu1.system - cpu0.system))
                   / (wall1 - wall0), reps=run.live.reps_total, error=run.error)
        out["delay_parts"] = probe.summary()
        if cams:  # the pose worker's rate: frames it estimated (others dropped as stale)
            out["pose_fps"] = (cams[0].frames_ - n0) / (wall1 - wall0)
        out.update(status_mb())
        out["hwm_after_start_up"] = out["VmHWM"]
        out["VmHWM"] = max(out["VmHWM"], out["hwm_start_up"])  # the process's whole peak
        if camera:
            out["rss_pose"] = dict(ModelThenSkeleton.rss_mb)
        rss = resident_by_path()
        out["biggest"] = biggest_packages(rss)
        out["renderer_file_mb"] = renderer_file_mb(rss)
        out["resident_by_mapping"] = resident_by_mapping(rss)
        out["radio_imports_mb"] = round(radio_imports_mb, 1)
        out["cv2_loaded"] = "cv2" in sys.modules
        out["bumble_loaded"] = "bumble" in sys.modules
        if wired:
            out["serial"] = wired_wearable.wire_figures(run._open[0].session, boot_s)
        out["modules"] = len(sys.modules)
        out["clinic_link"] = model.clinic.status_text()
        if wired:  # the set ended, not cancelled, by the app's stop (wired_wearable.end_set);
            out.update(delays_s=delays[:], detect_s=detect[:])  # a rep its end flushes: not
            await wired_wearable.end_set(run)  # confirmed live, not measured
        app.stop()

    async def main() -> None:
        nonlocal world
        if not wired:
            world = VirtualWearables(clock)  # bumble wants the running loop
        task = asyncio.ensure_future(drive())
        task.add_done_callback(lambda t: t.cancelled() or t.exception() is None or app.stop())
        await app.async_run(async_lib="asyncio")  # a failed drive stops it: no hung child
        await task
        if world is not None:
            await world.close()

    try:
        asyncio.run(main())
        model.close()
    finally:
        clinic.stop()
        if emulator is not None:
            wired_wearable.end_process(emulator)
    assert not (wired and out["bumble_loaded"]), "the wired kiosk loaded bumble"
    return out


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], sys.argv[2], float(sys.argv[3]))))
