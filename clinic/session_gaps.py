"""A session's wearable drop-outs as the clinic keeps and shows them. Pure (no I/O library).

The device sends each drop-out of a supervised set as an Observation in the session's
Bundle (``therapy.fhir.gap_observation``: code ``wearable-signal-lost``, the wearable as
``device``, how long in ``valueQuantity``, set, placement and how it ended in components).
:func:`gap_rows` reads them back into the small JSON list kept in ``sessions.gaps``, and
refuses a drop-out that cannot be right (it ends before it starts, a negative length, no
wearable named, a placement that is no body segment, no set) with a
:class:`~clinic.errors.StoreError` naming it: ingest counts it as ``bad_field`` and keeps the
whole record in quarantine, so nothing of it is lost. :func:`gap_summary` is what the
patient page says about them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from clinic.errors import StoreError
from exercises.body import BodySegment
from therapy.fhir import CODES, GAP_CAME_BACK, GAP_CODE, GAP_SET_ENDED, WEARABLE_ID_SYSTEM

PLACEMENTS = frozenset(s.value for s in BodySegment)
# what the patient page calls a placement (as the kiosk's sensor line does)
PLACEMENT_NAMES = {"thigh": "Thigh", "shank": "Lower leg", "foot": "Foot", "pelvis": "Hips",
                   "trunk": "Chest", "upper_arm": "Upper arm", "forearm": "Forearm",
                   "hand": "Hand", "unknown": "Wearable"}
MAX_GAP_S = 24 * 3600.0  # no set lasts a day: a longer drop-out is a broken record


def is_gap(resource: dict[str, Any]) -> bool:
    return any(c.get("system") == CODES and c.get("code") == GAP_CODE
               for c in resource.get("code", {}).get("coding", []))


def _own_value(obs: dict[str, Any], code: str) -> Any:
    for comp in obs.get("component", []):
        if any(c.get("system") == CODES and c.get("code") == code
               for c in comp.get("code", {}).get("coding", [])):
            if "valueCodeableConcept" in comp:
                coding = comp["valueCodeableConcept"].get("coding") or [{}]
                return coding[0].get("code")
            for key, value in comp.items():
                if key.startswith("value"):
                    return value
    return None


def _time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        t = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        t = None
    if t is None or t.tzinfo is None:
        raise StoreError(f"{where}: a period time must be an ISO time with a zone")
    return t


def gap_row(obs: dict[str, Any], k: int) -> dict[str, Any]:
    """One drop-out Observation as the clinic keeps it; StoreError when it cannot be right."""
    where = f"wearable drop-out {k}"
    ident = obs.get("device", {}).get("identifier", {})
    sensor = ident.get("value") if ident.get("system") == WEARABLE_ID_SYSTEM else None
    if not isinstance(sensor, str) or not sensor.strip() or len(sensor) > 64:
        raise StoreError(f"{where} names no wearable (device.identifier of "
                         f"{WEARABLE_ID_SYSTEM}, 1-64 characters)")
    segment = _own_value(obs, "sensor-placement")
    if segment not in PLACEMENTS:
        raise StoreError(f"{where}: placement must be one of {sorted(PLACEMENTS)}")
    set_no = _own_value(obs, "set-number")
    if isinstance(set_no, bool) or not isinstance(set_no, int) or not 1 <= set_no <= 1000:
        raise StoreError(f"{where}: set-number must be a whole number 1..1000")
    ended = _own_value(obs, "gap-end")
    if ended not in (GAP_CAME_BACK, GAP_SET_ENDED):
        raise StoreError(f"{where}: gap-end must be {GAP_CAME_BACK} or {GAP_SET_ENDED}")
    period = obs.get("effectivePeriod", {})
    start, end = _time(period.get("start"), where), _time(period.get("end"), where)
    if start is not None and end is not None and end < start:
        raise StoreError(f"{where} ends before it starts")
    duration = obs.get("valueQuantity", {}).get("value")
    if duration is not None and (isinstance(duration, bool) or not isinstance(
            duration, (int, float)) or not 0 <= duration <= MAX_GAP_S):
        raise StoreError(f"{where}: its length must be 0..{MAX_GAP_S:g} s (it ends before "
                         "it starts?)")
    if (duration is None) != (ended == GAP_SET_ENDED):
        raise StoreError(f"{where}: a wearable that came back has a length, one that did "
                         "not has none")
    reason = _own_value(obs, "gap-reason")
    return {"set": set_no, "sensor": sensor, "segment": segment,
            "start": period.get("start"), "duration_s": duration,
            "came_back": ended == GAP_CAME_BACK,
            "reason": reason if isinstance(reason, str) else ""}


def gap_rows(resources: Sequence[dict[str, Any]]) -> str:
    """The drop-outs among a Bundle's resources as ``sessions.gaps`` keeps them (JSON)."""
    rows = [gap_row(r, k) for k, r in enumerate((r for r in resources if is_gap(r)), 1)]
    return json.dumps(rows, separators=(",", ":"))


def gap_summary(gaps_json: str | None) -> list[str]:
    """One line per wearable, e.g. "Thigh sensor lost 2x (14 s in all)"; [] for none (or
    a session stored before the clinic kept them)."""
    gaps = json.loads(gaps_json) if gaps_json else []
    lines = []
    for segment in dict.fromkeys(g["segment"] for g in gaps):
        mine = [g for g in gaps if g["segment"] == segment]
        name = PLACEMENT_NAMES.get(segment, segment.replace("_", " ").capitalize())
        back = [g["duration_s"] for g in mine if g["came_back"]]
        parts = [f"{sum(back):.0f} s in all"] if back else []
        never = len(mine) - len(back)
        if never:
            parts.append("did not come back before the set ended" if never == 1 else
                         f"{never}x not back before the set ended")
        lines.append(f"{name} sensor lost {len(mine)}x ({'; '.join(parts)})")
    return lines
