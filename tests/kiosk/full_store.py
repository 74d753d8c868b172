"""A store full to the brim (real SQLITE_FULL from the store's size cap) and the space
coming back: shared by the storage tests of the model and of the flow."""

from __future__ import annotations

import pytest

from kiosk.model import KioskModel
from therapy.errors import StorageFull
from therapy.outbox import Channel, OutboxItem


def fill(m: KioskModel) -> None:
    """Cap the store at its size and fill it with outbox rows to the brim (big rows, then
    ever smaller ones into what is left of the last pages)."""
    m.store.limit_size(0)
    n = 0
    for size in (3000, 300, 30, 1):
        with pytest.raises(StorageFull):
            while n < 100_000:
                m.store.enqueue([OutboxItem(Channel.RECORDS, f"filler-{n}", b"x" * size)])
                n += 1


def free(m: KioskModel) -> None:
    """Space comes back: the fillers are sent (deleted) and the cap lifted."""
    m.store.outbox_delete([r.id for r in m.store.outbox_batch(0, 100_000)
                           if r.record_id.startswith("filler-")])
    m.store.limit_size(2**40)
