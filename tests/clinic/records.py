"""Real FHIR resources for the clinic tests, built by the device's own builders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from therapy import fhir
from therapy.records import PainPhase, PainReport, RepRecord, SessionRecord, new_id

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def session_record(start: datetime = START, roms: tuple[float, ...] = (50.0, 52.0)
                   ) -> SessionRecord:
    reps = tuple(RepRecord(1, i + 1, 5.0 * i, 5.0 * i + 4, rom, 2.0, 1.0, 1.0)
                 for i, rom in enumerate(roms))
    sid = new_id()
    pains = (PainReport(new_id(), 5, PainPhase.BEFORE, start, sid),
             PainReport(new_id(), 3, PainPhase.AFTER, start + timedelta(minutes=5), sid))
    return SessionRecord(sid, "knee_extension_seated", "right", "knee", start,
                         start + timedelta(minutes=5), 1, 10, 70.0, 3.0, reps, 1, False,
                         pains=pains)


def session_resources(device: str, start: datetime = START,
                      roms: tuple[float, ...] = (50.0, 52.0)) -> list[dict[str, Any]]:
    """A session Bundle and its two pain Observations (before, after)."""
    rec = session_record(start, roms)
    return [fhir.session_bundle(rec, device)] + [fhir.pain_observation(p, device)
                                                 for p in rec.pains]
