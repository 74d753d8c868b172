"""What ``rehab session`` left in the device store: the session row and its outbox rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from therapy.store import TherapyStore

# No broker listens here: the records stay in the outbox, where the test can see them.
OFFLINE = ["--device", "dev-1", "--clinic", "c1", "--broker", "mqtt://127.0.0.1:1",
           "--send-timeout", "0"]


def summary(out: str) -> dict[str, Any]:
    """The ``--json`` summary: the last line of stdout."""
    return json.loads(out.strip().splitlines()[-1])


def stored(data_dir: Path, session_id: str) -> tuple[int, int, list[str]]:
    """(rep_count, rows in reps, outbox record ids) of a stored session."""
    store = TherapyStore(data_dir / "rehab.db")
    try:
        [(count,)] = store._query("SELECT rep_count FROM sessions WHERE id = ?", (session_id,))
        [(rows,)] = store._query("SELECT COUNT(*) FROM reps WHERE session_id = ?",
                                 (session_id,))
        outbox = [r[0] for r in store._query("SELECT record_id FROM outbox ORDER BY id")]
    finally:
        store.close()
    return count, rows, outbox
