"""Where a live rep's confirmation delay goes (issue 15: fused rep delay <= 0.5 s median).

A probe for ``bench.kiosk_pinned``'s runs: it watches one running kiosk set from the
simulator's truth to the screen, on the host's monotonic clock (the clock the wearables'
samples are stamped on), and splits each rep's delay into

- ``detect_s`` (b): the rep detector's intrinsic lag, data time: the sample at which it
  confirmed the rep (``Rep.t_detected``) minus the rep's true end (the simulated limb's
  ``RepTruth.t_end``, shifted to the host time its motion started). The same with or
  without the camera: it is the detector's rule (fallen the prominence from the peak);
- ``transport_s`` (a): that sample reaching the kiosk's process: the wearable's batch
  filling (10 samples at 100 Hz), the radio and the link's decoding, until the chunk is
  queued by the link (a wired wearable: the batch filling, the pty, the bridge thread's
  reading, decoding and clock mapping, and its hand-over to the event loop);
- ``wait_s`` (c): from queued to fed to the motion core: the session's loop (two
  wearables: pairing each distal chunk with its proximal one; fused: waiting for the
  camera's frames, ``therapy.set_streams.CameraFeed.reach``) and the event loop's latency;
- ``count_s``: the motion core's work on that chunk, up to the REP event;
- ``ui_s`` (d): the REP event to the next frame flipped on screen.

``total_s`` is the REP event minus the true end; ``screen_s`` adds (d). Fused, the camera's
own latency (frame time to its angles fed to the fusion) is noted too: it decides when a
rep's fused ROM follows (``rep_measured``), not when it is counted.

Everything is taken by wrapping the instances of the running set (the link's queue, the
counting detector's ``feed``, the fused set's ``feed_camera``): the kiosk's own code runs
unchanged.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

PARTS = ("detect_s", "transport_s", "wait_s", "count_s", "ui_s")
MATCH_S = 2.0  # a counted rep is matched to the true rep whose end is nearest, within this


@dataclass(slots=True)
class RepTiming:
    true_end: float
    t_detected: float = float("nan")
    queued: float = float("nan")  # the confirming chunk queued by the link
    fed: float = float("nan")  # ... fed to the counting detector
    event: float = float("nan")  # the REP event
    flip: float = float("nan")  # the first frame flipped after it

    def parts(self) -> dict[str, float]:
        return {"detect_s": self.t_detected - self.true_end,
                "transport_s": self.queued - self.t_detected,
                "wait_s": self.fed - self.queued, "count_s": self.event - self.fed,
                "ui_s": self.flip - self.event, "total_s": self.event - self.true_end,
                "screen_s": self.flip - self.true_end}


@dataclass
class RepDelayProbe:
    """``now``: the host's monotonic clock; ``true_ends``: each simulated rep's end in motion
    time (from 0), ``motion_t0``: the host time the limb's motion started (its wearable's
    ``DeviceModel.motion_t0_s``)."""

    now: Callable[[], float]
    true_ends: Sequence[float]
    motion_t0: float
    reps_: list[RepTiming] = field(default_factory=list)
    camera_lag_s_: list[float] = field(default_factory=list)
    chunk_age_s_: list[float] = field(default_factory=list)  # queued minus its last sample
    _queued: list[tuple[float, float]] = field(default_factory=list)  # (last t, queued)
    _fed: float = float("nan")  # when the chunk being fed was fed
    _pending: list[RepTiming] = field(default_factory=list)  # counted, not yet on screen
    _confirmed: dict[int, RepTiming] = field(default_factory=dict)  # by id(rep)

    # --- wrapping the running set ----------------------------------------------------
    def watch_link(self, link: Any) -> None:
        """The distal wearable's ``sensors.ble.link.WearableLink``: when each chunk is
        queued (the set's detector is fed on the distal stream's sample times)."""
        self.watch_queue(link.queue)

    def watch_queue(self, queue: Any) -> None:
        """The asyncio queue the distal stream's chunks are put on, on the event loop: a
        BLE link's, or a USB bridge's source (``firmware_bridge.source.BridgeSource``,
        whose reading thread hands each chunk to the loop: its items also include the
        end marker and a failure, which carry no samples)."""
        put = queue.put_nowait

        def queued(item: Any) -> None:
            if getattr(item, "t_s", None) is not None and len(item.t_s):
                at = self.now()
                self._queued.append((float(item.t_s[-1]), at))
                self.chunk_age_s_.append(at - float(item.t_s[-1]))
                del self._queued[:-500], self.chunk_age_s_[:-5000]
            put(item)

        queue.put_nowait = queued

    def watch_detector(self, analyzer: Any) -> None:
        """The counting ``SetAnalyzer`` (the session's, or a fused set's ``imu``)."""
        feed = analyzer.feed

        def fed(chunk: Any, proximal: Any = None) -> Any:
            self._fed = self.now()
            reps = feed(chunk, proximal)
            for rep in reps:
                self._confirmed[id(rep)] = self._timing(rep)
            return reps

        analyzer.feed = fed

    def watch_fused(self, fused: Any) -> None:
        """A ``motion.camera_set.CameraImuSet``: the camera's latency (its detector is
        the run's ``analyzer``: :meth:`watch_detector`)."""
        feed_camera = fused.feed_camera

        def camera(t_s: Any, angle_deg: Any) -> None:
            if len(t_s):
                self.camera_lag_s_.append(self.now() - float(t_s[-1]))
            feed_camera(t_s, angle_deg)

        fused.feed_camera = camera

    def fused_factory(self, factory: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a session's ``fused_factory`` so each fused set it makes is watched."""

        def make(*args: Any, **kwargs: Any) -> Any:
            fused = factory(*args, **kwargs)
            self.watch_fused(fused)
            return fused

        return make

    # --- events ----------------------------------------------------------------------
    def on_event(self, ev: Any) -> None:
        """A session listener: the REP events."""
        if str(getattr(ev, "kind", "")) != "rep" or ev.rep is None:
            return
        timing = self._confirmed.pop(id(ev.rep), None)
        if timing is None:
            return
        timing.event = self.now()
        self._pending.append(timing)
        self.reps_.append(timing)

    def on_flip(self, *_: Any) -> None:
        """A window ``on_flip`` handler: the frame that shows the pending reps."""
        if self._pending:
            at = self.now()
            for timing in self._pending:
                timing.flip = at
            self._pending.clear()

    def _timing(self, rep: Any) -> RepTiming:
        ends = [self.motion_t0 + e for e in self.true_ends]
        near = min(ends, key=lambda e: abs(e - rep.t_end), default=float("nan"))
        if not abs(near - rep.t_end) <= MATCH_S:
            near = float("nan")
        # the chunk that brought the confirming sample
        queued = next((at for last, at in self._queued if last >= rep.t_detected - 1e-6),
                      float("nan"))
        return RepTiming(near, float(rep.t_detected), queued, self._fed)

    # --- results ---------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Per part: the median over the reps (seconds) and every rep's figures."""
        rows = [t.parts() for t in self.reps_]
        out: dict[str, Any] = {"reps": rows}
        for key in (*PARTS, "total_s", "screen_s"):
            vals = [r[key] for r in rows if r[key] == r[key]]  # not NaN
            out[key] = statistics.median(vals) if vals else float("nan")
        age = self.chunk_age_s_
        if age:
            out["chunk_age_s"] = statistics.median(age)
            out["chunk_age_p90_s"] = sorted(age)[int(0.9 * (len(age) - 1))]
        lag = self.camera_lag_s_
        if lag:
            out["camera_lag_s"] = statistics.median(lag)
            out["camera_lag_p90_s"] = sorted(lag)[int(0.9 * (len(lag) - 1))]
        return out
