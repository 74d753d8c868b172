"""Where a session's samples come from: one spec string, one function that opens it.

``rehab session --source SOURCE`` and the kiosk name a set's sensors the same way and open
them through :func:`open_sources`, so each source is wired once:

============== =========================================================================
``sim``        the simulator (``sensors.sim``) playing the exercise
``ble``        the paired wearables (``rehab pair``; the store's ``wearables``), each a
               supervised link (``sensors.ble.link``): :meth:`SessionSources.supervise`
               gives the :class:`~sensors.live_set.LiveSet` that pauses the set on a
               drop-out, resumes it, ends it when one stays away and keeps the gaps
``serial:PORT`` a wearable on the USB serial bridge (``firmware_bridge``): on a Pi the
               udev name, ``/dev/rehab-imu0`` (hw/udev/99-rehab.rules); its link
               (``firmware_bridge.source_link``) is supervised the same way
``video:FILE`` a camera recording, through pose estimation to the exercise's joint angle
``camera[:N]`` the live camera (index N, default 0), the same way
============== =========================================================================

:func:`~therapy.source_spec.parse_source` (pure, its own module) raises
:class:`SourceSpecError` with the accepted forms; :mod:`therapy.set_end` ends a set on a
live source.
Opening imports the adapter it needs and nothing else (a serial session loads no bumble,
no MediaPipe); its failures are :class:`SourceUnavailable` saying what to do.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from therapy.errors import TherapyError
from therapy.plan import PlanExercise, Side
from therapy.source_spec import SOURCE_FORMS, SourceKind, SourceSpec, SourceSpecError, parse_source

__all__ = ["SOURCE_FORMS", "Placement", "SessionSources", "SourceKind", "SourceOptions",
           "SourceSpec", "SourceSpecError", "SourceUnavailable", "open_sources",
           "parse_source", "pick_source", "segments_for"]

log = logging.getLogger(__name__)

SERIAL_RATE_HZ = 100  # the wearable firmware's default stream rate (hw/protocol/PROTOCOL.md)
BLE_RATE_HZ = 100.0


class SourceUnavailable(TherapyError):
    """A well-formed source that cannot be opened now (no such port, file, wearable)."""


@dataclass(frozen=True, slots=True)
class Placement:
    """One sensor of the session and where it sits (a body segment, or ``camera``)."""

    sensor_id: str
    where: str
    label: str


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """How to open: ``speed`` is the time scale (sim: 0 streams as fast as it can be read,
    else real time x speed; serial: the device's clock runs ``speed`` times faster, as
    ``rehab bridge emulate --speed`` does). ``ble_connector`` makes a connector per
    wearable (default: bleak over BlueZ); ``clock`` is the host clock of the BLE links and
    of the set's supervision; ``ble_policy`` the link policy (back-off, how long a wearable
    may stay away) of the BLE links and of the USB bridge's.
    ``camera_worker`` opens a started pose worker on the live camera (the kiosk's shared
    camera, so a video visit can read it too); None: a ``camera`` source opens its own
    capture (``camera_capture``: camera index -> frame source; None: the live camera read
    from V4L2, ``sensors.camera.capture.open_live_camera``) and MediaPipe model."""

    two_imu: bool = False
    seed: int = 0
    speed: float = 0.0
    clock: Any = None
    ble_connector: Callable[[], Any] | None = None
    ble_policy: Any = None
    serial_rate_hz: int = SERIAL_RATE_HZ
    camera_worker: Callable[[], Any] | None = None
    camera_capture: Callable[[int], Any] | None = None


@dataclass
class SessionSources:
    """One set's sources: ``distal`` (IMU chunks, or the camera's angle chunks),
    ``proximal`` (a second wearable, or None), ``camera`` (with wearables), the
    ``placements``, and for BLE the links a :class:`~sensors.live_set.LiveSet` supervises.
    Run a set as ``ctl.run_set(s.distal, s.proximal, camera=s.camera)``."""

    spec: SourceSpec
    distal: Any
    proximal: Any = None
    placements: tuple[Placement, ...] = ()
    links: list[Any] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    camera: Any = None  # with wearables: the camera's angle source, fused with them

    @property
    def camera_latest(self) -> Callable[[], Any] | None:
        """The newest camera picture and skeleton for a live screen (a camera read through
        a pose worker), else None."""
        for src in (self.camera, self.distal):
            latest = getattr(src, "latest", None)
            if callable(latest):
                return latest  # type: ignore[no-any-return]
        return None

    def supervise(self, control: Any, clock: Any) -> Any:
        """The live set over the wearables' links, BLE or the USB bridge (pause, resume,
        end, gaps), started; None for other sources. ``control`` is the session controller."""
        if not self.links:
            return None
        from sensors.live_set import LiveSet

        live = LiveSet(self.links, control, clock)
        watch = getattr(control, "watch_gaps", None)  # the session's journal keeps each
        if watch is not None:  # outage as it starts and ends (a crash mid-set keeps them)
            watch(live)
        live.start()
        return live

    def silence(self) -> str:
        """Why a live source gave nothing, or "" when it streamed (a wearable connected,
        the serial handshake completed, the camera delivered a frame)."""
        why = ""
        for lk in self.links:
            if lk.connects:
                return ""
            lost = [e.reason for e in lk.events_ if e.reason]
            why = why or (f"the {lk.wearable.segment} wearable never connected"
                          f" ({lost[-1] if lost else 'no answer'}): is Bluetooth on and "
                          "the wearable charged and within 2 m?")
        if self.spec.kind == SourceKind.SERIAL:
            stats = self.distal.session.stats
            if stats.connects:
                return ""
            why = (f"no wearable answered on {self.spec.target} "
                   f"({stats.last_error or 'no handshake'}): is it a rehab wearable?")
        if self.spec.kind == SourceKind.CAMERA and not self.distal.stream.frames_:
            why = f"camera {self.spec.target} delivered no frame"
        return why

    async def aclose(self) -> None:
        for src in (self.distal, self.proximal, self.camera):
            if src is not None:
                await src.aclose()
        for close in self.closers:
            await close()


SERIAL_PORT_GLOB = "rehab-imu*"  # udev's names for a wired wearable (hw/udev/99-rehab.rules)


def pick_source(store: Any, dev_dir: Path = Path("/dev"),
                ex: PlanExercise | None = None) -> SourceSpec:
    """What a kiosk uses with nothing chosen (``--source auto``), for ``ex`` when given:
    the paired wearables when there are any (``rehab pair``), else a wearable plugged
    into USB (the first ``/dev/rehab-imu*`` by name), else the simulator. A camera
    exercise (the catalogue gives it a camera view) with a camera present (the first
    ``/dev/videoN``) adds the camera: fused with the wearables (``ble+camera:N``,
    ``serial:PORT+camera:N``), or the camera alone in place of the simulator."""
    from therapy.devices import WearableRegistry

    if WearableRegistry(store).all():
        wearables = SourceSpec(SourceKind.BLE)
    elif ports := sorted(dev_dir.glob(SERIAL_PORT_GLOB)):
        wearables = SourceSpec(SourceKind.SERIAL, str(ports[0]))
    else:
        wearables = SourceSpec(SourceKind.SIM)
    camera = _camera_for(ex, dev_dir) if ex is not None else None
    if camera is None:
        return wearables
    if wearables.kind == SourceKind.SIM:
        return camera
    return SourceSpec(wearables.kind, wearables.target, camera)


def _camera_for(ex: PlanExercise, dev_dir: Path) -> SourceSpec | None:
    """The camera ``ex`` is measured with: the lowest-numbered camera node (a Pi's codec and
    ISP nodes are none), when the catalogue says a camera measures the exercise (None
    otherwise, or with no camera)."""
    if ex.exercise.camera_joint is None:
        return None
    from sensors.camera.v4l2_nodes import cameras  # one rule with the kiosk's camera

    found = [int(p.name[5:]) for p in cameras(dev_dir) if p.name[5:].isdigit()]
    return SourceSpec(SourceKind.CAMERA, str(found[0])) if found else None


def segments_for(ex: PlanExercise, two_imu: bool) -> tuple[str, str | None]:
    """(distal segment, proximal segment or None) a wearable set of ``ex`` needs: the
    plan's sensors, the catalogue's distal one first; a second when the plan lists two or
    ``two_imu`` asks for it."""
    cat = ex.exercise
    listed = [str(s) for s in ex.sensors]
    distal = str(cat.distal) if str(cat.distal) in listed or not listed else listed[-1]
    if not (two_imu or ex.two_imu):
        return distal, None
    others = [s for s in listed if s != distal]
    return distal, others[0] if others else str(cat.proximal)


def open_sources(spec: SourceSpec, ex: PlanExercise, store: Any,
                 options: SourceOptions = SourceOptions()) -> SessionSources:
    """The source(s) of one set of ``ex`` on ``spec`` (see the module doc). ``store`` is
    the device's :class:`~therapy.store.TherapyStore` (paired wearables)."""
    match spec.kind:
        case SourceKind.SIM:
            opened = _sim(spec, ex, options)
        case SourceKind.BLE:
            opened = _ble(spec, ex, store, options)
        case SourceKind.SERIAL:
            opened = _serial(spec, ex, options)
        case _:
            return _camera(spec, ex, options)
    if spec.camera is not None:
        try:
            cam = _camera(spec.camera, ex, options)
        except BaseException:
            _close_unstarted(opened)
            raise
        opened.camera = cam.distal
        opened.placements += cam.placements
    return opened


