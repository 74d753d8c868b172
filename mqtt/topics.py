"""MQTT topic names. Pure. Topics carry opaque ids only: never a name or health data.

``rehab/v1/<clinic>/<device>/<leaf>`` with leaf one of:

=================  =========  =====  ======  ==============================================
leaf               direction  QoS    retain  payload
=================  =========  =====  ======  ==============================================
``status``         up         1      yes     ``{"state": "online"|"offline"}`` birth/will;
                                             non-retained events (``plan_rejected`` ...)
``live``           up         0      no      per-rep JSON while a session runs
``records``        up         1      no      FHIR R4 JSON from the durable outbox
``plan``           down       1      yes     Ed25519-signed plan envelope
``messages/in``    down       1      no      therapist message or appointment (JSON)
``messages/out``   up         1      no      patient message, acks, appointment started
``ack``            down       1      no      clinic's receipt: JSON list of record ids it
                                             committed (``mqtt.delivery``); the device
                                             deletes those outbox rows
``visit/in``       down       1      no      virtual visit: signed call offer, ICE, cue,
                                             hang-up, record request (``mqtt.visit``)
``visit/out``      up         1      no      virtual visit: answer, refusal, call state,
                                             hang-up, record consent (``mqtt.visit``)
=================  =========  =====  ======  ==============================================

The clinic ingests ``records`` and ``messages/out`` through an MQTT 5 shared subscription
(:func:`ingest_filters`), so several ingest processes of one clinic share the work instead
of each taking every record; ``status`` and ``live`` go to every watcher
(:func:`watch_filters`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "rehab/v1"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Leaf(StrEnum):
    STATUS = "status"
    LIVE = "live"
    RECORDS = "records"
    PLAN = "plan"
    MESSAGES_IN = "messages/in"
    MESSAGES_OUT = "messages/out"
    ACK = "ack"
    VISIT_IN = "visit/in"  # virtual visit signalling, clinic -> device (mqtt/visit.py)
    VISIT_OUT = "visit/out"  # virtual visit replies, device -> clinic


INGEST_LEAVES = (Leaf.RECORDS, Leaf.MESSAGES_OUT)  # committed by the clinic, then receipted
WATCH_LEAVES = (Leaf.STATUS, Leaf.LIVE)


def valid_id(value: str) -> bool:
    """Ids are 1-64 of ``A-Z a-z 0-9 _ . -`` (no MQTT wildcards or separators)."""
    return bool(_ID.match(value))


@dataclass(frozen=True, slots=True)
class Topics:
    clinic: str
    device: str

    def __post_init__(self) -> None:
        for what, value in (("clinic", self.clinic), ("device", self.device)):
            if not valid_id(value):
                raise ValueError(f"{what} id {value!r} must be 1-64 of A-Z a-z 0-9 _ . -")

    def topic(self, leaf: Leaf | str) -> str:
        return f"{PREFIX}/{self.clinic}/{self.device}/{leaf}"


def ingest_group(clinic: str) -> str:
    """The default shared-subscription group of a clinic's ingest processes."""
    return f"rehab-{clinic}-ingest"


def ingest_filters(clinic: str, group: str) -> list[str]:
    """``$share/<group>/rehab/v1/<clinic>/+/<leaf>`` for each ingested leaf."""
    if not valid_id(group):
        raise ValueError(f"ingest group {group!r} must be 1-64 of A-Z a-z 0-9 _ . -")
    return [f"$share/{group}/{PREFIX}/{clinic}/+/{leaf}" for leaf in INGEST_LEAVES]


def watch_filters(clinic: str) -> list[str]:
    """Device states and live feeds: every watcher of the clinic gets all of them."""
    return [f"{PREFIX}/{clinic}/+/{leaf}" for leaf in WATCH_LEAVES]


def parse_topic(topic: str) -> tuple[str, str, str] | None:
    """(clinic, device, leaf) of a topic of ours, or None."""
    parts = topic.split("/", 4)
    if len(parts) != 5 or f"{parts[0]}/{parts[1]}" != PREFIX:
        return None
    return parts[2], parts[3], parts[4]
