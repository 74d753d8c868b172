"""A landmark sequence → the motion core's reps and ROM; occlusion makes no false reps.

The sequences are drawn from a known kinematic model (tests/helpers/camera_synth.py) with
MediaPipe-like pixel noise, so the true count and ROM are known exactly.
"""

from __future__ import annotations

import asyncio
from typing import NamedTuple

import numpy as np
import pytest
from tests.helpers.camera_synth import knee_extension_flex, seated_frame

from exercises import CATALOGUE
from motion.camera_set import CameraSet
from motion.pipeline import SetAnalyzer
from motion.types import QualityFlag
from sensors.camera.angles import CameraJoint
from sensors.camera.capture import ArrayCapture
from sensors.camera.landmarks import Landmark as L
from sensors.camera.landmarks import PoseFrame
from sensors.camera.pose import ScriptedPose
from sensors.camera.source import CameraSource, pose_batches
from sensors.camera.stream import CameraAngleStream

FPS = 30.0
EX = "knee_extension_seated"


def _frames(flex: np.ndarray, t: np.ndarray, seed: int = 0, noise_px: float = 2.0):
    rng = np.random.default_rng(seed)
    return [seated_frame(float(tt), float(f), noise_px=noise_px, rng=rng)
            for tt, f in zip(t, flex)]


def _stream() -> CameraAngleStream:
    """The exercise's polarity from the catalogue (what ``rehab replay --camera --exercise``
    builds)."""
    return CameraAngleStream(CameraJoint.KNEE_RIGHT, sign=CATALOGUE[EX].movement_sign)


class _Run(NamedTuple):
    stream: CameraAngleStream
    analyzer: SetAnalyzer


def _run(items, chunk: int = 8, **kw) -> _Run:
    """Frames fed as they come: the angle stream into the motion core's camera set."""
    stream, cam = _stream(), CameraSet(fps=FPS, **kw)
    for i in range(0, len(items), chunk):
        cam.feed(stream.chunk(items[i:i + chunk]))
    cam.finish()
    return _Run(stream, cam.analyzer)


def test_five_knee_extensions_counted_with_their_rom():
    t = np.arange(int(30 * FPS)) / FPS
    flex = knee_extension_flex(t, reps=5)
    frames = _frames(flex, t)
    cam = _run(list(zip(t, frames)))
    reps = cam.analyzer.reps_
    assert len(reps) == 5
    for rep, k in zip(reps, range(5)):
        assert rep.rom_deg == pytest.approx(70.0, abs=4.0)  # 2 px noise on ~125 px limbs
        assert 2.0 + 5 * k < rep.t_peak < 2.0 + 5 * (k + 1)
    assert cam.analyzer.rejected_ == 0


def test_chunk_size_does_not_change_the_reps():
    t = np.arange(int(20 * FPS)) / FPS
    items = list(zip(t, _frames(knee_extension_flex(t, reps=3), t, seed=3)))
    a = [r.to_json() for r in _run(items, chunk=1).analyzer.reps_]
    b = [r.to_json() for r in _run(items, chunk=31).analyzer.reps_]
    assert len(a) == 3 and a == b


def _occlude(frame: PoseFrame, rng: np.random.Generator) -> PoseFrame:
    """The model's output when the leg is hidden: low visibility, landmarks anywhere."""
    xy = frame.xy_px.copy()
    vis = frame.visibility.copy()
    for lm in (L.RIGHT_KNEE, L.RIGHT_ANKLE, L.LEFT_KNEE, L.LEFT_ANKLE):
        xy[lm] = rng.uniform([0, 0], [640, 480])
        vis[lm] = rng.uniform(0.05, 0.45)
    return PoseFrame(frame.t_s, xy, vis, frame.width, frame.height)


