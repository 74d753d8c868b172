"""The clinic store's contract, run on SQLite and on a real PostgreSQL (``store_db``)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from records import START, session_resources
from sqlalchemy.exc import IntegrityError

from clinic.errors import StoreError
from clinic.store import ClinicStore, open_store
from therapy.fhir import resource_identifier


@pytest.fixture
def store(store_db: str | None, tmp_path: Path) -> ClinicStore:
    s = open_store(tmp_path / "clinic", store_db)
    yield s
    s.close()


def test_records_are_stored_once_with_their_session_and_pain_rows(store: ClinicStore) -> None:
    bundle, before, after = session_resources("dev-1", roms=(50.0, 52.5, 55.0))
    for resource in (bundle, before, after):
        assert store.add_resource("dev-1", resource) is True
        assert store.add_resource("dev-1", resource) is False  # a resend: held already
    assert store.identifiers() == {resource_identifier(r) for r in (bundle, before, after)}
    assert store.count_resources() == 3
    assert store.resources("Bundle") == [bundle]
    assert len(store.resources()) == 3
    [row] = store.sessions("dev-1")
    assert (row.identifier, row.device, row.exercise, row.reps, row.target_reps) == (
        resource_identifier(bundle), "dev-1", "knee_extension_seated", 3, 10)
    assert row.rom_deg == (50.0, 52.5, 55.0) and row.started_at == START
    assert [(phase, rating) for _s, phase, rating, _at in store.pain("dev-1")] == [
        ("before", 5), ("after", 3)]
    assert store.sessions("dev-2") == [] and store.pain("dev-2") == []


def test_a_record_without_identifier_is_refused(store: ClinicStore) -> None:
    with pytest.raises(StoreError, match="no identifier"):
        store.add_resource("dev-1", {"resourceType": "Observation"})
    assert store.count_resources() == 0


def test_a_nul_character_is_refused_on_every_backend_and_nothing_is_half_stored(
        store: ClinicStore) -> None:
    # PostgreSQL's TEXT cannot hold NUL: without the check the record met a driver error
    # (a handler failure, no receipt, resent for ever) instead of a counted rejection
    bundle = session_resources("dev-1")[0]
    bundle["entry"][0]["resource"]["method"]["coding"][0]["code"] = "knee\x00"
    with pytest.raises(StoreError, match="NUL"):
        store.add_resource("dev-1", bundle)
    assert store.count_resources() == 0 and store.sessions("dev-1") == []


def test_messages_plans_appointments_and_device_states(store: ClinicStore) -> None:
    assert store.add_message("dev-1", "m1", "to_therapist", "knee hurts", "2026-03-02T09:00:00Z")
    assert not store.add_message("dev-1", "m1", "to_therapist", "knee hurts", "2026-03-02T09:00:00Z")
    store.add_message("dev-1", "m2", "to_patient", "rest today", "2026-03-02T10:00:00Z")
    assert store.ack_message("m2", "dev-1")
    msgs = store.messages("dev-1")
    assert [(i, d, t) for i, d, t, _a in msgs] == [("m1", "to_therapist", "knee hurts"),
                                                   ("m2", "to_patient", "rest today")]
    assert msgs[0][3] is None and msgs[1][3] is not None
    store.add_plan("dev-1", 1, "plan v1")
    store.add_plan("dev-1", 2, "plan v2")
    store.add_plan("dev-1", 2, "plan v2 again")  # the same version pushed again replaces
    assert store.latest_plan("dev-1") == "plan v2 again" and store.latest_plan("x") is None
    store.add_appointment("a1", "dev-1", "2026-03-03T10:00:00+00:00", 30)
    store.appointment_started("a1", "2026-03-03T10:01:00+00:00", "s1")
    assert store.appointments("dev-1") == [("a1", "2026-03-03T10:00:00+00:00", 30,
                                            "2026-03-03T10:01:00+00:00")]
    store.add_appointment("a1", "dev-1", "2026-03-04T10:00:00+00:00", 45)  # moved
    assert store.appointments("dev-1") == [("a1", "2026-03-04T10:00:00+00:00", 45, None)]
    store.set_device_state("dev-1", "online")
    store.set_device_state("dev-1", "offline")
    store.set_device_state("dev-2", "online")
    assert store.devices() == {"dev-1": "offline", "dev-2": "online"}


def test_reopening_keeps_everything(store_db: str | None, tmp_path: Path) -> None:
    first = open_store(tmp_path / "clinic", store_db)
    for r in session_resources("dev-1"):
        first.add_resource("dev-1", r)
    first.add_plan("dev-1", 1, "p")
    first.close()
    again = open_store(tmp_path / "clinic", store_db)
    try:
        assert again.count_resources() == 3 and again.latest_plan("dev-1") == "p"
        assert again.schema_version == first.schema_version
    finally:
        again.close()


def test_two_stores_writing_the_same_records_at_once_store_each_once(
        store_db: str | None, tmp_path: Path) -> None:
    # two ingest processes (two engines, two connections) given the same redelivered records
    stores = [open_store(tmp_path / "clinic", store_db) for _ in range(2)]
    resources = [r for i in range(30) for r in session_resources(f"dev-{i % 3}")]
    added: list[list[bool]] = [[], []]
    barrier = threading.Barrier(2)

    def run(k: int) -> None:
        barrier.wait()
        for r in resources:
            added[k].append(stores[k].add_resource("dev-x", r))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    try:
        assert [a or b for a, b in zip(*added)] == [True] * len(resources)
        assert not any(a and b for a, b in zip(*added))  # never stored by both
        assert stores[0].count_resources() == len(resources)
        assert len(stores[1].sessions("dev-x")) == 30
    finally:
        for s in stores:
            s.close()


def test_a_bad_db_url_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="use postgresql://"):
        open_store(tmp_path, "mysql://x@y/z")


def test_an_unreachable_postgresql_is_a_store_error_without_the_password(
        tmp_path: Path) -> None:
    from bench.pg_cluster import _free_port

    with pytest.raises(StoreError, match="cannot open clinic store") as err:
        open_store(tmp_path, f"postgresql://rehab:s3cret@127.0.0.1:{_free_port()}/x")
    assert "s3cret" not in str(err.value)


def test_a_group_of_records_is_one_transaction_all_or_nothing(store: ClinicStore) -> None:
    from clinic.store import prepare

    bundle, before, after = session_resources("dev-1")
    batch = [prepare("dev-1", r) for r in (bundle, before, bundle, after)]
    assert store.add_prepared(batch) == [True, True, False, True]  # a copy within the group
    assert store.count_resources() == 3 and len(store.sessions("dev-1")) == 1
    # a group whose last row breaks a constraint (NULL device) stores none of its rows
    fresh = [prepare("dev-2", r) for r in session_resources("dev-2")]
    broken = fresh[-1]._replace(row={**fresh[-1].row, "device": None})
    with pytest.raises(IntegrityError):
        store.add_prepared([*fresh[:-1], broken])
    assert store.count_resources() == 3 and store.sessions("dev-2") == []


def test_counts_beyond_32_bits_do_not_break_a_postgresql_commit(store: ClinicStore) -> None:
    # mqtt.inbound admits integers up to 2**63 (SQLite's INTEGER); PostgreSQL's INTEGER is
    # 32-bit: such a count made the whole group commit fail on every resend
    bundle, before, _after = session_resources("dev-1")
    for comp in bundle["entry"][0]["resource"]["component"]:
        if comp.get("valueQuantity", {}).get("unit") in ("{repetitions}", "{sets}"):
            comp["valueQuantity"]["value"] = 2**40
    assert store.add_resource("dev-1", bundle)
    [row] = store.sessions("dev-1")
    assert row.reps == 0 and row.target_reps is None  # not a count anyone prescribed
    before["valueInteger"] = 2**40
    with pytest.raises(StoreError, match="rating"):
        store.add_resource("dev-1", before)
    assert store.count_resources() == 1
