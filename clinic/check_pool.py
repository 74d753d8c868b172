"""Ingest's record checks, in paho's thread or in worker processes.

A record's checks are CPU work: the bounded JSON decode, the inbound checks, FHIR
validation (fhir.resources: 3-5 ms for a session Bundle) and the store's rows. On paho's
network thread they all share one GIL, so one ``serve`` process could check at most
1 / (their CPU time) records a second whatever the machine has. :class:`CheckPool` runs
:func:`check_batch` (no I/O: mqtt.inbound, clinic.rows, the validator) in ``workers``
processes on batches of whatever has arrived, and hands each verdict back in order of
arrival per batch; paho's thread only queues the payload. A verdict with rows goes to the
group commit and its receipt follows the commit, as before; a refusal is counted by the
watcher. At most ``max_pending`` records are being checked at once: beyond that ``put``
blocks paho's thread and the broker holds the rest. A worker that dies (or a validator
that cannot be pickled) costs nothing: the batch is checked in this process instead.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Any, NamedTuple

from clinic.rows import Prepared, prepare
from mqtt.errors import LinkError
from mqtt.inbound import CLINIC_RULES, InboundRejected, Reject, accept
from mqtt.topics import Leaf

log = logging.getLogger(__name__)
MAX_BATCH = 64  # records per worker task: the pickling and task overhead spread thin
MAX_PENDING = 2000  # records queued or being checked (each up to RECORD_MAX_BYTES)
OWNER_POLL_S = 1.0  # a worker checks this often that its serve process is still there

AUTO_WORKERS_MAX = 4  # serve --check-workers auto: at most this many
AUTO_MIN_CORES = 3  # ... and none on fewer cores


def auto_workers(cores: int | None = None) -> int:
    """``--check-workers auto``: the cores this process may run on less one (paho's thread,
    the commits and the web pages keep one), at most AUTO_WORKERS_MAX; 0 below
    AUTO_MIN_CORES, where the broker, serve and its workers would share two cores and a
    worker gains little (bench.clinic's drain and ingest rows, docs/clinic-server.md)."""
    if cores is None:
        try:
            cores = len(os.sched_getaffinity(0))  # a taskset or cgroup cpuset counts
        except AttributeError:  # not Linux
            cores = os.cpu_count() or 1
    return 0 if cores < AUTO_MIN_CORES else min(AUTO_WORKERS_MAX, cores - 1)


# validate(resource) raises ValueError for a resource that is not valid FHIR
Validator = Callable[[dict[str, Any]], None]


def fhir_validator(resource: dict[str, Any]) -> None:
    """Validate with fhir.resources (R4B); raises ValueError (pydantic's) when invalid."""
    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


class Verdict(NamedTuple):
    """One record's checks: its rows (``prepared``), or why it was refused."""

    prepared: Prepared | None
    reason: Reject | None = None
    detail: str = ""
    body: dict[str, Any] | None = None  # the decoded resource (kept in this process only)


def check_record(device: str, payload: bytes, validate: Validator | None) -> Verdict:
    """Decode and check one record payload and build its rows; never raises for bad input."""
    try:
        body = accept(Leaf.RECORDS.value, payload, CLINIC_RULES)
        try:
            if validate is not None:
                validate(body)
            # the payload passed decode() (strict UTF-8 JSON): stored as it came
            prepared = prepare(device, body, payload.decode("utf-8"))
        except (ValueError, KeyError, TypeError) as exc:  # the FHIR validator's verdict
            raise InboundRejected(Reject.NOT_FHIR, type(exc).__name__) from None
        except LinkError as exc:  # e.g. a record without an identifier
            raise InboundRejected(Reject.BAD_FIELD, str(exc)) from None
    except InboundRejected as exc:
        return Verdict(None, exc.reason, exc.detail)
    return Verdict(prepared, body=body)


def check_batch(items: Sequence[tuple[str, bytes]], validate: Validator | None
                ) -> list[Verdict]:
    """The worker's task. The stored text is not sent back (the caller holds the payload)."""
    out = []
    for device, payload in items:
        v = check_record(device, payload, validate)
        if v.prepared is not None:
            v.prepared.row["body"] = ""
        out.append(v._replace(body=None))
    return out


def _watch_owner(owner_pid: int) -> None:
    """In each worker: end when the serve process that started it is gone (SIGKILLed, it
    cannot say so; the worker would wait on its task queue for ever)."""
    def watch() -> None:
        while True:
            time.sleep(OWNER_POLL_S)
            try:
                os.kill(owner_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:  # a pid taken again by another user's process
                os._exit(0)

    threading.Thread(target=watch, name="watch-owner", daemon=True).start()


def _warm(validate: Validator | None) -> None:
    """Import what the checks need before the first record (fhir.resources takes ~1 s)."""
    if validate is not None:
        try:
            validate({"resourceType": "Basic", "code": {"text": "warm-up"}})
        except (ValueError, KeyError, TypeError):
            pass  # a validator's verdict on the warm-up resource says nothing


class CheckPool:
    def __init__(self, workers: int, validate: Validator | None,
                 on_checked: Callable[[list[tuple[Any, Verdict]]], None], *,
                 max_batch: int = MAX_BATCH, max_pending: int = MAX_PENDING) -> None:
        self.workers = workers
        self.validate = validate
        self.on_checked = on_checked
        self.max_batch = max_batch
        self._slots = threading.Semaphore(max_pending)
        self._queue: deque[tuple[str, bytes, Any]] = deque()
        self._cond = threading.Condition()
        self._accepting = False
        self._running = 0  # batches submitted and not yet handed back
        self._executor: ProcessPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.inline = 0  # batches checked in this process (a worker failed)
        self.restarts = 0  # times the workers were started again (one had died)

    def start(self) -> None:
        self._executor = self._new_executor()
        try:
            for f in [self._executor.submit(_warm, self.validate) for _ in range(self.workers)]:
                f.result(timeout=60)
        except Exception as exc:  # noqa: BLE001  e.g. a validator that cannot be pickled
            log.warning("record checks stay in this process: %s", exc)
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        self._accepting = True
        self._thread = threading.Thread(target=self._run, name="check-pool", daemon=True)
        self._thread.start()

    def worker_cpu_s(self) -> float:
        """CPU seconds the current workers have used (Linux /proc; 0 elsewhere)."""
        pids = list(getattr(self._executor, "_processes", None) or ())
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def put(self, device: str, payload: bytes, tag: Any) -> bool:
        """Queue one payload (blocks while ``max_pending`` are in hand); False once stopping."""
        if not self._accepting:
            return False
        self._slots.acquire()
        with self._cond:
            self._queue.append((device, payload, tag))
            self._cond.notify()
        return True

    def stop(self, timeout_s: float = 30.0) -> None:
        """Check what is queued, hand every verdict back, then end the workers."""
        with self._cond:
            self._accepting = False
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        with self._cond:
            self._cond.wait_for(lambda: self._running == 0, timeout_s)
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or not self._accepting)
                if not self._queue:
                    return  # stopping, nothing left
                n = min(len(self._queue), self.max_batch)
                batch = [self._queue.popleft() for _ in range(n)]
                self._running += 1
            self._submit(batch)

    def _submit(self, batch: list[tuple[str, bytes, Any]]) -> None:
        items = [(device, payload) for device, payload, _ in batch]
        if self._executor is None:  # no workers: checked on this thread
            self._hand_back(batch, None)
            return
        try:
            try:
                future = self._executor.submit(check_batch, items, self.validate)
            except BrokenProcessPool:  # a worker died: new workers (on this thread only)
                log.warning("a record check worker died: starting %d new", self.workers)
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._new_executor()
                self.restarts += 1
                future = self._executor.submit(check_batch, items, self.validate)
        except Exception as exc:  # noqa: BLE001  no workers to be had: check here
            log.warning("record check workers unavailable (%s): checking here", exc)
            self._hand_back(batch, None)
            return
        future.add_done_callback(lambda f: self._hand_back(batch, f))

    def _new_executor(self) -> ProcessPoolExecutor:
        # forkserver: no fork of a process that runs paho's and SQLAlchemy's threads
        return ProcessPoolExecutor(self.workers, mp_context=get_context("forkserver"),
                                   initializer=_watch_owner, initargs=(os.getpid(),))

    def _hand_back(self, batch: list[tuple[str, bytes, Any]],
                   future: Future[list[Verdict]] | None) -> None:
        try:
            verdicts = self._verdicts(batch, future)
            self.on_checked([(tag, v) for (_d, _p, tag), v in zip(batch, verdicts)])
        except Exception:  # supervised boundary: no receipts, the devices resend
            log.exception("handing back %d checked records", len(batch))
        finally:
            self._slots.release(len(batch))
            with self._cond:
                self._running -= 1
                self.batches += 1
                self._cond.notify_all()

    def _verdicts(self, batch: list[tuple[str, bytes, Any]],
                  future: Future[list[Verdict]] | None) -> list[Verdict]:
        if future is not None:
            try:
                verdicts = future.result()
            except Exception as exc:  # noqa: BLE001  a worker died or could not unpickle
                log.warning("a record check worker failed (%s): checking here", exc)
            else:
                for (_d, payload, _t), v in zip(batch, verdicts):
                    if v.prepared is not None:  # the stored text, as it came
                        v.prepared.row["body"] = payload.decode("utf-8")
                return verdicts
        self.inline += 1
        return [check_record(d, p, self.validate) for d, p, _t in batch]
