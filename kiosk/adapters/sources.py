"""Where a set's samples come from, picked for each set as ``rehab session`` picks them
(``therapy.sources.pick_source``, :class:`PickedSources`): the paired wearables (a
supervised BLE live set), else a wearable on the USB bridge (``/dev/rehab-imu*``, serial),
else the simulator in real time, labelled "Demo sensors" everywhere it shows; a camera
exercise with a camera present adds the camera (fused with the wearables, or alone in place
of the simulator), read through the kiosk's shared camera and its pose worker. Live sets are
opened through ``therapy.sources.open_sources``, so each source is wired once for the CLI
and the kiosk."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kiosk.errors import KioskError
from kiosk.i18n import _
from kiosk.vm.live import SensorStatus, placement_name
from sensors.source import SampleSource
from therapy.plan import PlanExercise

log = logging.getLogger(__name__)

StatusFn = Callable[[], tuple[SensorStatus, ...]]
LinkListener = Callable[[Any], None]  # takes a sensors.link_events.LinkEvent


class SourceMissing(KioskError):
    """The set's source cannot be opened now (no such port, a placement with no
    wearable); the message says what to do."""


class SourceFactory(Protocol):
    """Opens one set's sources (:class:`OpenSet`); ``demo`` when they are simulated."""

    demo: bool

    def open(self, ex: PlanExercise, set_no: int) -> OpenSet: ...


@dataclass
class OpenSet:
    """One set's sources: ``distal``, ``proximal`` (or None), ``status`` (the sensors'
    state for the live screen, read every frame) and, when opened through
    ``therapy.sources``, the :class:`~therapy.sources.SessionSources` and their clock.
    ``demo``: simulated (the set ends by itself). :meth:`supervise` as the set starts,
    :meth:`close` after it ran."""

    distal: SampleSource
    proximal: SampleSource | None
    status: StatusFn
    sources: Any = None  # therapy.sources.SessionSources
    clock: Any = None  # the BLE links' host clock
    live: Any = None  # the supervised sensors.live_set.LiveSet while the set runs
    gaps: list[Any] = field(default_factory=list)  # the wearables' outages, once closed
    demo: bool = False
    _gone: set[str] = field(default_factory=set)

    @property
    def camera(self) -> Any:
        """With wearables: the camera's angle source, fused with them (else None)."""
        return None if self.sources is None else self.sources.camera

    @property
    def camera_latest(self) -> Callable[[], Any] | None:
        """The newest camera picture and skeleton for the live screen, if a camera reads."""
        return None if self.sources is None else self.sources.camera_latest

    def supervise(self, control: Any, on_link: LinkListener) -> None:
        """Paired wearables: pause ``control`` (the session controller) while one is away,
        resume when all are back, end the set when one stays away; every link event
        (lost, back, battery low, gone) also goes to ``on_link``. Others: nothing."""
        if self.sources is None:
            return
        self.live = self.sources.supervise(control, self.clock)
        if self.live is None:
            return
        for lk in self.sources.links:
            lk.listeners.append(lambda ev: self._on_link(ev, on_link))
        self.live.listeners.append(lambda a: self._on_action(a, on_link))

    def _on_link(self, ev: Any, on_link: LinkListener) -> None:
        if str(ev.kind) == "gone":
            if ev.segment in self._gone:
                return
            self._gone.add(ev.segment)
        on_link(ev)

    def _on_action(self, action: Any, on_link: LinkListener) -> None:
        """The live set ended because a wearable stayed away longer than the link policy
        allows: the same "gone" a link gives when it gives up itself."""
        from sensors.link_events import LinkEvent, LinkEventKind

        if str(action.kind) != "end":
            return
        for lk in self.sources.links:
            if lk.wearable.sensor_id == action.sensor_id:
                seg = str(lk.wearable.segment)
                self._on_link(LinkEvent(action.sensor_id, seg, LinkEventKind.GONE,
                                        self.clock.now(), action.message), on_link)

    async def close(self, gap_sink: Any, session_id: str, set_no: int) -> list[Any]:
        """After the set: its wearables' gaps saved with it (``gap_sink.save_gaps``), the
        sources closed. A store fault is logged, never raised into the UI loop."""
        from therapy.errors import StorageError

        if self.live is not None:
            try:
                self.gaps = await self.live.close(gap_sink, session_id, set_no)
            except StorageError as exc:
                log.error("wearable gaps of %s set %d not saved: %s", session_id, set_no,
                          exc)
            self.live = None
        if self.sources is not None:
            await self.sources.aclose()
        return self.gaps


