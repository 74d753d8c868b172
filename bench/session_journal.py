"""What the crash-safe session journal costs: ``python -m bench.session_journal``.

1. One confirmed rep's journal write (``therapy.drafts.DraftJournal.rep``: one transaction,
   WAL with ``synchronous=FULL``, so an fsync of the WAL per rep) on the store's own
   filesystem: median, 95th percentile and worst, against the kiosk's frame (33 ms at
   30 Hz; the write runs on the event loop, before the rep is shown) and as a share of the
   ~1 s between reps. The same writes with ``synchronous=NORMAL`` (no fsync at commit, not
   power-safe) show how much of it is the disk.
2. A whole simulated set (the real motion core, the simulator as fast as it goes) with the
   journal and without, same run: the ratio is what journaling adds to a session's CPU.
3. Start-up recovery of a draft of 100 reps (read, checked, stored with its outbox rows).

``--dir`` is where the store goes (default: the current folder's filesystem; a tmpfs
would hide the fsync). Several runs on a shared machine swing: report the spread.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sensors.sim import SimConfig
from sensors.sim.source import sim_sources
from therapy.drafts import DraftJournal, recover_drafts
from therapy.journal import DraftHeader
from therapy.plan import exercise_from_catalogue
from therapy.ports import FhirEncoder
from therapy.records import RepRecord, new_id
from therapy.session import SessionController
from therapy.store import TherapyStore

FRAME_MS = 1000 / 30  # the kiosk's frame tick
REP_GAP_MS = 1000.0  # about one rep a second at most
EX = "knee_extension_seated"
GONE = "bench-boot:1:1"  # a dead owner, so recovery takes the draft
REPEATS = 5


def _rep(i: int) -> RepRecord:
    return RepRecord(1 + i // 10, 1 + i % 10, 7.5 * i, 7.5 * i + 6, 68.0 + i % 5, 2.9, 1.5,
                     1.5, ("too_fast",) if i % 7 == 0 else ())


def rep_writes(folder: Path, n: int, synchronous: str) -> list[float]:
    """ms per journal rep write, ``n`` writes."""
    store = TherapyStore(folder / f"journal-{synchronous.lower()}.db")
    store._db.execute(f"PRAGMA synchronous={synchronous}")
    journal = DraftJournal(store, GONE)
    ex = exercise_from_catalogue(EX)
    sid = new_id()
    now = datetime.now(timezone.utc)
    journal.set_started(sid, DraftHeader.of(ex, now, None, None), 1, ["sim"], now)
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        journal.rep(sid, _rep(i), now)
        out.append((time.perf_counter() - t0) * 1000)
    store.close()
    return out


async def one_set(folder: Path, journaled: bool, reps: int) -> float:
    """CPU seconds of one simulated set of ``reps`` reps, with or without the journal."""
    store = TherapyStore(folder / f"set-{journaled}-{new_id()}.db")
    ex = exercise_from_catalogue(EX)
    ctl = SessionController(ex, sink=store, encoder=FhirEncoder("bench"),
                            journal=DraftJournal(store, GONE) if journaled else None)
    distal, _prox = sim_sources(SimConfig(exercise_id=EX, reps=reps, seed=1, drop_prob=0.0),
                                realtime=False)
    t0 = time.process_time()
    got = await ctl.run_set(distal)
    ctl.finish()
    cpu = time.process_time() - t0
    store.close()
    assert len(got) == reps, f"{len(got)} of {reps} reps"
    return cpu


def recovery_ms(folder: Path, reps: int) -> float:
    store = TherapyStore(folder / "recover.db")
    journal = DraftJournal(store, GONE)
    now = datetime.now(timezone.utc)
    sid = new_id()
    ex = dataclasses.replace(exercise_from_catalogue(EX), sets=1 + (reps - 1) // 10, reps=10)
    journal.set_started(sid, DraftHeader.of(ex, now, None, None), ex.sets, ["sim"], now)
    for i in range(reps):
        journal.rep(sid, _rep(i), now)
    t0 = time.perf_counter()
    got = recover_drafts(store, FhirEncoder("bench"))
    ms = (time.perf_counter() - t0) * 1000
    assert got.reps == reps
    store.close()
    return ms


def _ms(xs: list[float]) -> str:
    return ",".join(f"{x * 1000:.0f}" for x in xs)


def _p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(len(xs) * 0.95) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=Path.cwd(),
                    help="folder on the filesystem the store lives on (default: here)")
    ap.add_argument("--writes", type=int, default=300, help="rep writes timed (default 300)")
    ap.add_argument("--reps", type=int, default=20, help="reps of the simulated set")
    args = ap.parse_args()
    logging.getLogger("therapy.drafts").setLevel(logging.ERROR)  # the recovery's own line
    with tempfile.TemporaryDirectory(dir=args.dir, prefix=".bench-journal-") as tmp:
        folder = Path(tmp)
        print(f"store in {folder}")
        full = rep_writes(folder, args.writes, "FULL")
        normal = rep_writes(folder, args.writes, "NORMAL")
        med = statistics.median(full)
        print(f"rep write, synchronous=FULL  : median {med:.2f} ms, p95 {_p95(full):.2f} ms, "
              f"max {max(full):.2f} ms ({args.writes} writes)")
        print(f"rep write, synchronous=NORMAL: median {statistics.median(normal):.2f} ms, "
              f"p95 {_p95(normal):.2f} ms, max {max(normal):.2f} ms")
        print(f"  median / frame (33 ms): {med / FRAME_MS:.1%}; p95 / frame: "
              f"{_p95(full) / FRAME_MS:.1%}; median / 1 s between reps: {med / REP_GAP_MS:.2%}")
        asyncio.run(one_set(folder, False, args.reps))  # warm-up (imports, first calls)
        plain, journaled = [], []
        for _ in range(REPEATS):  # interleaved, so a load swing hits both alike
            plain.append(asyncio.run(one_set(folder, False, args.reps)))
            journaled.append(asyncio.run(one_set(folder, True, args.reps)))
        p, j = statistics.median(plain), statistics.median(journaled)
        print(f"simulated set of {args.reps} reps, CPU (median of {REPEATS}): {p * 1000:.0f} ms "
              f"plain, {j * 1000:.0f} ms journaled (x{j / p:.2f}; runs {_ms(plain)} / "
              f"{_ms(journaled)})")
        print(f"recovery of a 100-rep draft: {recovery_ms(folder, 100):.1f} ms")


if __name__ == "__main__":
    main()
