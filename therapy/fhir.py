"""FHIR R4 JSON for what the device sends to the clinic. Pure: plain dicts, no FHIR library.

- a session -> a ``Bundle`` (type ``collection``) of ``Observation`` resources: one summary
  (timing in ``effectivePeriod``: the session's wall-clock span, widened to hold each of its
  reps and drop-outs, see :func:`session_span`; reps done, sets, mean ROM) and one per rep (SNOMED
  364564000 "Range of joint movement", UCUM ``deg``, body site and laterality);
- a set's wearable drop-outs (``SessionRecord.gaps``) -> one ``Observation`` each, after
  the reps in the same Bundle: code ``wearable-signal-lost`` of :data:`CODES`, the
  wearable as ``device`` (a logical reference: identifier ``urn:rehab-kiosk:wearable``,
  display "thigh sensor"), ``valueQuantity`` = how long it was away (UCUM ``s``; absent
  when it never came back), ``effectivePeriod`` = when (the journal keeps the set's
  wall/monotonic clock pair, so a crash-recovered session carries it too; absent only for a
  draft written before device schema 8, whose host-clock seconds cannot be placed in time), components: set
  number, placement (``sensor-placement``, a ``exercises.body.BodySegment`` value), how it
  ended (``gap-end``: ``came-back`` or ``set-ended``) and why (``gap-reason``). A Bundle
  without gaps is unchanged;
- a pain report -> an ``Observation`` with LOINC 72514-3 (0-10 numeric rating);
- questionnaire answers -> a ``QuestionnaireResponse``.

Every resource carries an ``identifier`` made from the record's UUID; the clinic drops a
resource whose identifier it already holds. Laterality is an extension on ``bodySite``
(R4 has no laterality element); its URL is :data:`LATERALITY_EXT`.
The tests validate every resource built here with ``fhir.resources`` (R4B).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from therapy.catalogue import Joint
from therapy.records import (GapRecord, PainReport, QuestionnaireAnswers, RepRecord,
                             SessionRecord)

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
URI_ID = "urn:ietf:rfc:3986"  # identifier system for urn:uuid values
DEVICE_ID_SYSTEM = "urn:rehab-kiosk:device"
SESSION_ID_SYSTEM = "urn:rehab-kiosk:session"
WEARABLE_ID_SYSTEM = "urn:rehab-kiosk:wearable"  # a wearable's sensor id (BLE or USB)
CODES = "https://rehab-kiosk.github.io/fhir/CodeSystem/rehab"  # our own small code system
LATERALITY_EXT = "https://rehab-kiosk.github.io/fhir/StructureDefinition/laterality"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

ROM_CODE = {"system": SNOMED, "code": "364564000", "display": "Range of joint movement"}
PAIN_CODE = {"system": LOINC, "code": "72514-3",
             "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}
EXERCISE_CODE = {"system": SNOMED, "code": "229065009", "display": "Exercise therapy"}
GAP_CODE = "wearable-signal-lost"  # of CODES: a wearable's drop-out during a set
GAP_CAME_BACK, GAP_SET_ENDED = "came-back", "set-ended"  # how a drop-out ended (gap-end)

JOINT_SITE: dict[str, tuple[str, str]] = {
    Joint.KNEE: ("72696002", "Knee joint structure"),
    Joint.HIP: ("24136001", "Hip joint structure"),
    Joint.ELBOW: ("16953009", "Elbow joint structure"),
    Joint.SHOULDER: ("16982005", "Shoulder region structure"),
    Joint.TRUNK: ("22943007", "Trunk structure"),
    Joint.ANKLE: ("70258002", "Ankle joint structure"),
}
LATERALITY: dict[str, tuple[str, str]] = {
    "left": ("7771000", "Left"),
    "right": ("24028007", "Right"),
    "both": ("51440002", "Right and left"),
}


def ts(t: datetime) -> str:
    """FHIR dateTime/instant text (UTC, milliseconds)."""
    return t.isoformat(timespec="milliseconds")


def record_identifier(record_id: str) -> dict[str, str]:
    return {"system": URI_ID, "value": f"urn:uuid:{record_id}"}


def subject(device_id: str) -> dict[str, Any]:
    return {"identifier": {"system": DEVICE_ID_SYSTEM, "value": device_id}}


def body_site(joint: str, side: str) -> dict[str, Any]:
    code, display = JOINT_SITE.get(joint, ("", joint))
    site: dict[str, Any] = {"text": f"{side} {display}".strip() if side in LATERALITY else display}
    if code:
        site["coding"] = [{"system": SNOMED, "code": code, "display": display}]
    if side in LATERALITY:
        lcode, ldisp = LATERALITY[side]
        site["extension"] = [{"url": LATERALITY_EXT, "valueCodeableConcept": {
            "coding": [{"system": SNOMED, "code": lcode, "display": ldisp}]}}]
    return site


def _qty(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def _own(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": CODES, "code": code, "display": display}], "text": display}


def session_span(rec: SessionRecord) -> tuple[datetime, datetime]:
    """The session's period as its Bundle states it: the wall clock's ``started_at`` ..
    ``ended_at`` widened to hold every rep and drop-out of the Bundle. A rep is dated from
    the session start by the motion core's clock, which need not keep pace with the wall
    clock (the simulator runs as fast as it can: 30 s of reps in 0.3 s); the clinic's date
    search takes a Bundle's observations to lie within its summary's period."""
    starts, ends = [rec.started_at], [rec.ended_at]
    for r in rec.reps:
        start, end = _rep_period(rec, r)
        starts.append(start)
        ends.append(end)
    for g in rec.gaps:
        if g.started_at is not None:
            starts.append(g.started_at)
            ends.append(g.started_at + timedelta(seconds=max(g.duration_s or 0.0, 0.0)))
    return min(starts), max(ends)


def session_bundle(rec: SessionRecord, device_id: str) -> dict[str, Any]:
    """The FHIR Bundle for one session (summary Observation + one per rep + one per
    drop-out); the summary's ``effectivePeriod`` and the Bundle's ``timestamp`` (its end)
    are :func:`session_span`, so the session's period holds all its observations."""
    subj = subject(device_id)
    site = body_site(rec.joint, rec.side)
    start, end = session_span(rec)
    summary: dict[str, Any] = {
        "resourceType": "Observation",
        "identifier": [{"system": URI_ID, "value": f"urn:uuid:{rec.id}"}],
        "status": "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": "activity"}]}],
        "code": {"coding": [EXERCISE_CODE], "text": f"Exercise session: {rec.exercise_id}"},
        "subject": subj,
        "effectivePeriod": {"start": ts(start), "end": ts(end)},
        "bodySite": site,
        "method": _own(rec.exercise_id, rec.exercise_id),
        "component": [
            {"code": _own("reps-completed", "Repetitions completed"),
             "valueQuantity": _qty(rec.rep_count, "{repetitions}", "{repetitions}")},
            {"code": _own("reps-target", "Repetitions prescribed per set"),
             "valueQuantity": _qty(rec.target_reps, "{repetitions}", "{repetitions}")},
            {"code": _own("sets-completed", "Sets completed"),
             "valueQuantity": _qty(rec.sets_done, "{sets}", "{sets}")},
            {"code": _own("rom-target", "Target range of movement"),
             "valueQuantity": _qty(rec.target_rom_deg, "deg", "deg")},
            {"code": _own("session-completed", "Session completed as prescribed"),
             "valueBoolean": rec.completed},
        ],
    }
    if rec.mean_rom_deg is not None:
        summary["valueQuantity"] = _qty(round(rec.mean_rom_deg, 2), "deg", "deg")
    if rec.plan_version is not None:
        summary["component"].append({"code": _own("plan-version", "Plan version"),
                                     "valueInteger": rec.plan_version})
    entries = [summary] + [_rep_obs(rec, r, subj, site) for r in rec.reps]
    entries += [gap_observation(rec.id, k, g, subj) for k, g in enumerate(rec.gaps, 1)]
    return {
        "resourceType": "Bundle",
        "identifier": record_identifier(rec.id),
        "type": "collection",
        "timestamp": ts(end),
        "entry": [{"fullUrl": f"urn:uuid:{_entry_uuid(rec.id, i)}", "resource": res}
                  for i, res in enumerate(entries)],
    }


