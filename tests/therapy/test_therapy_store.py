"""The SQLite store: pragmas, migrations, atomic record + outbox writes, FHIR payloads."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
from tests.helpers.plan_samples import valid_plan

from therapy import fhir
from therapy.errors import StoreError
from therapy.migrations import MIGRATIONS
from therapy.plan import parse_plan
from therapy.records import (PainPhase, PainReport, QuestionnaireAnswers, RepRecord,
                             SessionRecord, new_id)
from therapy.store import Channel, OutboxItem, TherapyStore

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def session(n_reps: int = 3) -> SessionRecord:
    sid = new_id()
    reps = tuple(RepRecord(1, i + 1, 3.0 * i, 3.0 * i + 2.5, 60.0 + i, 2.0, 1.0, 1.0,
                           ("short_hold",) if i == 0 else ()) for i in range(n_reps))
    pains = (PainReport(new_id(), 5, PainPhase.BEFORE, NOW, sid, "sore"),
             PainReport(new_id(), 3, PainPhase.AFTER, NOW, sid))
    return SessionRecord(sid, "knee_extension_seated", "left", "knee", NOW, NOW, 2, 10, 70.0,
                         3.0, reps, 1, False, 7, None, pains)


def test_pragmas_and_schema_version(tmp_path: Path) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    assert store.schema_version() == len(MIGRATIONS)
    assert store._query("PRAGMA journal_mode")[0][0] == "wal"
    assert store._query("PRAGMA synchronous")[0][0] == 2  # FULL
    store.close()
    store = TherapyStore(tmp_path / "rehab.db")  # reopening does not migrate again
    assert store.schema_version() == len(MIGRATIONS)
    assert store.integrity_check() == "ok"


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    TherapyStore(tmp_path / "rehab.db").close()
    db = sqlite3.connect(tmp_path / "rehab.db")
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer"):
        TherapyStore(tmp_path / "rehab.db")


def test_record_and_outbox_are_one_transaction(tmp_path: Path) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    rec = session()
    store.save_session(rec, [OutboxItem(Channel.RECORDS, rec.id, b"{}")])
    # the same record again is not stored twice (a retry after a failed save)
    store.save_session(rec, [OutboxItem(Channel.RECORDS, rec.id, b"{}")])
    assert store.outbox_count() == 1 and store.session_ids() == [rec.id]
    # a new session whose pain report clashes on its key: neither its row nor its outbox
    # item is added (one transaction)
    other = dataclasses.replace(session(), pains=rec.pains)
    with pytest.raises(sqlite3.IntegrityError):
        store.save_session(other, [OutboxItem(Channel.RECORDS, other.id, b"{}")])
    assert store.outbox_count() == 1 and store.session_ids() == [rec.id]
    bad = PainReport.__new__(PainReport)
    object.__setattr__(bad, "id", new_id())
    for name, value in (("rating", 11), ("phase", PainPhase.AFTER), ("at", NOW),
                        ("session_id", None), ("note", "")):
        object.__setattr__(bad, name, value)
    with pytest.raises(sqlite3.IntegrityError):  # CHECK (rating 0..10)
        store.save_pain(bad, [OutboxItem(Channel.RECORDS, bad.id, b"{}")])
    assert store.outbox_count() == 1


def test_outbox_is_read_oldest_first_and_deleted_by_id(tmp_path: Path) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    store.enqueue([OutboxItem(Channel.RECORDS, f"r{i}", bytes([i])) for i in range(10)])
    rows = store.outbox_batch(0, 4)
    assert [r.record_id for r in rows] == ["r0", "r1", "r2", "r3"]
    store.outbox_delete([rows[1].id, rows[2].id])
    assert [r.record_id for r in store.outbox_batch(0, 100)] == [
        "r0", "r3", "r4", "r5", "r6", "r7", "r8", "r9"]
    assert [r.record_id for r in store.outbox_batch(rows[3].id, 2)] == ["r4", "r5"]


def test_plan_round_trip(tmp_path: Path) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    assert store.current_plan() is None
    for version in (2, 5, 3):
        text = json.dumps(valid_plan(version=version))
        store.save_plan(parse_plan(json.loads(text)), text, NOW)
    plan, _text = store.current_plan()  # type: ignore[misc]
    assert plan.version == 5


def test_fhir_resources_validate_with_fhir_resources_r4b() -> None:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    rec = session()
    bundle = Bundle.model_validate(fhir.session_bundle(rec, "dev-1"))
    assert bundle.identifier.value == f"urn:uuid:{rec.id}"
    obs = [e.resource for e in bundle.entry]
    assert len(obs) == 1 + 3
    rep_obs = obs[1]
    assert rep_obs.code.coding[0].code == "364564000"
    assert rep_obs.valueQuantity.code == "deg" and rep_obs.valueQuantity.value == 60.0
    assert rep_obs.bodySite.coding[0].code == "72696002"
    assert rep_obs.bodySite.extension[0].valueCodeableConcept.coding[0].code == "7771000"
    assert obs[0].effectivePeriod.start is not None
    pain = Observation.model_validate(fhir.pain_observation(rec.pains[0], "dev-1"))
    assert pain.code.coding[0].code == "72514-3" and pain.valueInteger == 5
    assert pain.note[0].text == "sore"
    q = QuestionnaireAnswers(new_id(), "urn:rehab-kiosk:questionnaire:checkin", NOW,
                             (("sleep", 7), ("walked", True), ("comment", "ok"), ("kg", 71.5)))
    qr = QuestionnaireResponse.model_validate(fhir.questionnaire_response(q, "dev-1"))
    assert [i.linkId for i in qr.item] == ["sleep", "walked", "comment", "kg"]
    # a question left blank (the intake's optional free text) has no answer, not an empty
    # valueString, which R4 refuses and a validating clinic would never confirm
    q = QuestionnaireAnswers(new_id(), "urn:rehab-kiosk:questionnaire:intake", NOW,
                             (("goal", ""), ("notes", "  "), ("sleep", 7)))
    qr = QuestionnaireResponse.model_validate(fhir.questionnaire_response(q, "dev-1"))
    assert [(i.linkId, i.answer) for i in qr.item[:2]] == [("goal", None), ("notes", None)]
    assert all(r.status == "final" for r in obs)  # fhir.resources does not check value sets


def test_resend_is_byte_identical() -> None:
    rec = session()
    assert fhir.session_bundle(rec, "d") == fhir.session_bundle(rec, "d")