def _close_unstarted(opened: SessionSources) -> None:
    """Sources built but never iterated hold nothing but BLE links' bookkeeping: drop
    them (a camera that failed to open ends the whole opening)."""
    for lk in opened.links:
        lk.stop()


def _sim(spec: SourceSpec, ex: PlanExercise, o: SourceOptions) -> SessionSources:
    from sensors.sim import SimConfig, SimError, sim_sources

    try:
        distal, proximal = sim_sources(
            SimConfig(exercise_id=ex.exercise_id, reps=ex.reps, seed=o.seed,
                      two_segment=o.two_imu or ex.two_imu),
            realtime=o.speed > 0, speed=o.speed or 1.0)
    except SimError as exc:
        raise SourceUnavailable(str(exc)) from exc
    places = tuple(Placement(s.info.sensor_id, str(s.info.segment), "simulated")
                   for s in (distal, proximal) if s is not None)
    return SessionSources(spec, distal, proximal, places)


def _serial(spec: SourceSpec, ex: PlanExercise, o: SourceOptions) -> SessionSources:
    from firmware_bridge.session import BridgeSession
    from firmware_bridge.source import BridgeSource
    from firmware_bridge.source_link import BridgeLink, WiredWearable
    from protocol.clock import MonotonicClock, ScaledClock
    from protocol.host import StreamConfig
    from sensors.link_events import LinkPolicy
    from sensors.types import BodySegment, SourceInfo

    port = spec.target
    if not Path(port).exists():
        raise SourceUnavailable(f"serial port {port} not found: is the wearable plugged in? "
                                "(on the kiosk it is /dev/rehab-imu0, see hw/udev)")
    clock = ScaledClock(o.speed) if o.speed > 0 else MonotonicClock()
    segment = BodySegment(segments_for(ex, False)[0])
    session = BridgeSession(port, config=StreamConfig(rate_hz=o.serial_rate_hz), clock=clock)
    info = SourceInfo(f"serial:{port}", segment, float(o.serial_rate_hz), f"USB wearable {port}")
    # supervised like a BLE wearable (the set's LiveSet): the link's events are stamped on
    # the supervisor's clock, the session keeps its own (the device's time mapping)
    link = BridgeLink(WiredWearable(info.sensor_id, str(segment), info.label),
                      o.clock or MonotonicClock(), o.ble_policy or LinkPolicy(),
                      lambda: session.stats.battery_pct)
    return SessionSources(spec, BridgeSource(session, info, link),
                          placements=(Placement(info.sensor_id, str(segment), info.label),),
                          links=[link])