def _entry_uuid(record_id: str, i: int) -> str:
    # Deterministic per entry so a resend is byte-identical: the last 12 hex digits of the
    # record UUID are replaced by the entry index.
    return f"{record_id[:24]}{i:012x}"


def _rep_period(rec: SessionRecord, r: RepRecord) -> tuple[datetime, datetime]:
    """A rep's start and end: the session start plus the motion core's seconds."""
    return (rec.started_at + timedelta(seconds=max(r.t_start_s, 0.0)),
            rec.started_at + timedelta(seconds=max(r.t_end_s, r.t_start_s, 0.0)))


def _rep_obs(rec: SessionRecord, r: RepRecord, subj: dict[str, Any],
             site: dict[str, Any]) -> dict[str, Any]:
    comps: list[dict[str, Any]] = [
        {"code": _own("rep-hold", "Hold time at the top of the rep"),
         "valueQuantity": _qty(r.hold_s, "s", "s")},
        {"code": _own("rep-up", "Time to raise"), "valueQuantity": _qty(r.up_s, "s", "s")},
        {"code": _own("rep-down", "Time to lower"), "valueQuantity": _qty(r.down_s, "s", "s")},
        {"code": _own("rep-number", "Set and repetition number"),
         "valueString": f"set {r.set_no} rep {r.n}"},
    ]
    comps += [{"code": _own("quality-flag", "Execution quality flag"),
               "valueCodeableConcept": _own(f, f)} for f in r.flags]
    if r.source:  # camera and wearables measured together: where the ROM came from
        comps.append({"code": _own("rom-source", "Where the range of movement was measured"),
                      "valueString": r.source})
    start, end = _rep_period(rec, r)
    return {
        "resourceType": "Observation",
        "identifier": [{"system": URI_ID, "value": f"urn:uuid:{rec.id}"},
                       {"system": SESSION_ID_SYSTEM, "value": f"{rec.id}/{r.set_no}/{r.n}"}],
        "status": "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": "exam"}]}],
        "code": {"coding": [ROM_CODE], "text": "Range of joint movement"},
        "subject": subj,
        "effectivePeriod": {"start": ts(start), "end": ts(end)},
        "valueQuantity": _qty(r.rom_deg, "deg", "deg"),
        "bodySite": site,
        "component": comps,
    }


