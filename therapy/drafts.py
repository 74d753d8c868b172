"""The running session's journal in the device store, and recovering what a crash left.

:class:`DraftJournal` is the :class:`~therapy.journal.SessionJournal` the kiosk and ``rehab
session`` give their controller: the session's start, each set begun, the pain before and
each confirmed rep go to ``session_drafts`` / ``draft_reps`` (migration 6), each wearable
outage to ``draft_gaps`` (7; with its set's clock pair, 8) as they happen, one small
transaction each (WAL, ``synchronous=FULL``: committed means on disk). Storing the
session (``TherapyStore.save_session``: the summary flow, a stop) removes its draft in the
same transaction.

:func:`recover_drafts` runs at start-up (the kiosk's model, ``rehab session``): each draft
whose process is gone (killed, crashed, the power cut) becomes the session not completed a
stop would have stored, with its outbox rows, and its draft is removed in that same
transaction, so a crash during recovery stores it once, at the next try. A draft that
cannot be read is logged, counted and kept aside (``quarantined``: the reason), never
deleted; a draft with nothing done (no rep, no pain before) is removed.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from therapy.errors import StorageError
from therapy.journal import (Draft, DraftError, DraftGap, DraftHeader, pain_to_json, read_draft,
                             rep_to_json)
from therapy.ports import Encoder
from therapy.records import PainReport, RepRecord, SessionRecord
from therapy.store import TherapyStore

log = logging.getLogger(__name__)
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
NO_HEADER = "reps without the session's start (header row missing)"


def _boot_id() -> str:
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> str:
    """The process's start time (``/proc/PID/stat`` field 22), "" when /proc has none;
    OSError when there is no such process, and for a zombie (killed, not yet reaped)."""
    path = Path(f"/proc/{pid}/stat")
    if not Path("/proc/self/stat").exists():
        os.kill(pid, 0)  # no /proc: only whether the pid runs
        return ""
    fields = path.read_text().rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        raise ProcessLookupError(pid)
    return fields[19]


def process_token(pid: int | None = None) -> str:
    """Names a running process across pid reuse and reboots: boot id, pid, start time."""
    pid = os.getpid() if pid is None else pid
    return f"{_boot_id()}:{pid}:{_start_ticks(pid)}"


def owner_alive(token: str) -> bool:
    """Whether the process ``token`` names still runs (same boot, same pid and start)."""
    boot, _, rest = token.partition(":")
    pid, _, start = rest.partition(":")
    if boot != _boot_id() or not pid.isdigit():
        return False
    try:
        return _start_ticks(int(pid)) == start
    except (OSError, ValueError, IndexError):
        return False


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class DraftJournal:
    """The journal in ``store`` (see module doc), written as process ``owner``."""

    def __init__(self, store: TherapyStore, owner: str | None = None) -> None:
        self.store = store
        self.owner = owner or process_token()

    def _write(self, stmts: Sequence[tuple[str, Sequence[Any]]]) -> None:
        try:
            self.store._tx(stmts)
        except sqlite3.Error as exc:  # not a storage fault (_tx raised those as such)
            raise StorageError(f"session journal in {self.store.path}: {exc}",
                               self.store.path) from exc

    def _header(self, session_id: str, header: DraftHeader,
                at: str) -> tuple[str, Sequence[Any]]:
        return ("INSERT INTO session_drafts (session_id, header, owner, last_at) "
                "VALUES (?,?,?,?) ON CONFLICT(session_id) DO UPDATE SET "
                "header = excluded.header, owner = excluded.owner, last_at = excluded.last_at",
                (session_id, header.to_json(), self.owner, at))

    def set_started(self, session_id: str, header: DraftHeader, set_no: int,
                    sources: Sequence[str], at: datetime) -> None:
        self._write([self._header(session_id, header, at.isoformat()),
                     ("UPDATE session_drafts SET sets_done = MAX(sets_done, ?), "
                      "sources = json_insert(sources, '$[#]', json(?)) WHERE session_id = ?",
                      (set_no, _json_list(sources), session_id))])

    def pain_before(self, session_id: str, header: DraftHeader, pain: PainReport) -> None:
        self._write([self._header(session_id, header, pain.at.isoformat()),
                     ("UPDATE session_drafts SET pain_before = ? WHERE session_id = ?",
                      (pain_to_json(pain), session_id))])

    def rep(self, session_id: str, rep: RepRecord, at: datetime) -> None:
        """A confirmed rep (again with its fused ROM: replaces the one of its number)."""
        self._write([("INSERT OR REPLACE INTO draft_reps VALUES (?,?,?,?,?)",
                      (session_id, rep.set_no, rep.n, rep_to_json(rep), at.isoformat())),
                     ("UPDATE session_drafts SET last_at = ? WHERE session_id = ?",
                      (at.isoformat(), session_id))])

    def gap(self, session_id: str, gap: DraftGap) -> None:
        """A wearable outage begun (end_s None) or ended (replaces the one begun), with its
        set's clock pair (migration 8)."""
        self._write([("INSERT OR REPLACE INTO draft_gaps (session_id, set_no, sensor_id, "
                      "segment, start_s, end_s, reason, wall_at, host_s) "
                      "VALUES (?,?,?,?,?,?,?,?,?)", (session_id, *gap.row(), *gap.clock_row())),
                     ("UPDATE session_drafts SET last_at = ? WHERE session_id = ?",
                      (_now(), session_id))])

    def drop(self, session_id: str) -> None:
        self._write(TherapyStore.draft_drop(session_id))


