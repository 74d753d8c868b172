"""The kiosk's state outside any screen (no Kivy): store, plan, settings, clinic, history,
and the view-models each screen asks for. The Kivy app holds one ``KioskModel``."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.adapters.camera import CameraOpener, SharedCamera
from kiosk.adapters.clinic import Clinic, open_clinic
from kiosk.adapters.history import History, SessionRow
from kiosk.adapters.sources import SimSourceFactory, SourceFactory
from kiosk.adapters.speech import EspeakBackend, Speaker
from kiosk.run import ExerciseRun
from kiosk.access import KioskAccess
from kiosk.errors import PlanNotValid
from kiosk.i18n import _
from kiosk.settings import KioskSettings
from kiosk.vm.feedback import FeedbackVM
from kiosk.vm.intake import CHECKIN_ID, INTAKE_ID, IntakeVM
from kiosk.vm.messages import MessagesVM, build_messages, unread_count
from kiosk.vm.pairing import SCAN_S, PairingVM, Ports
from kiosk.vm.progress import ProgressVM, build_progress
from kiosk.vm.reminders import AppointmentLine, appointment_lines, live_appointment
from kiosk.vm.summary import SummaryVM, build_summary
from kiosk.vm.quarantine import QUARANTINE
from kiosk.vm.today import PlanState, TodayVM, build_today, interrupted_note, plan_state
from therapy.audit import Actor
from therapy.plan import Plan, PlanExercise, Schedule, Weekday, exercise_from_catalogue
from therapy.drafts import Recovery, recover_drafts
from therapy.ports import FhirEncoder, SystemClock, WallClock
from therapy.errors import StorageError
from therapy.records import Feedback, SessionRecord
from therapy.store import TherapyStore

if TYPE_CHECKING:
    from kiosk.vm.visit import VisitVM

log = logging.getLogger(__name__)
STATE_NAME = "kiosk_state.json"
INTERRUPTED = "interrupted_reps"  # kiosk_state.json: reps of the sessions recovered, unseen
DEMO_EXERCISES = ("knee_extension_seated", "heel_slide", "elbow_flexion")


def demo_plan() -> Plan:
    """What a kiosk with no plan from a clinic offers: three catalogue exercises, daily."""
    from therapy.catalogue import CATALOGUE

    exs = tuple(exercise_from_catalogue(e) for e in DEMO_EXERCISES if e in CATALOGUE)
    t0 = datetime(2020, 1, 1).astimezone()
    return Plan("demo", 0, t0, t0 + timedelta(days=36500),
                Schedule(tuple(Weekday), 1), exs)


def default_sources(store: TherapyStore, sim_speed: float = 1.0, options: object = None,
                    dev_dir: Path = Path("/dev"),
                    camera_worker: Callable[[], object] | None = None) -> SourceFactory:
    """What ``rehab session`` picks with no ``--source`` (``therapy.sources.pick_source``),
    for each set: the paired wearables (``rehab pair``, Settings) as a supervised BLE set,
    else a wearable on the USB bridge (``/dev/rehab-imu*``), else the simulator; a camera
    exercise with a camera present adds it (``camera_worker``: a started pose worker on the
    shared camera). ``options`` (``therapy.sources.SourceOptions``: BLE connector, clock,
    link policy) for tests."""
    from kiosk.adapters.ble_sources import BleSourceFactory, paired_rows
    from kiosk.adapters.sources import PickedSources, SpecSourceFactory
    from therapy.sources import SourceKind, pick_source

    spec = pick_source(store, dev_dir)
    wearables: SourceFactory
    if spec.kind == SourceKind.BLE:
        wearables = BleSourceFactory(paired_rows(store), store, options=options)
    elif spec.kind == SourceKind.SERIAL:
        wearables = SpecSourceFactory(spec, store, options)
    else:
        wearables = SimSourceFactory(sim_speed)
    return PickedSources(wearables, store, dev_dir=dev_dir, options=options,
                         camera_worker=camera_worker)


def bluez_ports() -> tuple[object, object]:
    """The Pi's radio: BlueZ scanner and bleak connector (what ``rehab pair`` uses)."""
    from sensors.ble.bluez import BlueZScanner
    from sensors.ble.connector import BleakConnector

    return BlueZScanner(None), BleakConnector()