def gap_observation(session_id: str, k: int, g: GapRecord,
                    subj: dict[str, Any]) -> dict[str, Any]:
    """The ``k``-th wearable drop-out of a session as an Observation (see module doc)."""
    came_back = g.end_s is not None
    comps: list[dict[str, Any]] = [
        {"code": _own("set-number", "Set number"), "valueInteger": g.set_no},
        {"code": _own("sensor-placement", "Where the wearable is worn"),
         "valueCodeableConcept": _own(g.segment, g.segment)},
        {"code": _own("gap-end", "How the drop-out ended"),
         "valueCodeableConcept": _own(GAP_CAME_BACK, "The wearable came back") if came_back
         else _own(GAP_SET_ENDED, "The set ended before the wearable came back")},
    ]
    if g.reason:
        comps.append({"code": _own("gap-reason", "Why the signal was lost"),
                      "valueString": g.reason})
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "identifier": [{"system": URI_ID, "value": f"urn:uuid:{session_id}"},
                       {"system": SESSION_ID_SYSTEM, "value": f"{session_id}/{g.set_no}/gap/{k}"}],
        "status": "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": "activity"}]}],
        "code": _own(GAP_CODE, "Wearable sensor signal lost"),
        "subject": subj,
        "device": {"identifier": {"system": WEARABLE_ID_SYSTEM, "value": g.sensor_id},
                   "display": f"{g.segment} sensor"},
        "component": comps,
    }
    if g.started_at is not None:
        period = {"start": ts(g.started_at)}
        if g.duration_s is not None:
            period["end"] = ts(g.started_at + timedelta(seconds=g.duration_s))
        obs["effectivePeriod"] = period
    if g.duration_s is not None:
        obs["valueQuantity"] = _qty(g.duration_s, "s", "s")
    return obs


def pain_observation(p: PainReport, device_id: str) -> dict[str, Any]:
    """A pain report as a FHIR Observation (LOINC 72514-3, valueInteger 0..10)."""
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "identifier": [record_identifier(p.id)],
        "status": "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": "survey"}]},
                     _own(f"pain-{p.phase}", f"Pain {p.phase} session")],
        "code": {"coding": [PAIN_CODE], "text": "Pain 0-10"},
        "subject": subject(device_id),
        "effectiveDateTime": ts(p.at),
        "valueInteger": p.rating,
    }
    if p.session_id:
        obs["identifier"].append({"system": SESSION_ID_SYSTEM, "value": p.session_id})
    if p.note:
        obs["note"] = [{"text": p.note}]
    return obs


def questionnaire_response(q: QuestionnaireAnswers, device_id: str) -> dict[str, Any]:
    """Intake or check-in answers as a FHIR QuestionnaireResponse."""
    items: list[dict[str, Any]] = []
    for link_id, value in q.answers:
        if value is None or isinstance(value, str) and not value.strip():
            items.append({"linkId": link_id})  # left blank: R4 has no empty valueString
            continue
        if isinstance(value, bool):
            ans: dict[str, Any] = {"valueBoolean": value}
        elif isinstance(value, int):
            ans = {"valueInteger": value}
        elif isinstance(value, float):
            ans = {"valueDecimal": value}
        else:
            ans = {"valueString": str(value)}
        items.append({"linkId": link_id, "answer": [ans]})
    return {
        "resourceType": "QuestionnaireResponse",
        "identifier": record_identifier(q.id),
        "questionnaire": q.questionnaire,
        "status": "completed",
        "subject": subject(device_id),
        "authored": ts(q.at),
        "item": items,
    }


