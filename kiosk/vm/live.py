"""The live set: rep counter, angle against the target band, hold countdown, cues, timers,
sensor status. Fed by SessionController events and the analyzer's current angle."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from kiosk.i18n import N_, _, ngettext
from motion.types import QualityFlag, Rep
from therapy.plan import PlanExercise
from therapy.ports import EventKind, SessionEvent

BAND_LOW = 0.85  # the target band: 85 % .. 115 % of the prescribed ROM (+ 5 deg)
BAND_HIGH = 1.15
CUE_SHOW_S = 3.5
BASELINE_SAMPLES = 20
SIGNAL = {"good": N_("good"), "weak": N_("weak"), "lost": N_("lost")}
GOOD_REP = N_("Good rep!")
# placements as a patient says them (BodySegment values), for the drop-out banner
PLACEMENTS = {"thigh": N_("Thigh"), "shank": N_("Lower leg"), "foot": N_("Foot"),
              "pelvis": N_("Hips"), "trunk": N_("Chest"), "upper_arm": N_("Upper arm"),
              "forearm": N_("Forearm"), "hand": N_("Hand"), "unknown": N_("Wearable")}


# the joints a camera measures (sensors.camera.angles.CameraJoint values), as a patient
# says them, for the out-of-view banner
CAMERA_JOINTS = {"knee_right": N_("right knee"), "knee_left": N_("left knee"),
                 "hip_right": N_("right hip"), "hip_left": N_("left hip"),
                 "elbow_right": N_("right elbow"), "elbow_left": N_("left elbow"),
                 "shoulder_right": N_("right shoulder"), "shoulder_left": N_("left shoulder")}
CAMERA_KEY = "camera"  # the camera's banner among the wearables' (LiveSetVM.lost)
CAMERA_SAY_EVERY_S = 20.0  # the out-of-view banner is said at most this often


def placement_name(segment: str) -> str:
    return _(PLACEMENTS.get(str(segment), PLACEMENTS["unknown"]))


@dataclass(frozen=True, slots=True)
class SensorStatus:
    label: str  # "Demo sensors" or the wearable's name
    connected: bool
    battery_pct: int | None = None
    signal: str = "good"  # good | weak | lost
    demo: bool = False
    segment: str = ""  # the body placement (a live wearable's), for the drop-out banner

    @property
    def text(self) -> str:
        if not self.connected:
            return _("{sensor}: not connected").format(sensor=self.label)
        signal = _(SIGNAL.get(self.signal, self.signal))
        if self.battery_pct is None:  # not reported (a demo sensor): say nothing, not "none"
            return _("{sensor}: connected · signal {signal}").format(sensor=self.label,
                                                                     signal=signal)
        batt = _("battery {pct}%").format(pct=self.battery_pct)
        return _("{sensor}: connected · {battery} · signal {signal}").format(
            sensor=self.label, battery=batt, signal=signal)


def cue_for(rep: Rep, exercise: PlanExercise, lifts: bool) -> str:
    """One short spoken/written cue for a finished rep (the most important flag first)."""
    flags = set(rep.flags)
    if QualityFlag.GAP in flags:
        return _("Sensor signal was lost for a moment")
    if QualityFlag.INCOMPLETE_ROM in flags:
        return _("Lift higher") if lifts else _("Go a little further")
    if QualityFlag.SHORT_HOLD in flags:
        more = max(1, math.ceil(exercise.hold_s - rep.hold_s))
        return ngettext("Hold {n} more second", "Hold {n} more seconds", more).format(n=more)
    if QualityFlag.TOO_FAST in flags:
        return _("Slow down")
    return _(GOOD_REP)


@dataclass(slots=True)
class LiveSetVM:
    exercise: PlanExercise
    lifts: bool = True
    sensors: tuple[SensorStatus, ...] = ()
    watched: bool = False  # a therapist is watching (scheduled live session)
    set_no: int = 0
    reps_in_set: int = 0
    reps_total: int = 0
    paused: bool = False
    running: bool = False
    resting: bool = False
    finished: bool = False
    angle_deg: float = 0.0
    cue: str = ""
    flag_counts: dict[str, int] = field(default_factory=dict)
    roms: list[float] = field(default_factory=list)
    speech: list[str] = field(default_factory=list)
    _cue_at: float = -1e9
    _set_started: float = 0.0
    _rest_started: float = 0.0
    _in_band_since: float | None = None
    _baseline: list[float] = field(default_factory=list)
    _now: float = 0.0
    lost: dict[str, str] = field(default_factory=dict)  # segment -> banner, while away
    _camera_said_at: float = -1e9  # when the camera's out-of-view banner was last said
    warned_battery: set[str] = field(default_factory=set)
    link_note: str = ""  # one line: battery low, or the set ended with a wearable away
    _pending_told: bool = False  # "keep going" said for this set (reps seen, not counted)

    # --- targets -----------------------------------------------------------------------
    @property
    def band_deg(self) -> tuple[float, float]:
        t = self.exercise.target_rom_deg
        return t * BAND_LOW, t * BAND_HIGH + 5.0

    @property
    def gauge_max_deg(self) -> float:
        return max(self.band_deg[1] * 1.2, 30.0)

    # --- inputs ------------------------------------------------------------------------
    def on_event(self, ev: SessionEvent, now: float) -> None:
        self._now = now
        if ev.kind == EventKind.SET_STARTED:
            self.set_no, self.reps_in_set = ev.set_no, 0
            self.running, self.resting, self.paused = True, False, False
            self._set_started, self._baseline, self._in_band_since = now, [], None
            self._pending_told = False
            self.say(_("Set {n}. Begin when ready.").format(n=ev.set_no))
        elif ev.kind == EventKind.REP and ev.rep is not None:
            self.reps_in_set += 1
            self.reps_total += 1
            self.roms.append(ev.rep.rom_deg)
            for f in ev.rep.flags:
                self.flag_counts[str(f)] = self.flag_counts.get(str(f), 0) + 1
            self.cue, self._cue_at = cue_for(ev.rep, self.exercise, self.lifts), now
            self.say(f"{self.reps_in_set}. {self.cue}" if self.cue != _(GOOD_REP)
                     else str(self.reps_in_set))
        elif ev.kind == EventKind.REP_MEASURED and ev.rep is not None:
            # a fused set's rep, measured once the camera covered it: its ROM replaces the
            # wearable's (the count does not change)
            i = len(self.roms) - self.reps_in_set + int(ev.extra.get("index", -1))
            if self.reps_in_set and 0 <= i < len(self.roms):
                self.roms[i] = ev.rep.rom_deg
        elif ev.kind == EventKind.PAUSED:
            self.paused = True
        elif ev.kind == EventKind.RESUMED:
            self.paused = False
        elif ev.kind == EventKind.SET_ENDED:
            self.running = False
            self.resting = self.set_no < self.exercise.sets
            self._rest_started = now
            if not ev.extra.get("failed"):  # else the run says what stopped it
                self.say(_("Set done. Rest now.") if self.resting
                         else _("Well done. Exercise finished."))
        elif ev.kind == EventKind.SESSION_ENDED:
            self.running, self.resting, self.finished = False, False, True

    def on_angle(self, raw_deg: float, now: float) -> None:
        """The analyzer's current joint angle (absolute); shown relative to rest."""
        self._now = now
        if len(self._baseline) < BASELINE_SAMPLES:
            self._baseline.append(raw_deg)
        base = sorted(self._baseline)[len(self._baseline) // 2]
        self.angle_deg = abs(raw_deg - base)
        lo, _hi = self.band_deg
        if self.angle_deg >= lo and self.running and not self.paused:
            if self._in_band_since is None:
                self._in_band_since = now
        else:
            self._in_band_since = None

    def on_pending(self, reps_seen: int, now: float) -> None:
        """The analyzer saw ``reps_seen`` reps it has not counted yet: a first rep well short
        of the prescribed range counts only with a second alike one (motion.reps), up to a
        rep's time later. Told once a set, so the patient does not think the kiosk missed it
        and stop: both then count at once."""
        if reps_seen and not self.reps_in_set and not self._pending_told and self.running:
            self._pending_told = True
            self.cue, self._cue_at = _("Keep going: the count starts with your next rep"), now
            self.say(self.cue)

    def on_link(self, segment: str, kind: str, battery_pct: int | None = None) -> None:
        """A wearable's link event (``sensors.link_events.LinkEventKind`` value) from the
        supervised live set: lost -> the banner (and said once), back -> gone, battery
        low -> one warning, gone -> the set ends with what was done."""
        # {placement} starts a sentence in English; {placement_lower} reads mid-sentence
        where = {"placement": placement_name(segment),
                 "placement_lower": placement_name(segment).lower()}
        if kind == "lost":
            if segment not in self.lost:
                self.lost[segment] = _("{placement} sensor lost — bring it closer").format(
                    **where)
                self.say(self.lost[segment])
        elif kind == "back":
            self.lost.pop(segment, None)
        elif kind == "battery_low" and segment not in self.warned_battery:
            self.warned_battery.add(segment)
            self.link_note = _("{placement} sensor battery low: charge it after this "
                               "set").format(**where)
            self.say(self.link_note)
        elif kind == "gone":
            self.lost.pop(segment, None)
            self.link_note = _("{placement} sensor stayed away: the set ended with the "
                               "reps done").format(**where)
            self.say(self.link_note)

    def on_camera_view(self, joint: str, unseen: bool, now: float) -> None:
        """The camera's view of the exercise's joint (a ``CameraJoint`` value) during a
        camera set, each frame: out of view (long enough, the caller decides) -> the banner
        "Camera can't see your right knee — move into view" (said, at most once in
        ``CAMERA_SAY_EVERY_S``: a patient at the picture's edge is not told every second);
        in view -> gone. The set goes on: reps the camera cannot see are not counted, and
        in a fused set the wearable counts and measures meanwhile."""
        if not unseen:
            self.lost.pop(CAMERA_KEY, None)
            return
        if CAMERA_KEY in self.lost:
            return
        name = _(CAMERA_JOINTS.get(joint, joint))
        self.lost[CAMERA_KEY] = _("Camera can't see your {joint} — move into view").format(
            joint=name)
        if now - self._camera_said_at >= CAMERA_SAY_EVERY_S:
            self._camera_said_at = now
            self.say(self.lost[CAMERA_KEY])

    @property
    def lost_banner(self) -> str:
        """"Thigh sensor lost — bring it closer" while a wearable is away, "Camera can't
        see your right knee — move into view" while the camera has lost the joint, else ""."""
        return "   ".join(self.lost.values())

    def tick(self, now: float) -> None:
        self._now = now
        if self.cue and now - self._cue_at > CUE_SHOW_S:
            self.cue = ""

    def say(self, text: str) -> None:
        self.speech.append(text)

    def pop_speech(self) -> list[str]:
        out, self.speech = self.speech, []
        return out

    # --- what the screen shows -----------------------------------------------------------
    @property
    def in_band(self) -> bool:
        lo, hi = self.band_deg
        return lo <= self.angle_deg <= hi

    @property
    def rep_text(self) -> str:
        return f"{self.reps_in_set}"

    @property
    def last_rom_text(self) -> str:
        """The set's last rep's range of motion; a fused set's wearable figure until the
        camera's measured one replaces it (REP_MEASURED)."""
        if not self.reps_in_set or not self.roms:
            return ""
        return _("Last rep: {deg}°").format(deg=round(self.roms[-1]))

    @property
    def rep_target_text(self) -> str:
        return _("of {n}").format(n=self.exercise.reps)

    @property
    def hold_text(self) -> str:
        if not self.running or self.paused:
            return ""
        if self._in_band_since is None:
            return _("Lift into the green band") if self.lifts \
                else _("Move into the green band")
        if self.exercise.hold_s <= 0:
            return _("Now back down slowly")
        left = self.exercise.hold_s - (self._now - self._in_band_since)
        return _("Hold … {n}").format(n=math.ceil(left)) if left > 0 \
            else _("Now back down slowly")

    @property
    def set_text(self) -> str:
        return _("Set {n} of {sets}").format(n=max(self.set_no, 1), sets=self.exercise.sets)

    @property
    def timer_text(self) -> str:
        if self.resting:
            left = max(0.0, self.exercise.rest_s - (self._now - self._rest_started))
            return _("Rest {time}").format(time=_mmss(left))
        if self.running:
            return _("Time {time}").format(time=_mmss(self._now - self._set_started))
        return ""

    @property
    def rest_over(self) -> bool:
        return self.resting and self._now - self._rest_started >= self.exercise.rest_s

    @property
    def status_text(self) -> str:
        return "   ".join(s.text for s in self.sensors)

    @property
    def demo(self) -> bool:
        return any(s.demo for s in self.sensors)


def _mmss(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s // 60}:{s % 60:02d}"
