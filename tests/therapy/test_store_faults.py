"""Storage faults of the device store, made for real: SQLITE_FULL from SQLite's own size
limit (``max_page_count``), corruption by garbage written into a copy of a real database,
a data folder that is a file. Each is reported as what it is, and nothing stored is lost."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from therapy.errors import StorageCorrupt, StorageFull, StorageUnavailable
from therapy.outbox import Channel, OutboxItem
from therapy.records import PainPhase, PainReport, new_id
from therapy.store import TherapyStore
from test_therapy_store import NOW, session


def _fill(store: TherapyStore) -> int:
    """Outbox rows until the store is full; how many went in."""
    n = 0
    with pytest.raises(StorageFull):
        while n < 10_000:
            store.enqueue([OutboxItem(Channel.RECORDS, f"filler-{n}", b"x" * 3000)])
            n += 1
    return n


def test_disk_full_is_reported_as_full_and_loses_nothing(tmp_path: Path) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    kept = session()
    store.save_session(kept, [OutboxItem(Channel.RECORDS, kept.id, b"{}")])
    store.limit_size(0)  # no room beyond what the file holds: the next pages are "full"
    fillers = _fill(store)
    rec = session(n_reps=40)
    with pytest.raises(StorageFull) as err:
        store.save_session(rec, [OutboxItem(Channel.RECORDS, rec.id, b"{}" * 4000)])
    msg = str(err.value)
    assert "storage full" in msg and "call the clinic" in msg and "rehab doctor" in msg
    assert "cannot rollback" not in msg  # the old report hid the cause
    assert isinstance(err.value.__cause__, Exception) and "full" in str(err.value.__cause__)
    # what was committed before is intact, the failed record left no half
    assert store.session_ids() == [kept.id]
    assert store.outbox_count() == 1 + fillers
    assert store.integrity_check() == "ok"
    # space comes back (rows sent and deleted): the same record saves, once
    store.outbox_delete([r.id for r in store.outbox_batch(0, 100)
                         if r.record_id.startswith("filler-")])
    store.save_session(rec, [OutboxItem(Channel.RECORDS, rec.id, b"{}")])
    store.save_session(rec, [OutboxItem(Channel.RECORDS, rec.id, b"{}")])  # retried tap
    assert store.session_ids() == [kept.id, rec.id]
    assert [r.record_id for r in store.outbox_batch()] == [kept.id, rec.id]


def test_pain_report_saved_once_by_id(tmp_path: Path) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    p = PainReport(new_id(), 9, PainPhase.BEFORE, NOW, None, "sharp")
    store.save_pain(p, [OutboxItem(Channel.RECORDS, p.id, b"{}")])
    store.save_pain(p, [OutboxItem(Channel.RECORDS, p.id, b"{}")])
    assert store.record_ids() == {p.id} and store.outbox_count() == 1


def _corrupt_copy(src_dir: Path, dst_dir: Path, offset: int, seed: int) -> Path:
    dst_dir.mkdir()
    dst = dst_dir / "rehab.db"
    shutil.copy(src_dir / "rehab.db", dst)
    data = bytearray(dst.read_bytes())
    rnd = random.Random(seed)
    for i in range(offset, min(len(data), offset + 3 * 4096)):
        data[i] = rnd.randrange(256)
    dst.write_bytes(bytes(data))
    return dst


@pytest.mark.parametrize("offset", [100, 4096 * 3], ids=["schema-page", "table-pages"])
def test_corrupt_database_is_reported_as_damaged(tmp_path: Path, offset: int) -> None:
    good = tmp_path / "good"
    store = TherapyStore(good / "rehab.db")
    for _ in range(20):
        rec = session(n_reps=30)
        store.save_session(rec, [OutboxItem(Channel.RECORDS, rec.id, b"{}" * 500)])
    store.close()  # checkpoints the WAL into the file
    bad = _corrupt_copy(good, tmp_path / "bad", offset, seed=offset)
    before = bad.read_bytes()
    with pytest.raises(StorageCorrupt) as err:
        s = TherapyStore(bad)
        s.session_ids(), s.outbox_batch(0, 10_000), s.record_ids()  # reading hits the garbage
    assert "damaged" in str(err.value) and "call the clinic" in str(err.value)
    assert bad.read_bytes() == before  # kept as it is for the clinic
    assert TherapyStore(good / "rehab.db").integrity_check() == "ok"


def test_data_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder")
    with pytest.raises(StorageUnavailable, match="is a file, not a folder"):
        TherapyStore(tmp_path / "afile" / "rehab.db")
