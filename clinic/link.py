"""Clinic-side link: the watcher (persistent MQTT 5 session); one-shot publishers are
``clinic.one_shot`` (importable from here).

:class:`ClinicWatcher` subscribes to every device of a clinic with ``clean_start=False``
and a session expiry, so QoS 1 records published while it was away are delivered when it
comes back. Records are stored in :class:`~clinic.store.ClinicStore`, deduplicated
by identifier; live events and device states are kept in memory for the watch table.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple

from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy.exc import SQLAlchemyError

from clinic.check_pool import CheckPool, Validator, Verdict, check_record, fhir_validator
from clinic.group_commit import GroupCommitter
from clinic.live import LiveFanout
from clinic.one_shot import publish_once, tools_login
from clinic.errors import ClinicError
from clinic.quarantine import quarantine
from clinic.receipts import ReceiptBatcher, RefusalSender
from clinic.store import ClinicStore, Prepared
from mqtt.client import RECONNECT_MAX_S, connect, make_client
from mqtt.config import BrokerConfig
from mqtt.delivery import RECORD_ID_PROPERTY, valid_record_id
from mqtt.errors import LinkError
from mqtt.guard import CallbackGuard, install
from mqtt.inbound import (
    CLINIC_RULES,
    RECORD_MAX_BYTES,
    InboundRejected,
    InboundStats,
    Reject,
    accept,
    safe_prefix,
    should_log,
)
from mqtt.paho_client import paho
from mqtt.topics import (
    INGEST_LEAVES,
    Leaf,
    Topics,
    ingest_filters,
    ingest_group,
    parse_topic,
    valid_id,
    watch_filters,
)

log = logging.getLogger(__name__)
SESSION_EXPIRY_S = 7 * 24 * 3600
RECEIPTS_INFLIGHT = 1000
STOP_RECEIPTS_S = 5.0  # stop() waits this long for the last receipts' PUBACKs
# MQTT 5 Maximum Packet Size declared in CONNECT: the broker drops anything larger for us
MAX_PACKET_BYTES = RECORD_MAX_BYTES + 4096

__all__ = ["ClinicWatcher", "DeviceView", "Validator", "fhir_validator", "publish_once",
           "tools_login"]


class _Pending(NamedTuple):
    """A record accepted by the inbound checks, waiting for its group commit."""

    device: str
    body: dict[str, Any] | None  # None when checked in a worker process (not sent back)
    prepared: Prepared
    msg: paho.MQTTMessage


@dataclass(slots=True)
class DeviceView:
    """What the watch table shows for one device."""

    state: str = "?"
    session: str = ""
    exercise: str = ""
    reps: int = 0
    last_rom_deg: float | None = None
    records: int = 0
    duplicates: int = 0
    events: deque[str] = field(default_factory=lambda: deque(maxlen=5))


class ClinicWatcher:
    def __init__(self, broker: BrokerConfig, clinic: str, store: ClinicStore, *,
                 client_name: str = "watch", validate: Validator | None = fhir_validator,
                 on_event: Callable[[str, str, dict[str, Any]], None] | None = None,
                 reconnect_max_s: float = RECONNECT_MAX_S,
                 session_expiry_s: int = SESSION_EXPIRY_S, group: str | None = None,
                 check_workers: int = 0) -> None:
        self.clinic = clinic
        self.session_expiry_s = session_expiry_s
        # records and messages/out through a shared subscription of this group (topics.py)
        self.ingest = ingest_filters(clinic, group or ingest_group(clinic))
        self.receipts = 0  # records confirmed to their device (after the commit)
        self.batcher = ReceiptBatcher(self._publish_receipt)
        self._receipts_out: deque[paho.MQTTMessageInfo] = deque(maxlen=RECEIPTS_INFLIGHT)
        self._receipts_lock = threading.Lock()
        # records are committed in groups by one thread; receipts follow each commit
        self.committer: GroupCommitter[_Pending] = GroupCommitter(
            self._commit, self._committed, self._commit_failed)
        self.unreceipted = 0  # committed, but the device sent no usable record id
        self.unknown_acks = 0  # a device acked an id the clinic never sent it (logged)
        self.on_online: Callable[[str], None] | None = None  # a device's birth (resend)
        self.store = store
        # a record refused for good: kept in quarantine, then the device is told (ack leaf)
        self.refusals = RefusalSender(
            lambda *a: quarantine(store, *a), self._publish_receipt,
            (SQLAlchemyError, ClinicError))
        self.validate = validate
        # records' checks in worker processes (clinic.check_pool); 0: on paho's thread
        self.checks = (CheckPool(check_workers, validate, self._checked)
                       if check_workers > 0 else None)
        self.on_event = on_event
        self.views: dict[str, DeviceView] = {}
        # running sets and the web pages' live streams (clinic.live)
        self.live = LiveFanout()
        self.received = 0
        # inbound payloads accepted per leaf and refused per reason (the watch view shows it)
        self.stats = InboundStats()
        self.guard = CallbackGuard(f"clinic watcher {clinic}", self._callback_failed)
        self.connected = threading.Event()
        self.last_error: str | None = None
        self._broker = broker
        self.client = make_client(broker, f"rehab-clinic-{clinic}-{client_name}",
                                  reconnect_max_s=reconnect_max_s)
        # receipts must not wait for PUBACKs stuck behind the records coming in (paho's
        # default is 20 in flight); at most 1,000 receipts of <= 8 kB each
        self.client.max_inflight_messages_set(RECEIPTS_INFLIGHT)
        self.connect_failures = 0  # attempts that reached no broker (paho retries them)
        install(self.client, self.guard, on_connect=self._on_connect,
                on_disconnect=self._on_disconnect, on_message=self._on_message,
                on_connect_fail=self._on_connect_fail)

    @property
    def invalid(self) -> int:
        """Inbound payloads refused, whatever the reason (``stats.rejected`` per reason)."""
        return self.stats.rejected_total

    def start(self) -> None:
        self.batcher.start()
        self.committer.start()
        if self.checks is not None:
            self.checks.start()
        connect(self.client, self._broker, clean_start=False,
                session_expiry_s=self.session_expiry_s, max_packet_bytes=MAX_PACKET_BYTES)

    def stop(self, receipts_timeout_s: float = STOP_RECEIPTS_S) -> None:
        if self.checks is not None:
            self.checks.stop()  # what is being checked goes on to the commit
        self.committer.stop()  # what is queued is committed, its receipts queued
        self.batcher.stop()  # receipts still pending are handed to paho ...
        # ... and reach the broker before the DISCONNECT: paho ends its network thread
        # without writing what it still holds, so a graceful stop left the last receipts
        # unsent (their records came again, as duplicates, to the next clinic process)
        deadline = time.monotonic() + receipts_timeout_s
        with self._receipts_lock:
            pending = list(self._receipts_out)
        for info in pending if self.connected.is_set() else ():
            try:
                info.wait_for_publish(max(0.0, deadline - time.monotonic()))
            except (RuntimeError, ValueError):  # not connected: the devices resend
                break
        self.client.disconnect()
        self.client.loop_stop()

    def view(self, device: str) -> DeviceView:
        # a new DeviceView (and its deque) only for a device not seen yet: twice a record
        return self.views.get(device) or self.views.setdefault(device, DeviceView())

    def _on_connect(self, client: paho.Client, _ud: Any, flags: Any, rc: ReasonCode,
                    _props: Any) -> None:
        if rc.is_failure:
            self.last_error = f"broker refused the connection: {rc} ({rc.value})"
            log.error("%s", self.last_error)
            return
        self.last_error = None
        client.subscribe([(f, 1) for f in watch_filters(self.clinic) + self.ingest])
        self.connected.set()

    def _on_disconnect(self, *_args: Any) -> None:
        self.connected.clear()

    def _on_connect_fail(self, *_args: Any) -> None:
        """No broker answered (down, wrong address, a firewall): said in the log at the
        first attempt and every 10th, not only as /healthz's "degraded" (serve was silent)."""
        self.connect_failures += 1
        self.last_error = (f"cannot reach the broker at {self._broker.host}:"
                           f"{self._broker.port} (retrying)")
        if self.connect_failures % 10 == 1:
            log.warning("%s; attempt %d", self.last_error, self.connect_failures)

    def _on_message(self, _c: paho.Client, _ud: Any, msg: paho.MQTTMessage) -> None:
        """Size first, then the inbound checks, then the handler; guarded by install()."""
        parsed = parse_topic(msg.topic)
        if parsed is None or parsed[0] != self.clinic:
            return
        _, device, leaf = parsed
        if leaf in (Leaf.PLAN, Leaf.MESSAGES_IN, Leaf.ACK):
            return  # what the clinic itself publishes (not subscribed; a wider filter)
        payload = bytes(msg.payload)
        try:
            if not valid_id(device):
                raise InboundRejected(Reject.UNKNOWN_TOPIC, "device id is not 1-64 of A-Z a-z "
                                      "0-9 _ . -")
            if leaf == Leaf.RECORDS:  # checked, committed, then confirmed
                if self.checks is None:
                    self._checked([((device, msg), check_record(device, payload,
                                                                self.validate))])
                elif not self.checks.put(device, payload, (device, msg)):
                    log.info("stopping: a record from %s is left to the device's resend",
                             device)
                return
            body = accept(leaf, payload, CLINIC_RULES)
            try:
                self._handle(device, leaf, body)
            except (ValueError, KeyError, TypeError) as exc:
                raise InboundRejected(Reject.BAD_FIELD, type(exc).__name__) from None
            except LinkError as exc:  # e.g. text the store cannot hold
                raise InboundRejected(Reject.BAD_FIELD, str(exc)) from None
            self.stats.accepted[leaf] += 1
            if leaf in INGEST_LEAVES:
                self._receipt(device, msg)  # committed (or already held): tell the device
        except InboundRejected as exc:
            n = self.stats.reject(exc.reason)
            if should_log(n):
                log.warning("refused a %s payload from %s (%d so far for %s): %s; %d bytes "
                            "starting %s", leaf, device, n, exc.reason, exc.detail,
                            len(payload), safe_prefix(payload))
            if leaf in INGEST_LEAVES and valid_id(device):
                self._refuse(device, leaf, msg, exc.reason, exc.detail)

    def _checked(self, verdicts: list[tuple[Any, Verdict]]) -> None:
        """Records checked (here or in a worker): the good ones to the group commit, the
        others counted, logged and, when refused for good, quarantined and refused to
        their device (``_refuse``: no receipt, a refusal)."""
        for (device, msg), v in verdicts:
            if v.prepared is None:
                reason = v.reason or Reject.HANDLER_ERROR
                n = self.stats.reject(reason)
                if should_log(n):
                    payload = bytes(msg.payload)
                    log.warning("refused a records payload from %s (%d so far for %s): %s; "
                                "%d bytes starting %s", device, n, reason, v.detail,
                                len(payload), safe_prefix(payload))
                self._refuse(device, Leaf.RECORDS, msg, reason, v.detail)
                continue
            self.received += 1
            # the decoded resource only for on_event: up to QUEUE_MAX of them held as
            # Python objects (~3,000 each) made every full garbage collection walk them
            body = v.body if self.on_event is not None else None
            if not self.committer.put(_Pending(device, body, v.prepared, msg)):
                log.info("stopping: a record from %s is left to the device's resend", device)

    def _commit(self, batch: Sequence[_Pending]) -> list[bool]:
        return self.store.add_prepared([p.prepared for p in batch])

    def _committed(self, batch: Sequence[_Pending], added: list[bool]) -> None:
        for p, new in zip(batch, added):
            v = self.view(p.device)
            if new:
                v.records += 1
                v.events.append(f"record {p.prepared.row['resource_type']}")
            else:
                v.duplicates += 1
            self.stats.accepted[Leaf.RECORDS] += 1
            self._receipt(p.device, p.msg)
            if self.on_event is not None:
                body = p.body if p.body is not None else json.loads(p.prepared.row["body"])
                self.on_event(p.device, Leaf.RECORDS, body)

    def _commit_failed(self, batch: Sequence[_Pending], exc: BaseException) -> None:
        """No receipt: each device sends its records again."""
        for _ in batch:
            self.stats.reject(Reject.HANDLER_ERROR)
        self.last_error = f"storing records failed: {exc}"

    def _refuse(self, device: str, leaf: str, msg: paho.MQTTMessage, reason: Reject,
                detail: str) -> None:
        """Refused for good (not for a passing reason): quarantine, then tell the device."""
        rid = _record_id(msg)
        if valid_record_id(rid):
            self.refusals.refuse(device, str(rid), str(leaf), reason, detail,
                                 bytes(msg.payload))

    def _receipt(self, device: str, msg: paho.MQTTMessage) -> None:
        """Confirm a record the clinic has committed: batched receipts (QoS 1, ``ack``)."""
        rid = _record_id(msg)
        if not valid_record_id(rid):
            self.unreceipted += 1  # an older device: it deletes on PUBACK and needs none
            return
        self.batcher.add(device, str(rid))
        self.receipts += 1

    def _publish_receipt(self, device: str, payload: bytes) -> None:
        info = self.client.publish(Topics(self.clinic, device).topic(Leaf.ACK), payload, qos=1)
        with self._receipts_lock:  # the latest receipts, for stop() to wait on
            self._receipts_out.append(info)

    def _callback_failed(self, callback: str, _exc: BaseException) -> None:
        """An unexpected exception in a paho callback (CallbackGuard): count, show, go on."""
        if callback == "on_message":
            self.stats.reject(Reject.HANDLER_ERROR)
        elif callback == "on_connect" and not self.connected.is_set():
            self.last_error = "the connect handler failed (see the log)"

    def _handle(self, device: str, leaf: str, body: dict[str, Any]) -> None:
        v = self.view(device)
        if leaf == Leaf.LIVE:
            kind = body.get("type")
            if kind == "session_started":
                v.session, v.exercise, v.reps = body.get("session", ""), body.get(
                    "exercise", ""), 0
            elif kind == "rep":
                v.reps += 1
                v.last_rom_deg = body.get("rep", {}).get("rom_deg")
            v.events.append(str(kind))
            self.live.publish(device, body)
        elif leaf == Leaf.STATUS:
            if "state" in body and "event" not in body:
                v.state = str(body["state"])
                self.store.set_device_state(device, v.state)
                if v.state == "online" and self.on_online is not None:
                    self.on_online(device)  # clinic.downlink_resend: what it has not acked
            if "event" in body:  # kept (device_events; a battery level per wearable)
                self.store.add_status_event(device, body)
                v.state = "online"
                v.events.append(str(body["event"]))
        elif leaf == Leaf.MESSAGES_OUT:
            self._handle_message_out(device, body)
        if self.on_event is not None:
            self.on_event(device, leaf, body)

    def _handle_message_out(self, device: str, body: dict[str, Any]) -> None:
        kind, ident = body.get("type"), str(body.get("id", ""))
        at = str(body.get("at", datetime.now(timezone.utc).isoformat()))
        if kind == "message":
            self.store.add_message(device, ident, "to_therapist", str(body.get("text", "")), at)
            ack = json.dumps({"type": "ack", "id": ident})
            self.client.publish(Topics(self.clinic, device).topic(Leaf.MESSAGES_IN), ack, qos=1)
        elif kind == "ack" and not self.store.ack_message(ident, device):
            self.unknown_acks += 1
            if should_log(self.unknown_acks):
                log.warning("%s acked %r, which the clinic never sent it (%d so far)",
                            device, ident[:64], self.unknown_acks)
        elif kind == "appointment_started":
            self.store.appointment_started(ident, at, body.get("session"))
        self.view(device).events.append(str(kind))


def _record_id(msg: paho.MQTTMessage) -> Any:
    """The ``record-id`` user property of an outbox publish (None without one)."""
    pairs = getattr(getattr(msg, "properties", None), "UserProperty", None) or []
    return next((v for k, v in pairs if k == RECORD_ID_PROPERTY), None)