def _json_list(items: Sequence[str]) -> str:
    import json

    return json.dumps([str(i) for i in items])


@dataclass
class Recovery:
    """What :func:`recover_drafts` did: sessions stored, drafts kept aside (session id,
    why), drafts with nothing done removed, drafts left for the next start because the
    store failed (id, why), drafts of processes still running left alone."""

    stored: list[SessionRecord] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    live: int = 0

    @property
    def reps(self) -> int:
        return sum(r.rep_count for r in self.stored)


def recover_drafts(store: TherapyStore, encoder: Encoder,
                   alive: Callable[[str], bool] = owner_alive) -> Recovery:
    """Store every draft a dead process left (see module doc); never raises for a draft:
    a store fault leaves it for the next start, logged."""
    out = Recovery()
    _quarantine_orphans(store, out)
    rows = store._query("SELECT session_id, header, owner, sets_done, pain_before, last_at "
                        "FROM session_drafts WHERE quarantined IS NULL ORDER BY last_at")
    for sid, header, owner, sets_done, pain, last_at in rows:
        if alive(str(owner)):
            out.live += 1
            continue
        reps = store._query("SELECT set_no, n, rep, at FROM draft_reps WHERE session_id = ? "
                            "ORDER BY set_no, n", (sid,))
        gaps = store._query("SELECT set_no, sensor_id, segment, start_s, end_s, reason, "
                            "wall_at, host_s FROM draft_gaps WHERE session_id = ?", (sid,))
        try:
            draft = read_draft(str(sid), header, sets_done, pain, last_at, reps, gaps)
        except DraftError as exc:
            _quarantine(store, out, str(sid), str(exc))
            continue
        try:
            if not draft.worth_keeping:
                store._tx(TherapyStore.draft_drop(draft.session_id))
                out.dropped.append(draft.session_id)
                log.info("interrupted session %s had nothing done: its draft is removed",
                         draft.session_id)
                continue
            rec = draft.record()
            store.save_session(rec, _encoder(encoder, draft.header).session_items(rec),
                               _unsaved_gaps(store, draft))
        except sqlite3.IntegrityError as exc:  # a row the store refuses: kept aside
            _quarantine(store, out, draft.session_id, f"the store refused it: {exc}")
            continue
        except (StorageError, sqlite3.Error) as exc:  # the store failed: the next start
            out.failed.append((draft.session_id, str(exc)))
            log.error("interrupted session %s not stored (tried again at the next start): "
                      "%s", draft.session_id, exc)
            continue
        out.stored.append(rec)
        log.warning("interrupted session %s (%s) stored as not completed: %d reps in %d of "
                    "%d sets, ended %s", rec.id, rec.exercise_id, rec.rep_count,
                    rec.sets_done, rec.target_sets, rec.ended_at.isoformat())
    return out


def _unsaved_gaps(store: TherapyStore, draft: Draft) -> list[tuple[Any, ...]]:
    """The draft's wearable outages of sets whose end did not save theirs (a set's end
    saves all its gaps at once, in one transaction)."""
    saved = {int(r[0]) for r in store._query(
        "SELECT DISTINCT set_no FROM wearable_gaps WHERE session_id = ?", (draft.session_id,))}
    return [g.row() for g in draft.gaps if g.set_no not in saved]


def quarantined_drafts(store: TherapyStore) -> list[tuple[str, str]]:
    """Drafts kept aside (session id, why), for a maintainer."""
    return [(str(r[0]), str(r[1])) for r in store._query(
        "SELECT session_id, quarantined FROM session_drafts WHERE quarantined IS NOT NULL "
        "ORDER BY session_id")]


def _encoder(encoder: Encoder, header: DraftHeader) -> Encoder:
    """The session's own encoder: marked supervised when it ran during a video visit."""
    if header.supervision is None:
        return encoder
    from therapy.supervised import SupervisedEncoder, Supervision

    return SupervisedEncoder(encoder, Supervision(*header.supervision))


def _quarantine(store: TherapyStore, out: Recovery, sid: str, why: str) -> None:
    out.quarantined.append((sid, why))
    log.warning("interrupted session %s cannot be read and is kept aside (quarantined): %s",
                sid, why)
    try:
        store._tx([("UPDATE session_drafts SET quarantined = ? WHERE session_id = ?",
                    (why[:500], sid))])
    except (StorageError, sqlite3.Error) as exc:
        log.error("could not mark draft %s as quarantined: %s", sid, exc)


def _quarantine_orphans(store: TherapyStore, out: Recovery) -> None:
    """Rep rows whose session has no header row: kept, under a header row saying so."""
    for (sid,) in store._query("SELECT DISTINCT session_id FROM draft_reps WHERE session_id "
                               "NOT IN (SELECT session_id FROM session_drafts)"):
        try:
            store._tx([("INSERT INTO session_drafts (session_id, header, owner, last_at, "
                        "quarantined) VALUES (?, '', '', ?, ?)", (sid, _now(), NO_HEADER))])
        except (StorageError, sqlite3.Error) as exc:
            log.error("could not mark draft %s as quarantined: %s", sid, exc)
            continue
        out.quarantined.append((str(sid), NO_HEADER))
        log.warning("interrupted session %s cannot be read and is kept aside "
                    "(quarantined): %s", sid, NO_HEADER)