def resource_identifier(resource: dict[str, Any]) -> str | None:
    """The record UUID identifier value of a resource this module built (or None)."""
    if resource.get("resourceType") == "AuditEvent":  # R4 AuditEvent has no identifier
        rid = resource.get("id")
        return f"urn:uuid:{rid}" if isinstance(rid, str) and rid else None
    ident = resource.get("identifier")
    if isinstance(ident, list):
        ident = ident[0] if ident else None
    if isinstance(ident, dict) and isinstance(ident.get("value"), str):
        return ident["value"]
    return None


# --- security audit (therapy.audit) ----------------------------------------------------
DCM = "http://dicom.nema.org/resources/ontology/DCM"  # DICOM PS3.16 CID 400/401 audit codes
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
_USER_AUTH = ("110114", "User Authentication")
_SECURITY_ALERT = ("110113", "Security Alert")
# audit kind -> (AuditEvent.type, DICOM subtype or None, action C/R/U/D/E)
AUDIT_CODES: dict[str, tuple[tuple[str, str], tuple[str, str] | None, str]] = {
    "unlocked": (_USER_AUTH, ("110122", "Login"), "E"),
    "pin_failed": (_USER_AUTH, ("110122", "Login"), "E"),
    "code_accepted": (_USER_AUTH, ("110122", "Login"), "E"),
    "code_failed": (_USER_AUTH, ("110122", "Login"), "E"),
    "locked": (_USER_AUTH, ("110123", "Logout"), "E"),
    "locked_out": (_SECURITY_ALERT, None, "E"),
    "settings_damaged": (_SECURITY_ALERT, None, "E"),
    "pin_set": (_SECURITY_ALERT, ("110137", "User Security Attributes Changed"), "U"),
    "pin_changed": (_SECURITY_ALERT, ("110137", "User Security Attributes Changed"), "U"),
    "code_set": (_SECURITY_ALERT, ("110137", "User Security Attributes Changed"), "U"),
    "settings_changed": (_SECURITY_ALERT, ("110131", "Software Configuration"), "U"),
    "pairing_changed": (_SECURITY_ALERT, ("110130", "Hardware Configuration"), "U"),
    "plan_applied": (("110107", "Import"), None, "U"),
    "plan_rejected": (("110107", "Import"), None, "U"),
    "export": (("110106", "Export"), None, "R"),
    # video visits (therapy/audit.py): DICOM "Application Activity" / "Security Alert"
    "visit_offered": (("110100", "Application Activity"), None, "E"),
    "visit_consent": (_SECURITY_ALERT, ("110137", "User Security Attributes Changed"), "E"),
    "visit_connected": (("110100", "Application Activity"), ("110120", "Application Start"), "E"),
    "visit_ended": (("110100", "Application Activity"), ("110121", "Application Stop"), "E"),
    "recording_asked": (("110100", "Application Activity"), None, "E"),
    "recording_answered": (_SECURITY_ALERT, ("110137", "User Security Attributes Changed"),
                           "E"),
    "recording_stopped": (("110100", "Application Activity"), ("110121", "Application Stop"),
                          "E"),
}


def audit_event(record_id: str, at: datetime, kind: str, success: bool, actor: str,
                detail: str, device_id: str) -> dict[str, Any]:
    """One security event as a FHIR R4 AuditEvent. R4 gives AuditEvent no ``identifier``:
    the record UUID is the resource ``id`` (see :func:`resource_identifier`)."""
    (tcode, tdisplay), sub, action = AUDIT_CODES[kind]
    subtypes = [{"system": DCM, "code": sub[0], "display": sub[1]}] if sub else []
    subtypes.append({"system": CODES, "code": kind, "display": kind.replace("_", " ")})
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": record_id,
        "type": {"system": DCM, "code": tcode, "display": tdisplay},
        "subtype": subtypes,
        "action": action,
        "recorded": ts(at),
        "outcome": "0" if success else "4",  # 0 success, 4 minor failure
        "agent": [{"type": _own(actor, actor),
                   "who": {**subject(device_id), "display": f"{actor} at the kiosk"},
                   "requestor": actor != "device"}],
        "source": {"observer": subject(device_id),
                   "type": [{"system": SOURCE_TYPE, "code": "1",
                             "display": "End-user display device, diagnostic display"}]},
    }
    if detail:
        event["outcomeDesc"] = detail
    return event