class KioskModel:
    def __init__(self, data_dir: Path, *, sources: SourceFactory | None = None,
                 clinic: Clinic | None = None, clock: WallClock | None = None,
                 monotonic: Callable[[], float] | None = None,
                 sim_speed: float = 1.0, pairing_ports: Ports | None = None,
                 camera: CameraOpener | None = None, source_options: object = None,
                 dev_dir: Path = Path("/dev"), speaker: Speaker | None = None) -> None:
        import time

        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = TherapyStore(self.data_dir / "rehab.db")
        self.history = History(self.store.path)
        self.clinic = clinic or open_clinic(self.data_dir, self.store)
        # the wearables' connector, clock and link policy (therapy.sources.SourceOptions)
        self.source_options, self.dev_dir = source_options, dev_dir  # where USB bridges show
        self.sources: SourceFactory = sources or default_sources(
            self.store, sim_speed, source_options, dev_dir, self._set_camera)
        self._own_sources, self._sim_speed = sources is None, sim_speed
        self.pairing_ports: Ports = pairing_ports or bluez_ports
        self.pairing_scan_s = SCAN_S
        # one capture for the camera set-up's pose worker and a video visit's picture
        self.shared_camera = SharedCamera(dev_dir=dev_dir)
        self.camera: CameraOpener = camera or self.shared_camera.open_pose
        # the instruction read aloud (espeak-ng; tests inject a FakeSpeech backend)
        self.speaker = speaker or Speaker(EspeakBackend())
        self.clock = clock or SystemClock()
        self.monotonic = monotonic or time.monotonic
        # PIN, installer code, lockout and the audit trail (kiosk/access.py)
        self.access = KioskAccess(self.data_dir, self.store, self.clinic.device_id,
                                  self.monotonic, self.clock.now, self.clinic.notify_outbox)
        self.lock = self.access.lock
        self.run: ExerciseRun | None = None
        self._handed_camera: object = None  # the camera set-up's worker, for the set
        self.visit: VisitVM | None = None  # video visits (kiosk/visit_setup.py), if wired
        self.last_record: SessionRecord | None = None
        # the summary flow (an executor thread) and the stop path store a run's session
        self._finishing = threading.Lock()
        self._state = self._load_state()
        self.recovered = self._recover()

    # --- small persistent UI state (message read marker, last reminder) ----------------
    def _load_state(self) -> dict[str, str]:
        try:
            return dict(json.loads((self.data_dir / STATE_NAME).read_text()))
        except (OSError, ValueError):
            return {}

    def _save_state(self) -> None:
        tmp = self.data_dir / (STATE_NAME + ".tmp")
        tmp.write_text(json.dumps(self._state))
        os.replace(tmp, self.data_dir / STATE_NAME)

    def _time(self, key: str) -> datetime | None:
        v = self._state.get(key)
        return datetime.fromisoformat(v) if v else None

    def _recover(self) -> Recovery:
        """Start-up: each session a crash, kill or power cut interrupted (its journal, a
        draft, left by a process now gone) is stored as not completed, with its outbox
        rows, once (therapy.drafts); Today says so until the next exercise starts. A draft
        that cannot be read is quarantined (logged, counted); nothing here stops the
        kiosk from starting."""
        try:
            got = recover_drafts(self.store, FhirEncoder(self.clinic.device_id))
        except (StorageError, sqlite3.Error) as exc:
            log.error("interrupted sessions not recovered at start-up: %s", exc)
            return Recovery()
        for sid, why in got.quarantined:
            QUARANTINE.skip("draft", sid, why)
        if got.stored:
            self._state[INTERRUPTED] = str(max(self._interrupted_reps(), 0) + got.reps)
            try:
                self._save_state()
            except OSError as exc:  # the sessions are stored; only the note is lost
                log.error("note of the interrupted session not kept: %s", exc)
            self.clinic.notify_outbox()
        return got

    def _interrupted_reps(self) -> int:
        v = self._state.get(INTERRUPTED, "")
        return int(v) if v.isdigit() else -1

    def interrupted_note(self) -> str:
        """The calm note Today shows after a start that stored an interrupted session, until
        the patient starts an exercise ("" when there is none)."""
        reps = self._interrupted_reps()
        return interrupted_note(reps) if reps >= 0 else ""

    def close(self) -> None:
        self.shared_camera.stop()
        self.clinic.close()
        self.history.close()
        self.store.close()

    # --- settings ----------------------------------------------------------------------
    @property
    def settings(self) -> KioskSettings:
        return self.access.settings

    def update_settings(self, s: KioskSettings, by: Actor = Actor.INSTALLER) -> None:
        self.access.update_settings(s, by)  # saved and audited as ``by``'s change

    # --- wearables (Settings: pairing) --------------------------------------------------
    def pairing(self) -> PairingVM:
        from therapy.devices import WearableRegistry

        return PairingVM(WearableRegistry(self.store), self.pairing_ports,
                         scan_s=self.pairing_scan_s, on_change=self.wearables_changed)

    def wearables_changed(self) -> None:
        """Paired or forgot one: the next set uses the wearables now remembered."""
        from therapy.devices import WearableRegistry

        self.access.pairing_changed("paired now: " + ", ".join(
            f"{row[1]} on {row[3]}" for row in WearableRegistry(self.store).all()))
        if self._own_sources:
            self.sources = default_sources(self.store, self._sim_speed, self.source_options,
                                           self.dev_dir, self._set_camera)

    def _set_camera(self) -> object:
        """A started pose worker on the kiosk's camera for a camera exercise's set (the
        shared capture: a video visit may be reading it too): the one the camera set-up
        before it ran (:meth:`hand_camera`), else a new one."""
        worker, self._handed_camera = self._handed_camera, None
        return worker if worker is not None else self.camera()

    def hand_camera(self, worker: object) -> object:
        """Keep ``worker`` (a running pose worker) for the next set's camera; returns the
        one kept before, which nobody took (None: taken, or none)."""
        left, self._handed_camera = self._handed_camera, worker
        return left

    # --- plan and today ----------------------------------------------------------------
    def plan(self) -> tuple[Plan, bool]:
        """The plan the patient follows and whether it is the demo plan. The demo plan
        only stands in while no clinic has ever sent one: an expired plan (or one not
        valid yet) stays the plan, and :meth:`plan_state` says so."""
        cur = self.store.plan_in_force(self.clock.now())
        if cur is not None:
            return cur[0], False
        return demo_plan(), True

    def plan_state(self) -> PlanState:
        plan, demo = self.plan()
        return plan_state(plan, demo, self.clock.now())

    def sessions(self, days: int = 60) -> list[SessionRow]:
        return self.history.sessions(since=self.clock.now() - timedelta(days=days))

    def today(self) -> TodayVM:
        plan, demo = self.plan()
        return build_today(plan, self.sessions(), self.clock.now(), demo,
                           state=self.plan_state(), note=self.interrupted_note())

    def progress(self) -> ProgressVM:
        plan, _demo = self.plan()
        names = {e.exercise_id: _(e.name) for e in plan.exercises}
        return build_progress(self.sessions(), names, {str(d) for d in plan.schedule.days},
                              self.clock.now())

    def appointments(self) -> tuple[AppointmentLine, ...]:
        return appointment_lines(self.store.appointments(), self.clock.now())

    # --- messages ------------------------------------------------------------------------
    def unread(self) -> int:
        return unread_count(self.store.messages(), self._time("messages_read_until"))

    def messages(self) -> MessagesVM:
        return build_messages(self.store.messages(), self.clock.now(),
                              self._time("messages_read_until"))

    def mark_messages_read(self) -> None:
        self._state["messages_read_until"] = self.clock.now().isoformat()
        self._save_state()

    def reply(self, text: str) -> None:
        self.clinic.send_message(text)
        self.clinic.notify_outbox()

    def send_feedback(self, vm: FeedbackVM) -> Feedback:
        """Stored and queued (FHIR QuestionnaireResponse) in one transaction."""
        f = vm.record(self.clock.now())
        self.clinic.submit_feedback(f)
        self.clinic.notify_outbox()
        return f

    def outbox_waiting(self) -> int:
        return self.store.outbox_count()

    # --- intake and daily check-in --------------------------------------------------------
    def intake_needed(self) -> IntakeVM | None:
        """The full intake on first run, the short check-in once a day, else None."""
        if self.history.last_questionnaire(INTAKE_ID) is None:
            return IntakeVM(first_run=True)
        if self._checked_today() is None:
            return IntakeVM(first_run=False)
        return None

    def _checked_today(self) -> dict[str, object] | None:
        today = self.clock.now().astimezone().date()
        found = [q for q in (self.history.last_questionnaire(INTAKE_ID),
                             self.history.last_questionnaire(CHECKIN_ID))
                 if q is not None and q[0].astimezone().date() == today]
        return max(found, key=lambda q: q[0])[1] if found else None

    def red_flag_today(self) -> bool:
        answers = self._checked_today()
        return bool(answers and answers.get("red_flag"))

    def submit_intake(self, vm: IntakeVM) -> None:
        self.clinic.submit_questionnaire(vm.answers(self.clock.now()))
        self.clinic.notify_outbox()

    # --- exercising ----------------------------------------------------------------------
    def start_exercise(self, ex: PlanExercise) -> ExerciseRun:
        plan, demo = self.plan()
        if not self.plan_state().usable:
            raise PlanNotValid(self.plan_state().text)
        if self._state.pop(INTERRUPTED, None) is not None:  # the note has been seen
            self._save_state()
        # an exercise left unstored for this one (Today, then Start): what was done is kept
        self._keep(self.run, "exercise left for another")
        appt = live_appointment(self.store.appointments(), self.clock.now())
        # a set started while a video visit is connected is marked supervised (its call)
        sup = self.visit.supervision if self.visit is not None else None
        self.run = ExerciseRun(ex, store=self.store, clinic=self.clinic, sources=self.sources,
                               plan_version=None if demo else plan.version,
                               appointment_id=appt, monotonic=self.monotonic,
                               supervision=sup)
        return self.run

    def finish_exercise(self) -> SummaryVM:
        assert self.run is not None
        run = self.run
        previous = [s for s in self.history.sessions(exercise_id=run.ex.exercise_id)
                    if s.id != run.ctl.session_id]
        with self._finishing:
            rec = run.finish()
        self.last_record = rec
        return build_summary(rec, _(run.ex.name), previous[-1] if previous else None)

    def keep_unfinished(self) -> SessionRecord | None:
        """The kiosk is stopping (systemd's SIGTERM for an update or restart, the app
        closing) with an exercise under way: store what the patient did as a session not
        completed (ended now), with its outbox rows, so the clinic hears of it. Kept: the
        confirmed reps, the running set's too (the controller keeps each rep as it is
        confirmed), and a confirmed pain before; a pain after not yet confirmed is not. A
        run with nothing done stores nothing; a run already stored (the summary flow, an
        earlier stop) is not stored again, nor is it after this. Returns the record kept.
        (A crash or power cut, where no stop path runs: the run's journal, stored by the
        next start, see :meth:`_recover`.)"""
        return self._keep(self.run, "kiosk stopping mid-exercise")

    def _keep(self, run: ExerciseRun | None, doing: str) -> SessionRecord | None:
        """Store ``run`` as not completed when the patient did something in it and it is not
        stored yet (see :meth:`keep_unfinished`); ``doing`` starts the log line."""
        if run is None:
            return None
        ctl = run.ctl
        with self._finishing:
            if ctl.record_ is not None or not run.worth_keeping:
                return None
            run.stop()  # no further set; the running one ends at its next chunk
            try:
                rec = ctl.finish()
            except StorageError as exc:
                log.error("%s: unfinished session %s not saved: %s", doing,
                          ctl.session_id, exc)
                return None
        self.clinic.notify_outbox()
        log.warning("%s: kept session %s (%s) as not completed: %d reps in %d of %d sets",
                    doing, rec.id, rec.exercise_id, rec.rep_count, rec.sets_done,
                    rec.target_sets)
        return rec
