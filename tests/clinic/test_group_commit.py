"""GroupCommitter with injected commit/done/failed (no database, no timing)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from clinic.group_commit import GroupCommitter


class Recorder:
    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.done: list[tuple[list[int], list[bool]]] = []
        self.failed: list[list[int]] = []
        self.fail_on = fail_on
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def commit(self, batch: Sequence[int]) -> list[bool]:
        self.entered.set()
        self.gate.wait(10)
        if self.fail_on in batch:
            raise OSError("disk full")
        self.batches.append(list(batch))
        return [i % 2 == 0 for i in batch]

    def on_done(self, batch: Sequence[int], added: list[bool]) -> None:
        self.done.append((list(batch), added))

    def on_failed(self, batch: Sequence[int], _exc: BaseException) -> None:
        self.failed.append(list(batch))


def test_records_arriving_during_a_commit_go_in_the_next_one_in_order() -> None:
    rec = Recorder()
    rec.gate.clear()
    gc: GroupCommitter[int] = GroupCommitter(rec.commit, rec.on_done, rec.on_failed,
                                             max_batch=50)
    gc.start()
    gc.put(0)
    assert rec.entered.wait(10)  # the first commit is under way (held by the gate)
    for i in range(1, 121):
        gc.put(i)
    rec.gate.set()
    gc.stop()
    assert rec.batches == [[0], list(range(1, 51)), list(range(51, 101)), list(range(101, 121))]
    assert [d[0] for d in rec.done] == rec.batches
    assert rec.done[1][1][:2] == [False, True]  # the commit's answer per item
    assert (gc.batches, gc.committed, gc.largest) == (4, 121, 50)


def test_one_item_that_fails_its_group_fails_alone_and_the_rest_commit() -> None:
    rec = Recorder(fail_on=3)
    rec.gate.clear()
    gc: GroupCommitter[int] = GroupCommitter(rec.commit, rec.on_done, rec.on_failed)
    gc.start()
    gc.put(0)
    assert rec.entered.wait(10)
    for i in (1, 2, 3):
        gc.put(i)
    rec.gate.set()
    gc.stop()  # stop commits what was queued before it
    # the group [1, 2, 3] failed because of 3: committed again one by one, 3 fails alone
    assert rec.failed == [[3]] and rec.batches == [[0], [1], [2]]
    assert [d[0] for d in rec.done] == [[0], [1], [2]]
    gc2: GroupCommitter[int] = GroupCommitter(rec.commit, rec.on_done, rec.on_failed)
    gc2.start()
    gc2.put(4)
    gc2.stop()
    assert rec.batches == [[0], [1], [2], [4]]


def test_after_stop_nothing_is_accepted() -> None:
    rec = Recorder()
    gc: GroupCommitter[int] = GroupCommitter(rec.commit, rec.on_done, rec.on_failed)
    gc.start()
    assert gc.put(1)
    gc.stop()
    assert gc.put(2) is False
    assert rec.batches == [[1]]


def _wait_for(predicate: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_a_busy_stream_fills_its_group_and_a_lone_item_commits_at_once() -> None:
    """Items waiting when a group starts (a busy stream): the committer waits for ``fill``
    (here up to a linger far longer than the test), so ten waiting and ten arriving later
    commit as one group; an item arriving alone is committed without that wait."""
    rec = Recorder()
    rec.gate.clear()
    gc: GroupCommitter[int] = GroupCommitter(rec.commit, rec.on_done, rec.on_failed,
                                             fill=20, linger_s=30.0)
    gc.start()
    gc.put(0)  # alone: committed at once (held by the gate)
    assert rec.entered.wait(10)
    for i in range(1, 11):
        gc.put(i)  # waiting while the first commit runs
    rec.gate.set()
    assert not _wait_for(lambda: len(rec.batches) > 1, 0.2)  # lingering for 20 ...
    for i in range(11, 21):
        gc.put(i)
    assert _wait_for(lambda: len(rec.batches) == 2, 10)  # ... not for the 30 s linger
    gc.put(21)  # the queue was empty: no linger
    assert _wait_for(lambda: len(rec.batches) == 3, 10)
    gc.stop()
    assert rec.batches == [[0], list(range(1, 21)), [21]]


def test_stop_ends_a_linger_and_commits_what_it_holds() -> None:
    rec = Recorder()
    rec.gate.clear()
    gc: GroupCommitter[int] = GroupCommitter(rec.commit, rec.on_done, rec.on_failed,
                                             fill=50, linger_s=30.0)
    gc.start()
    gc.put(0)
    assert rec.entered.wait(10)
    gc.put(1)
    gc.put(2)
    rec.gate.set()
    started = time.monotonic()
    gc.stop()  # the committer lingers for 50 items: the stop ends it
    assert rec.batches == [[0], [1, 2]] and time.monotonic() - started < 20