def _ble(spec: SourceSpec, ex: PlanExercise, store: Any, o: SourceOptions) -> SessionSources:
    from protocol.clock import MonotonicClock
    from sensors.ble.connector import BleakConnector
    from sensors.ble.drivers import RehabImuDriver, WitMotionDriver
    from sensors.ble.link import DEFAULT_POLICY, WearableLink
    from sensors.ble.ports import Wearable, WearableKind
    from sensors.ble.source import BleSource
    from sensors.types import BodySegment
    from therapy.devices import WearableRegistry

    paired = {r[3]: r for r in WearableRegistry(store).all()}
    clock = o.clock or MonotonicClock()
    sources: list[Any] = []
    for seg in segments_for(ex, o.two_imu):
        if seg is None:
            continue
        if seg not in paired:
            have = ", ".join(sorted(paired)) or "none"
            raise SourceUnavailable(f"{ex.exercise_id} needs a wearable on the {seg}; paired: "
                                    f"{have}. Pair one with `rehab pair`")
        addr, name, kind = paired[seg][:3]
        driver: Any = (RehabImuDriver(clock) if kind == WearableKind.REHAB_IMU
                       else WitMotionDriver(clock, BLE_RATE_HZ))
        connector = o.ble_connector() if o.ble_connector else BleakConnector()
        w = Wearable(addr, name, WearableKind(kind), BodySegment(seg))
        link = WearableLink(w, driver, connector, clock=clock,
                            policy=o.ble_policy or DEFAULT_POLICY)
        sources.append(BleSource(link, BLE_RATE_HZ))
    places = tuple(Placement(s.info.sensor_id, str(s.info.segment), s.info.label)
                   for s in sources)
    return SessionSources(spec, sources[0], sources[1] if len(sources) > 1 else None, places,
                          links=[s.link for s in sources])


