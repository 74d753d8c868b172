"""A session run during a virtual visit is marked supervised (pure: no I/O library).

The mark travels in the FHIR records as a ``meta.tag`` (R4 ``Coding``; tags are free to
add and never change the meaning of a resource, so every validator keeps the Bundle
valid) on the session Bundle and on its summary Observation::

    {"system": "https://rehab-kiosk.github.io/fhir/CodeSystem/rehab",
     "code": "supervised", "display": "Supervised by a therapist over a video visit"}

and, on the summary Observation, an extension naming the call and its appointment
(``.../StructureDefinition/visit``, valueString ``<appointment>/<call>``).
The kiosk's flow wraps its encoder for a set started while a call is connected::

    sup = visit_vm.supervision                      # None when no call is connected
    encoder = SupervisedEncoder(FhirEncoder(device), sup) if sup else FhirEncoder(device)
    SessionController(exercise, sink=store, encoder=encoder,
                      appointment_id=sup.appointment if sup else appt, ...)

so :class:`therapy.session.SessionController` needs no change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from therapy.fhir import CODES
from therapy.outbox import OutboxItem
from therapy.ports import Encoder
from therapy.records import SessionRecord

SUPERVISED_TAG = {"system": CODES, "code": "supervised",
                  "display": "Supervised by a therapist over a video visit"}
VISIT_EXT = "https://rehab-kiosk.github.io/fhir/StructureDefinition/visit"


@dataclass(frozen=True, slots=True)
class Supervision:
    call: str
    appointment: str


def is_supervised(resource: dict[str, Any]) -> bool:
    """Whether a FHIR resource carries the supervised tag (clinic side, tests)."""
    tags = resource.get("meta", {}).get("tag", [])
    return any(t.get("system") == CODES and t.get("code") == "supervised" for t in tags)


def mark(resource: dict[str, Any], sup: Supervision) -> dict[str, Any]:
    """The session Bundle with the tag on it and on its summary Observation (a copy)."""
    out = json.loads(json.dumps(resource))
    out.setdefault("meta", {}).setdefault("tag", []).append(dict(SUPERVISED_TAG))
    entries = out.get("entry") or []
    if entries:
        summary = entries[0].get("resource", {})
        summary.setdefault("meta", {}).setdefault("tag", []).append(dict(SUPERVISED_TAG))
        summary.setdefault("extension", []).append(
            {"url": VISIT_EXT, "valueString": f"{sup.appointment}/{sup.call}"})
    return out


class SupervisedEncoder:
    """Wraps an :class:`~therapy.ports.Encoder`: its session Bundle leaves marked."""

    def __init__(self, inner: Encoder, supervision: Supervision) -> None:
        self.inner = inner
        self.supervision = supervision

    def session_items(self, rec: SessionRecord) -> list[OutboxItem]:
        items = self.inner.session_items(rec)
        out: list[OutboxItem] = []
        for item in items:
            body = json.loads(item.payload)
            if body.get("resourceType") == "Bundle":
                item = replace(item, payload=json.dumps(mark(body, self.supervision),
                                                        separators=(",", ":")).encode())
            out.append(item)
        return out

    def __getattr__(self, name: str) -> Any:  # pain_item, questionnaire_item ...
        return getattr(self.inner, name)
