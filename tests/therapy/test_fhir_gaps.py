"""A session's wearable drop-outs travel in its FHIR Bundle (issue 15: the therapist could
not tell a short set from one cut by a sensor that kept dropping out). One Observation per
drop-out after the reps, validated with fhir.resources R4B as the clinic validates; a
Bundle without drop-outs is what it was; a live session's record carries its drop-outs with
their calendar time, and so does a crash-recovered one whose journal kept the clock pair of
the set's supervision (one without, written by an older program, has no time of day)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from tests.helpers.waiting import until
from test_session_gaps_journal import BACK, LOST, supervised_set

from therapy import fhir
from therapy.drafts import DraftJournal, recover_drafts
from therapy.journal import ClockPair, DraftGap, DraftHeader
from therapy.plan import exercise_from_catalogue
from therapy.ports import FhirEncoder
from therapy.records import GapRecord, RepRecord, SessionRecord
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(60)
T0 = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)
SID = "5f0c2a8e-1b3d-4c5e-8f90-123456789abc"
GONE = "another-boot:1:1"


def record(gaps: tuple[GapRecord, ...] = ()) -> SessionRecord:
    return SessionRecord(SID, "knee_extension_seated", "left", "knee", T0,
                         T0 + timedelta(minutes=4), 2, 10, 90.0, 2.0,
                         (RepRecord(1, 1, 2.0, 5.0, 84.5, 1.0, 1.5, 1.5),), 2, False, 3,
                         gaps=gaps)


def test_a_drop_out_is_an_observation_of_the_bundle() -> None:
    back = GapRecord(1, "ble:F1:00:00:00:00:02", "thigh", 120.0, 129.5, "disconnected",
                     T0 + timedelta(seconds=40))
    bundle = fhir.session_bundle(record((back,)), "dev-1")
    Bundle.model_validate(bundle)
    assert [e["fullUrl"][-3:] for e in bundle["entry"]] == ["000", "001", "002"]
    own = fhir.CODES

    def code(c: str, d: str) -> dict[str, object]:
        return {"coding": [{"system": own, "code": c, "display": d}], "text": d}

    assert bundle["entry"][2]["resource"] == {
        "resourceType": "Observation",
        "identifier": [{"system": fhir.URI_ID, "value": f"urn:uuid:{SID}"},
                       {"system": fhir.SESSION_ID_SYSTEM, "value": f"{SID}/1/gap/1"}],
        "status": "final",
        "category": [{"coding": [{"system": fhir.OBS_CATEGORY, "code": "activity"}]}],
        "code": code("wearable-signal-lost", "Wearable sensor signal lost"),
        "subject": {"identifier": {"system": fhir.DEVICE_ID_SYSTEM, "value": "dev-1"}},
        "device": {"identifier": {"system": "urn:rehab-kiosk:wearable",
                                  "value": "ble:F1:00:00:00:00:02"},
                   "display": "thigh sensor"},
        "component": [
            {"code": code("set-number", "Set number"), "valueInteger": 1},
            {"code": code("sensor-placement", "Where the wearable is worn"),
             "valueCodeableConcept": code("thigh", "thigh")},
            {"code": code("gap-end", "How the drop-out ended"),
             "valueCodeableConcept": code("came-back", "The wearable came back")},
            {"code": code("gap-reason", "Why the signal was lost"),
             "valueString": "disconnected"}],
        "effectivePeriod": {"start": "2026-11-29T10:00:40.000+00:00",
                            "end": "2026-11-29T10:00:49.500+00:00"},
        "valueQuantity": {"value": 9.5, "unit": "s", "system": fhir.UCUM, "code": "s"},
    }


def test_a_drop_out_that_never_came_back_has_no_length() -> None:
    gone = GapRecord(2, "serial:/dev/rehab-imu0", "shank", 50.0, None, "")
    obs = fhir.session_bundle(record((gone,)), "dev-1")["entry"][2]["resource"]
    Bundle.model_validate(fhir.session_bundle(record((gone,)), "dev-1"))
    assert "valueQuantity" not in obs and "effectivePeriod" not in obs
    assert obs["component"][2]["valueCodeableConcept"]["coding"][0]["code"] == "set-ended"
    assert [c["code"]["coding"][0]["code"] for c in obs["component"]] == [
        "set-number", "sensor-placement", "gap-end"]  # no reason given: none sent


def test_a_bundle_without_drop_outs_is_as_before() -> None:
    bundle = fhir.session_bundle(record(), "dev-1")
    Bundle.model_validate(bundle)
    assert len(bundle["entry"]) == 2
    assert "wearable-signal-lost" not in str(bundle)


def test_a_bundle_with_several_drop_outs_validates_and_numbers_them() -> None:
    gaps = tuple(GapRecord(s, "ble:T", "thigh", 10.0 * i, 10.0 * i + 2, "lost",
                           T0 + timedelta(seconds=10 * i)) for i, s in ((1, 1), (2, 1), (3, 2)))
    bundle = fhir.session_bundle(record(gaps), "dev-1")
    Bundle.model_validate(bundle)
    ids = [e["resource"]["identifier"][1]["value"] for e in bundle["entry"][2:]]
    assert ids == [f"{SID}/1/gap/1", f"{SID}/1/gap/2", f"{SID}/2/gap/3"]


async def test_a_live_session_records_its_drop_outs_at_their_time(tmp_path: Path) -> None:
    """Through the real live set supervisor (scripted links): the thigh goes twice (5 s and
    9 s on the host clock), the record keeps both, placed in calendar time from the clock
    pair read when the set was supervised; the stored Bundle carries them."""
    store = TherapyStore(tmp_path / "rehab.db")
    ctl, src, _shank, thigh, live = supervised_set(store, None)
    host0 = live.clock.now()  # type: ignore[attr-defined]
    wall0 = ctl.clock.now()
    task = asyncio.ensure_future(ctl.run_set(src))
    await until(lambda: len(ctl.reps_) >= 1, 20, "a rep")
    thigh.emit(LOST, "ble:T", "thigh", host0 + 30.0, "disconnected")
    thigh.emit(BACK, "ble:T", "thigh", host0 + 35.0)
    thigh.emit(LOST, "ble:T", "thigh", host0 + 50.0, "out of range")
    thigh.emit(BACK, "ble:T", "thigh", host0 + 59.0)
    await task
    await live.close(None)  # type: ignore[attr-defined]
    rec = ctl.finish()
    assert [(g.set_no, g.segment, g.duration_s, g.reason) for g in rec.gaps] == [
        (1, "thigh", 5.0, "disconnected"), (1, "thigh", 9.0, "out of range")]
    for g, after_s in zip(rec.gaps, (30.0, 50.0)):
        assert g.started_at is not None
        assert abs((g.started_at - wall0).total_seconds() - after_s) < 0.5
    [(payload,)] = store._query("SELECT payload FROM outbox")
    import json
    bundle = json.loads(payload)
    Bundle.model_validate(bundle)
    lengths = [e["resource"].get("valueQuantity", {}).get("value") for e in bundle["entry"]
               if "wearable-signal-lost" in json.dumps(e["resource"]["code"])]
    assert lengths == [5.0, 9.0]


def journal_a_set(store: TherapyStore, *gaps: DraftGap) -> None:
    """A set of session SID journaled by a process now gone: a pain before, a rep, ``gaps``."""
    from therapy.records import PainPhase, PainReport

    journal = DraftJournal(store, GONE)
    header = DraftHeader.of(exercise_from_catalogue("knee_extension_seated"), T0, 1, None)
    journal.set_started(SID, header, 1, ["ble:T"], T0)
    journal.pain_before(SID, header, PainReport("p-1", 3, PainPhase.BEFORE, T0, SID))
    journal.rep(SID, RepRecord(1, 1, 2.0, 5.0, 80.0, 1.0, 1.5, 1.5), T0 + timedelta(seconds=6))
    for gap in gaps:
        journal.gap(SID, gap)


def test_a_recovered_draft_carries_its_drop_outs(tmp_path: Path) -> None:
    """A process killed mid-set left its journal: the session stored at the next start
    sends its drop-outs too (journaled without a clock pair: no calendar time)."""
    store = TherapyStore(tmp_path / "rehab.db")
    journal_a_set(store, DraftGap(1, "ble:T", "thigh", 7.0, 11.0, "disconnected"),
                  DraftGap(1, "ble:S", "shank", 12.0, None, "out of range"))
    out = recover_drafts(store, FhirEncoder("dev-1"))
    [rec] = out.stored
    assert rec.gaps == (GapRecord(1, "ble:T", "thigh", 7.0, 11.0, "disconnected"),
                        GapRecord(1, "ble:S", "shank", 12.0, None, "out of range"))
    [(payload,)] = store._query("SELECT payload FROM outbox WHERE record_id = ?", (SID,))
    import json
    bundle = json.loads(payload)
    Bundle.model_validate(bundle)
    gaps = [e["resource"] for e in bundle["entry"][2:]]
    assert [g["device"]["identifier"]["value"] for g in gaps] == ["ble:T", "ble:S"]
    assert [g.get("valueQuantity", {}).get("value") for g in gaps] == [4.0, None]
    assert all("effectivePeriod" not in g for g in gaps)


def test_a_recovered_draft_places_its_drop_outs_by_their_clock_pair(tmp_path: Path) -> None:
    """The set's supervision began at T0 + 3 s, host clock 5000.0: a drop-out 5007.0-5011.0
    on the host clock was at T0 + 10 s .. T0 + 14 s; one never back has a start only."""
    store = TherapyStore(tmp_path / "rehab.db")
    pair = ClockPair(T0 + timedelta(seconds=3), 5000.0)
    journal_a_set(store, DraftGap(1, "ble:T", "thigh", 5007.0, 5011.0, "disconnected", pair),
                  DraftGap(1, "ble:S", "shank", 5012.25, None, "out of range", pair))
    [rec] = recover_drafts(store, FhirEncoder("dev-1")).stored
    assert [g.started_at for g in rec.gaps] == [T0 + timedelta(seconds=10),
                                               T0 + timedelta(seconds=15.25)]
    [(payload,)] = store._query("SELECT payload FROM outbox WHERE record_id = ?", (SID,))
    import json
    bundle = json.loads(payload)
    Bundle.model_validate(bundle)
    assert [e["resource"]["effectivePeriod"] for e in bundle["entry"][2:]] == [
        {"start": "2026-11-29T10:00:10.000+00:00", "end": "2026-11-29T10:00:14.000+00:00"},
        {"start": "2026-11-29T10:00:15.250+00:00"}]
    # the wearable_gaps rows are the host-clock ones, as a set's end saves them
    assert store._query("SELECT start_s, end_s FROM wearable_gaps ORDER BY start_s") == [
        (5007.0, 5011.0), (5012.25, None)]