def test_occluded_frames_make_no_false_reps():
    rng = np.random.default_rng(5)
    t = np.arange(int(30 * FPS)) / FPS
    frames = _frames(knee_extension_flex(t, reps=4, lead_s=2.0, period_s=5.0), t)
    # A rest between reps hidden for 1.5 s (someone walks past), and flickering visibility
    # (every third frame hidden) over the fourth rep, with garbage positions while hidden.
    hidden = ((t > 6.4) & (t < 7.9)) | ((t > 22.0) & (t < 30.0) & (np.arange(t.size) % 3 == 0))
    frames = [_occlude(f, rng) if h else f for f, h in zip(frames, hidden)]
    # And 4 s with nobody in the picture at the end (the patient stands up and leaves).
    t2 = np.arange(int(34 * FPS)) / FPS
    items = list(zip(t, frames)) + [(float(tt), None) for tt in t2[t.size:]]
    cam = _run(items)
    assert len(cam.analyzer.reps_) == 4
    assert cam.stream.unseen_ == int(hidden.sum()) + (t2.size - t.size)
    assert cam.analyzer.rejected_ == cam.stream.unseen_  # NaN angles skipped and counted
    for rep in cam.analyzer.reps_:
        assert rep.rom_deg == pytest.approx(70.0, abs=5.0)


def test_a_rep_hidden_for_long_is_flagged_as_a_gap_or_missed_never_invented():
    t = np.arange(int(25 * FPS)) / FPS
    frames = _frames(knee_extension_flex(t, reps=3, lead_s=2.0, period_s=6.0), t, seed=9)
    hidden = (t > 8.5) & (t < 10.0)  # 1.5 s over the top of rep 2
    items = [(float(tt), None if h else f) for tt, f, h in zip(t, frames, hidden)]
    reps = _run(items).analyzer.reps_
    assert len(reps) <= 3
    assert len(reps) >= 2
    gap_reps = [r for r in reps if QualityFlag.GAP in r.flags]
    assert all(r.t_start < 10.0 and r.t_end > 8.5 for r in gap_reps)


def test_the_camera_source_runs_the_same_path_as_live_feeding():
    # three reps: without a prescribed ROM a set opens with three alike reps (motion/reps.py)
    t = np.arange(int(21 * FPS)) / FPS
    frames = _frames(knee_extension_flex(t, reps=3), t, seed=4)
    images = [np.zeros((4, 4, 3), np.uint8)] * len(frames)
    source = CameraSource(ArrayCapture(images, FPS), ScriptedPose(frames), _stream())
    analyzer = asyncio.run(CameraSet(fps=FPS).run(source))
    live = _run(list(zip(t, frames)))
    assert [r.to_json() for r in analyzer.reps_] == [r.to_json() for r in live.analyzer.reps_]
    assert len(analyzer.reps_) == 3


def test_the_exercise_polarity_comes_from_the_catalogue():
    """A seated knee extension straightens the knee (its flexion falls from 90° to 20°): the
    catalogue says so (``extends``), and the stream turns it into a rising movement."""
    t = np.arange(int(8 * FPS)) / FPS
    items = list(zip(t, _frames(knee_extension_flex(t, reps=1), t, noise_px=0.0)))
    ex = CATALOGUE[EX]
    rising = CameraAngleStream(CameraJoint.KNEE_RIGHT, sign=ex.movement_sign)
    _, a = rising.process(items)
    assert ex.extends and ex.movement_sign == -1.0
    assert np.nanmax(a) - a[0] == pytest.approx(70.0, abs=2.0)
    # the movements that straighten the camera's joint: its flexion angle falls
    assert sorted(e.id for e in CATALOGUE.values() if e.movement_sign != 1.0) == [
        "bridge", "elbow_extension_overhead", "knee_extension_seated", "sit_to_stand",
        "terminal_knee_extension"]


def test_the_batches_of_a_replay_are_every_frame_in_order():
    t = np.arange(19) / FPS
    frames = _frames(knee_extension_flex(t, reps=1), t)
    images = [np.zeros((4, 4, 3), np.uint8)] * len(frames)
    batches = list(pose_batches(ArrayCapture(images, FPS), ScriptedPose(frames), size=8))
    assert [len(b) for b in batches] == [8, 8, 3]
    assert [tt for b in batches for tt, _ in b] == pytest.approx(list(t))