def _camera(spec: SourceSpec, ex: PlanExercise, o: SourceOptions) -> SessionSources:
    from sensors.camera import CameraError
    from sensors.camera.angles import CameraJoint
    from sensors.camera.capture import open_live_camera
    from sensors.camera.framing import view_of_plane
    from sensors.camera.pose import MediaPipePose
    from sensors.camera.source import CameraSource
    from sensors.camera.stream import CameraAngleStream

    cat = ex.exercise
    side = str(ex.side) if ex.side in (Side.LEFT, Side.RIGHT) else "right"
    try:
        joint = CameraJoint.of(str(cat.joint), side)
    except CameraError as exc:
        raise SourceUnavailable(f"the camera cannot measure {ex.exercise_id} "
                                f"({cat.joint}): use a wearable") from exc
    stream = CameraAngleStream(joint, sign=cat.movement_sign, view=view_of_plane(cat.plane))
    source: Any  # a CameraSource, or the kiosk's shared worker's WorkerAngleSource
    try:
        if spec.kind == SourceKind.VIDEO:
            path = Path(spec.target)
            if not path.is_file():
                raise SourceUnavailable(f"video file {path} not found")
            source = CameraSource.open_video(path, stream, sensor_id=f"video:{path.name}")
        elif o.camera_worker is not None:  # the kiosk's shared camera and its pose worker
            from sensors.camera.worker_source import WorkerAngleSource

            source = WorkerAngleSource(o.camera_worker(), stream,
                                       sensor_id=f"camera:{spec.target}")
        else:
            frames = (o.camera_capture or open_live_camera)(int(spec.target))
            try:
                source = CameraSource(frames, MediaPipePose(video=True), stream,
                                      sensor_id=f"camera:{spec.target}")
            except BaseException:
                frames.close()
                raise
    except CameraError as exc:
        raise SourceUnavailable(str(exc)) from exc
    return SessionSources(spec, source, placements=(
        Placement(source.info.sensor_id, "camera", f"camera, {joint.value}"),))


def placement_rows(sources: SessionSources) -> Sequence[dict[str, str]]:
    """The placements as JSON-ready rows (``rehab session --json``)."""
    return [{"sensor_id": p.sensor_id, "where": p.where, "label": p.label}
            for p in sources.placements]
