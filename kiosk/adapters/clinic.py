"""The clinic side as the kiosk sees it: store + outbox always; the MQTT DeviceLink only
when a clinic is configured (``rehab.toml`` in the data dir). Offline, every record still
goes to the outbox and the kiosk shows how many wait."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

from kiosk.i18n import _
from mqtt.config import OFFLINE_DEVICE_ID
from therapy.ports import FhirEncoder, SessionEvent
from therapy.records import (Direction, Feedback, Message, PainReport, QuestionnaireAnswers,
                             new_id)
from therapy.store import TherapyStore

log = logging.getLogger(__name__)


class Clinic(Protocol):
    device_id: str

    def submit_questionnaire(self, q: QuestionnaireAnswers) -> None: ...
    def submit_pain(self, p: PainReport) -> None: ...
    def submit_feedback(self, f: Feedback) -> None: ...
    def send_message(self, text: str) -> Message: ...
    def notify_outbox(self) -> None: ...
    def live_listener(self, ev: SessionEvent) -> None: ...
    def start_appointment(self, appointment_id: str, session_id: str) -> None: ...
    def report_battery(self, segment: str, battery_pct: int) -> None: ...
    def status_text(self) -> str: ...
    def close(self) -> None: ...


class OfflineClinic:
    """No clinic configured: records wait in the outbox until one is."""

    def __init__(self, store: TherapyStore, device_id: str = OFFLINE_DEVICE_ID) -> None:
        self.store = store
        self.device_id = device_id
        self.encoder = FhirEncoder(device_id)

    def submit_questionnaire(self, q: QuestionnaireAnswers) -> None:
        self.store.save_questionnaire(q, [self.encoder.questionnaire_item(q)])

    def submit_pain(self, p: PainReport) -> None:
        self.store.save_pain(p, [self.encoder.pain_item(p)])

    def submit_feedback(self, f: Feedback) -> None:
        self.store.save_feedback(f, [self.encoder.feedback_item(f)])

    def send_message(self, text: str) -> Message:
        from mqtt.downlink import out_item

        from therapy.ports import SystemClock

        m = Message(new_id(), Direction.TO_THERAPIST, text, SystemClock().now())
        self.store.save_message(m, [out_item(m.id, {"type": "message", "id": m.id,
                                                    "text": text, "at": m.at.isoformat()})])
        return m

    def notify_outbox(self) -> None:
        pass

    def live_listener(self, ev: SessionEvent) -> None:
        pass

    def start_appointment(self, appointment_id: str, session_id: str) -> None:
        pass

    def report_battery(self, segment: str, battery_pct: int) -> None:
        pass  # the kiosk's live screen already warns the patient

    def status_text(self) -> str:
        return _("No clinic connected (working offline)")

    def close(self) -> None:
        pass


class LinkClinic:
    """The MQTT device link (mqtt.device.DeviceLink) started on its own network thread."""

    def __init__(self, link: Any) -> None:
        self.link = link
        self.device_id = link.cfg.device
        link.start()

    def submit_questionnaire(self, q: QuestionnaireAnswers) -> None:
        self.link.submit_questionnaire(q)

    def submit_pain(self, p: PainReport) -> None:
        self.link.submit_pain(p)

    def submit_feedback(self, f: Feedback) -> None:
        self.link.submit_feedback(f)

    def send_message(self, text: str) -> Message:
        return self.link.send_message(text)  # type: ignore[no-any-return]

    def notify_outbox(self) -> None:
        self.link.notify_outbox()

    def live_listener(self, ev: SessionEvent) -> None:
        self.link.live_listener(ev)

    def start_appointment(self, appointment_id: str, session_id: str) -> None:
        self.link.start_appointment(appointment_id, session_id)

    def report_battery(self, segment: str, battery_pct: int) -> None:
        """A wearable's battery level for the clinic's caseload (low-battery alert)."""
        self.link.report_battery(segment, battery_pct)

    def status_text(self) -> str:
        key = self.link.downlink.key_error  # a bad clinic_public_key: plans are refused
        key_note = f" · {key}" if key else ""
        if self.link.connected.is_set():
            return _("Clinic connected") + key_note
        err = f" ({self.link.last_error})" if self.link.last_error else ""
        return _("Clinic not reachable") + err + key_note

    def close(self) -> None:
        self.link.stop()


def open_clinic(data_dir: Path, store: TherapyStore) -> Clinic:
    """A LinkClinic when ``rehab.toml`` names a device, else an OfflineClinic."""
    from mqtt.config import CONFIG_NAME

    if not (data_dir / CONFIG_NAME).is_file():
        return OfflineClinic(store)
    from mqtt.config import load_config
    from mqtt.device import DeviceLink
    from mqtt.errors import ConfigError

    try:
        cfg = load_config(data_dir)
    except ConfigError as exc:
        log.warning("clinic link not started: %s", exc)
        return OfflineClinic(store)
    return LinkClinic(DeviceLink(cfg, store))