class SimSourceFactory:
    """Simulated wearables (``sensors.sim``), streamed in real time x ``speed``."""

    demo = True

    def __init__(self, speed: float = 1.0, seed: int = 0) -> None:
        self.speed = speed
        self.seed = seed

    def open(self, ex: PlanExercise, set_no: int) -> OpenSet:
        from sensors.sim import SimConfig, sim_sources

        cfg = SimConfig(exercise_id=ex.exercise_id, reps=ex.reps, seed=self.seed + set_no,
                        two_segment=ex.two_imu, rom_deg=ex.target_rom_deg, hold_s=ex.hold_s,
                        up_s=ex.up_s, down_s=ex.down_s, initial_still_s=1.5,
                        final_still_s=1.0)
        # 4 samples at 100 Hz: 25 updates a second, about what a BLE wearable notifies
        distal, proximal = sim_sources(cfg, realtime=True, chunk_size=4, speed=self.speed)
        names = [_("Demo sensor ({placement})").format(placement=placement_name(seg).lower())
                 for seg in ex.sensors]
        status = tuple(SensorStatus(n, True, None, "good", demo=True) for n in names)
        return OpenSet(distal, proximal, lambda: status, demo=True)


class SpecSourceFactory:
    """A set on a live source named as ``rehab session --source`` names it (``ble``,
    ``serial:PORT``), opened with ``therapy.sources.open_sources`` on ``options``
    (connector, clock, link policy: injected in tests)."""

    demo = False

    def __init__(self, spec: Any, store: Any, options: Any = None) -> None:
        from protocol.clock import MonotonicClock
        from therapy.sources import SourceOptions

        opts = options or SourceOptions()
        self.spec = spec
        self.store = store
        self.clock = opts.clock or MonotonicClock()
        self.options = dataclasses.replace(opts, clock=self.clock)

    def open(self, ex: PlanExercise, set_no: int, spec: Any = None) -> OpenSet:
        """``spec`` in place of the factory's own (the same wearables with a camera)."""
        from therapy.sources import SourceUnavailable, open_sources

        try:
            s = open_sources(spec or self.spec, ex, self.store, self.options)
        except SourceUnavailable as exc:
            raise SourceMissing(str(exc)) from exc
        return OpenSet(s.distal, s.proximal, _status_of(s), s, self.clock)


class PickedSources:
    """The kiosk's sources, picked for each set with ``therapy.sources.pick_source`` (the
    rule of ``rehab session --source auto``) for the set's exercise: a camera exercise with
    a camera present gets the camera, read by a pose worker from ``camera_worker`` (the
    shared camera's), fused with the wearables of ``base`` (same connector, clock and
    placement check) or alone in place of the simulator; any other set is ``base``'s
    (paired BLE, the USB bridge or the simulator). ``demo`` is ``base``'s."""

    def __init__(self, base: SourceFactory, store: Any, *, dev_dir: Any,
                 options: Any = None, camera_worker: Callable[[], Any] | None = None) -> None:
        from therapy.sources import SourceOptions

        self.base = base
        self.store = store
        self.dev_dir = dev_dir
        self.options = dataclasses.replace(options or SourceOptions(),
                                           camera_worker=camera_worker)

    @property
    def demo(self) -> bool:
        return self.base.demo

    @property
    def wearables(self) -> dict[str, Any]:
        """The paired wearables by placement (``BleSourceFactory.wearables``; else empty)."""
        return dict(getattr(self.base, "wearables", {}))

    def spec_for(self, ex: PlanExercise) -> Any:
        """The ``therapy.sources.SourceSpec`` a set of ``ex`` opens now."""
        from therapy.sources import pick_source

        return pick_source(self.store, self.dev_dir, ex)

    def open(self, ex: PlanExercise, set_no: int) -> OpenSet:
        spec = self.spec_for(ex)
        if spec.camera is None and not spec.is_camera:
            return self.base.open(ex, set_no)
        if spec.camera is not None and isinstance(self.base, SpecSourceFactory):
            w = self.base
            w.options = dataclasses.replace(w.options, camera_worker=self.options.camera_worker)
            return w.open(ex, set_no, spec)
        return SpecSourceFactory(spec, self.store, self.options).open(ex, set_no)


def _status_of(s: Any) -> StatusFn:
    """What the live screen says of each sensor, read from the bridge or the BLE links."""
    stats = getattr(getattr(s.distal, "session", None), "stats", None)
    if s.links and stats is None:
        def ble() -> tuple[SensorStatus, ...]:
            return tuple(SensorStatus(f"{lk.wearable.name} "
                                      f"({placement_name(str(lk.wearable.segment)).lower()})",
                                      lk.connected, lk.battery_pct,
                                      segment=str(lk.wearable.segment)) for lk in s.links)
        return ble
    where = s.placements[0].where if s.placements else ""
    label = placement_name(where)

    def wired() -> tuple[SensorStatus, ...]:
        return (SensorStatus(label, bool(stats is None or stats.connected),
                             None if stats is None else stats.battery_pct,
                             segment=where if stats is not None else ""),)
    return wired
