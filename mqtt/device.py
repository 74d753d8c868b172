"""The device side of the clinic link: one paho client, the outbox drainer, the downlink.

::

    link = DeviceLink(config, store)
    link.start()                                   # connect_async; never blocks
    ctl.add_listener(link.live_listener)           # QoS 0 per-rep feed
    store.save_session(rec, items); link.notify_outbox()
    link.wait_drained(10.0)                        # True when the clinic confirmed all
    link.stop()                                    # "offline" status, disconnect

Birth ``{"state": "online"}`` is published retained on connect and the same topic carries
the last will ``{"state": "offline"}``. Live events are dropped while disconnected;
records wait in the outbox until the clinic's receipt (``ack`` leaf, :mod:`mqtt.delivery`)
names them. The MQTT 5 session is persistent (``clean_start=False``, 14-day expiry), so
what the clinic sends while the kiosk is off arrives when it is back.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Callable, Sequence

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from mqtt.client import RECONNECT_MAX_S, connect, make_client, receive_maximum
from mqtt.config import LinkConfig
from mqtt.delivery import (DEFAULT_RESEND, RECORD_ID_PROPERTY, ReceiptError, ResendPolicy,
                           decode_ack)
from mqtt.downlink import Downlink, out_item
from mqtt.guard import CallbackGuard, install
from mqtt.inbound import (DEVICE_RULES, InboundRejected, InboundStats, Reject, accept,
                          safe_prefix, should_log)
from mqtt.link_stats import SNAPSHOT_NAME, StatsSnapshot
from mqtt.outbox import OutboxDrainer
from mqtt.paho_client import paho
from mqtt.topics import Leaf, Topics
from therapy.ports import FhirEncoder, SessionEvent, SystemClock, WallClock
from therapy.records import (Direction, Feedback, Message, PainReport, QuestionnaireAnswers,
                             new_id)
from therapy.signing import ENVELOPE_MAX_BYTES
from therapy.store import OutboxItem, OutboxRow, TherapyStore

log = logging.getLogger(__name__)
# a persistent MQTT 5 session: plans, messages and receipts sent while the kiosk is off
# wait at the broker for up to this long (clean_start=False on every connect)
SESSION_EXPIRY_S = 14 * 24 * 3600
PLAN_MAX_BYTES = ENVELOPE_MAX_BYTES  # checked before a byte of a plan is parsed
PACKET_OVERHEAD_BYTES = 4096  # fixed header, topic, properties
# MQTT 5 Maximum Packet Size declared in CONNECT: the broker drops anything larger for us
MAX_PACKET_BYTES = PLAN_MAX_BYTES + PACKET_OVERHEAD_BYTES


def reason_name(code: int) -> str:
    """The MQTT 5 name of a PUBACK reason code (e.g. 135 -> "Not authorized")."""
    try:
        return str(ReasonCode(paho.PacketTypes.PUBACK, identifier=code))
    except Exception:  # paho raises a bare Exception for unknown codes
        return f"reason {code}"


class DeviceLink:
    def __init__(self, cfg: LinkConfig, store: TherapyStore, *, clock: WallClock | None = None,
                 max_inflight: int = 100, reconnect_max_s: float = RECONNECT_MAX_S,
                 resend: ResendPolicy = DEFAULT_RESEND,
                 session_expiry_s: int = SESSION_EXPIRY_S) -> None:
        self.cfg = cfg
        self.session_expiry_s = session_expiry_s
        self.store = store
        self.clock: WallClock = clock or SystemClock()
        self.topics = Topics(cfg.clinic, cfg.device)
        self.encoder = FhirEncoder(cfg.device)
        self.connected = threading.Event()
        # the downlink's SUBSCRIBE acknowledged on this connection: from then on the broker
        # routes the clinic's plans, messages, receipts and visit signals here (a first
        # connection's subscription is new: what was published before it is not queued)
        self.subscribed = threading.Event()
        self._sub_mid: int | None = None
        self.last_error: str | None = None
        self._status_mids: set[int] = set()
        self._batteries: dict[str, dict[str, Any]] = {}  # newest battery event per segment
        self.client = make_client(cfg.broker, f"rehab-dev-{cfg.device}",
                                  reconnect_max_s=reconnect_max_s)
        self.client.max_inflight_messages_set(max_inflight)
        # we send each PUBACK ourselves (_on_message): a message whose handler raised is
        # left unacknowledged once, so the broker sends it again on the next connect
        self.client.manual_ack_set(True)
        self.client.will_set(self.topics.topic(Leaf.STATUS), self._status("offline"), qos=1,
                             retain=True)
        self.drainer = OutboxDrainer(store, self._publish_row, max_inflight=max_inflight,
                                     reason_names=reason_name, resend=resend)
        self.downlink = Downlink(store, cfg.clinic_public_key, self.clock, clinic=cfg.clinic,
                                 device=cfg.device, report=self.report_status,
                                 enqueue=lambda _items: self.drainer.notify())
        # inbound payloads accepted per leaf and refused per reason (kiosk, rehab sync)
        self.stats = InboundStats()
        # ... written to the data folder for `rehab doctor` when something is refused
        self.snapshot = StatsSnapshot(cfg.data_dir / SNAPSHOT_NAME, self.counters)
        # virtual visit signalling (mqtt/visit.py): set by the kiosk's visit glue; called on
        # the network thread with each visit/in payload, raises InboundRejected to refuse
        self.visit_handler: Callable[[bytes], None] | None = None
        self.guard = CallbackGuard(f"device link {cfg.device}", self._callback_failed)
        install(self.client, self.guard, on_connect=self._on_connect,
                on_disconnect=self._on_disconnect, on_publish=self._on_publish,
                on_message=self._on_message, on_subscribe=self._on_subscribe)

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self.drainer.start()
        connect(self.client, self.cfg.broker, max_packet_bytes=MAX_PACKET_BYTES,
                clean_start=False, session_expiry_s=self.session_expiry_s)

    def stop(self, timeout_s: float = 2.0) -> None:
        if self.connected.is_set():
            info = self.client.publish(self.topics.topic(Leaf.STATUS), self._status("offline"),
                                       qos=1, retain=True)
            try:
                info.wait_for_publish(timeout_s)
            except (RuntimeError, ValueError):
                pass
        self.drainer.stop()
        self.snapshot.write()
        self.client.disconnect()
        self.client.loop_stop()

    def wait_connected(self, timeout_s: float) -> bool:
        return self.connected.wait(timeout_s)

    def wait_subscribed(self, timeout_s: float) -> bool:
        """Connected and the broker has acknowledged the downlink's subscriptions."""
        return self.subscribed.wait(timeout_s)

    def wait_drained(self, timeout_s: float) -> bool:
        """Block until the clinic confirmed every row the broker did not refuse (True), or
        timeout (False): rows the broker accepted still wait for the clinic's receipt."""
        return self.drainer.wait_idle(timeout_s)

    # --- uplink ----------------------------------------------------------------------
    def notify_outbox(self) -> None:
        """Call after committing rows to the outbox (store.save_* with items)."""
        self.drainer.notify()

    def enqueue(self, items: Sequence[OutboxItem]) -> None:
        self.store.enqueue(items)
        self.drainer.notify()

    def live_listener(self, event: SessionEvent) -> None:
        """A SessionController listener: each event as small JSON, QoS 0, when connected."""
        if self.connected.is_set():
            self.client.publish(self.topics.topic(Leaf.LIVE),
                                json.dumps(event.to_json(), separators=(",", ":")), qos=0)

    def report_status(self, event: dict[str, Any]) -> None:
        """A non-retained status event (plan rejected/applied, appointment started)."""
        if self.connected.is_set():
            body = {"state": "online", "at": self.clock.now().isoformat(), **event}
            self.client.publish(self.topics.topic(Leaf.STATUS), json.dumps(body), qos=1)

    def report_battery(self, segment: str, battery_pct: int) -> None:
        """A wearable's battery level on the status leaf (``{"event": "battery", "segment",
        "battery_pct"}``), for the clinic's caseload alert. Seen while offline: the newest
        level per wearable is kept and sent on the next connect."""
        pct = max(0, min(100, int(battery_pct)))
        event = {"event": "battery", "segment": segment, "battery_pct": pct,
                 "at": self.clock.now().isoformat()}
        if self.connected.is_set():
            self.client.publish(self.topics.topic(Leaf.STATUS),
                                json.dumps({"state": "online", **event}), qos=1)
        else:
            self._batteries[segment] = event

    def send_message(self, text: str) -> Message:
        """A patient -> therapist message, stored and queued in one transaction."""
        m = Message(new_id(), Direction.TO_THERAPIST, text, self.clock.now())
        self.store.save_message(m, [out_item(m.id, {"type": "message", "id": m.id,
                                                    "text": text, "at": m.at.isoformat()})])
        self.drainer.notify()
        return m

    def submit_questionnaire(self, q: QuestionnaireAnswers) -> None:
        """Store intake/check-in answers and queue their QuestionnaireResponse (one tx)."""
        self.store.save_questionnaire(q, [self.encoder.questionnaire_item(q)])
        self.drainer.notify()

    def submit_feedback(self, f: Feedback) -> None:
        """Store session feedback and queue it (as a QuestionnaireResponse)."""
        self.store.save_feedback(f, [self.encoder.feedback_item(f)])
        self.drainer.notify()

    def submit_pain(self, p: PainReport) -> None:
        """A pain report outside a session (LOINC 72514-3 Observation)."""
        self.store.save_pain(p, [self.encoder.pain_item(p)])
        self.drainer.notify()

    def start_appointment(self, appointment_id: str, session_id: str) -> None:
        """Tell the clinic the patient started a scheduled live session."""
        now = self.clock.now()
        body = {"type": "appointment_started", "id": appointment_id, "session": session_id,
                "at": now.isoformat()}
        self.store.start_appointment(appointment_id, now,
                                     [out_item(f"start-{appointment_id}", body)])
        self.report_status({"event": "appointment_started", "appointment": appointment_id,
                            "session": session_id})
        self.drainer.notify()

    def publish_visit(self, payload: bytes) -> bool:
        """A visit/out reply (QoS 1, not stored: a call is live or not at all); False when
        disconnected."""
        if not self.connected.is_set():
            return False
        info = self.client.publish(self.topics.topic(Leaf.VISIT_OUT), payload, qos=1)
        return info.rc == paho.MQTT_ERR_SUCCESS

    # --- paho callbacks (network thread) ---------------------------------------------
    def _status(self, state: str) -> str:
        return json.dumps({"state": state, "device": self.cfg.device})

    def _publish_row(self, row: OutboxRow) -> int | None:
        props = Properties(PacketTypes.PUBLISH)
        props.UserProperty = (RECORD_ID_PROPERTY, row.record_id)  # echoed in the receipt
        info = self.client.publish(self.topics.topic(row.channel), row.payload, qos=1,
                                   properties=props)
        if info.rc not in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN):
            log.warning("paho refused outbox row %d: %s", row.id, paho.error_string(info.rc))
            return None
        return info.mid

    def _on_connect(self, client: paho.Client, _ud: Any, _flags: Any, rc: ReasonCode,
                    props: Any) -> None:
        if rc.is_failure:
            self.last_error = f"broker refused the connection: {rc} (reason code {rc.value})"
            log.error("%s", self.last_error)
            return
        self.last_error = None
        log.info("connected to %s", self.cfg.broker.url)
        # on the network thread: its PUBACK cannot be handled before the mid is recorded
        info = client.publish(self.topics.topic(Leaf.STATUS), self._status("online"), qos=1,
                              retain=True)
        self._status_mids.add(info.mid)
        while self._batteries:  # levels seen while offline
            _, event = self._batteries.popitem()
            client.publish(self.topics.topic(Leaf.STATUS),
                           json.dumps({"state": "online", **event}), qos=1)
        self.subscribed.clear()
        _rc, self._sub_mid = client.subscribe([(self.topics.topic(Leaf.PLAN), 1),
                                               (self.topics.topic(Leaf.MESSAGES_IN), 1),
                                               (self.topics.topic(Leaf.ACK), 1),
                                               (self.topics.topic(Leaf.VISIT_IN), 1)])
        self.connected.set()
        self.drainer.set_connected(True, receive_maximum(props))

    def _on_disconnect(self, _c: paho.Client, _ud: Any, _flags: Any, rc: ReasonCode,
                       _props: Any) -> None:
        if self.connected.is_set():
            (log.warning if rc.is_failure else log.info)("disconnected from %s: %s",
                                                          self.cfg.broker.url, rc)
        self.connected.clear()
        self.subscribed.clear()
        self.drainer.set_connected(False)

    def _on_subscribe(self, _c: paho.Client, _ud: Any, mid: int,
                      reason_codes: list[ReasonCode], _props: Any) -> None:
        if mid != self._sub_mid:
            return
        refused = [str(rc) for rc in reason_codes if rc.is_failure]
        if refused:  # the broker's ACL: nothing from the clinic would reach this kiosk
            self.last_error = f"broker refused the downlink subscriptions: {', '.join(refused)}"
            log.error("%s", self.last_error)
            return
        self.subscribed.set()

    def _on_publish(self, _c: paho.Client, _ud: Any, mid: int, rc: ReasonCode,
                    _props: Any) -> None:
        if mid in self._status_mids:
            self._status_mids.discard(mid)
            if rc.is_failure:
                self.last_error = (f"broker refused the status message: {rc} "
                                   f"(reason code {rc.value})")
                log.error("%s; check this device's ACL", self.last_error)
            return
        self.drainer.on_publish(mid, rc.value)

    def _on_message(self, client: paho.Client, _ud: Any, msg: paho.MQTTMessage) -> None:
        """Handle, then acknowledge. Guarded by install(): an exception is counted there.

        Handled or refused: PUBACK. A handler that raised (a storage error, say) leaves a
        first delivery unacknowledged: the persistent session gives it again, marked DUP,
        on the next connect (kiosk restart, network drop); a DUP that fails again is
        acknowledged and stays lost, so one poison message cannot block the downlink.
        """
        done = False
        try:
            self._on_inbound(msg)
            done = True
        finally:
            if done or msg.dup:
                client.ack(msg.mid, msg.qos)

    def _on_inbound(self, msg: paho.MQTTMessage) -> None:
        """Size first, then the inbound checks, then the downlink."""
        payload: bytes = msg.payload
        prefix = f"{self.topics.topic('')}"
        leaf = msg.topic[len(prefix):] if msg.topic.startswith(prefix) else ""
        try:
            if leaf == Leaf.PLAN:
                self._on_plan(payload)
                return
            if leaf == Leaf.ACK:
                self._on_receipt(payload)
                return
            if leaf == Leaf.VISIT_IN:
                if self.visit_handler is None:
                    raise InboundRejected(Reject.UNKNOWN_TOPIC, "no visit handler running")
                self.visit_handler(payload)  # checks size first (mqtt.visit)
                self.stats.accepted[leaf] += 1
                return
            accept(leaf, payload, DEVICE_RULES)
            if leaf != Leaf.MESSAGES_IN:
                raise InboundRejected(Reject.UNKNOWN_TOPIC, "no handler on this device")
            if self.downlink.on_message_in(payload) in ("bad", "rejected"):
                self.stats.reject(Reject.BAD_FIELD)  # the downlink logged and reported it
                self.snapshot.changed()
                return
            self.stats.accepted[leaf] += 1
        except InboundRejected as exc:
            self._rejected(leaf or "?", payload, exc)

    def _on_plan(self, payload: bytes) -> None:
        if len(payload) > PLAN_MAX_BYTES:  # before any parsing (issue 12, finding 11)
            reason = f"envelope is {len(payload)} bytes, the limit is {PLAN_MAX_BYTES}"
            self.report_status({"event": "plan_rejected", "code": "malformed",
                                "reason": reason})
            raise InboundRejected(Reject.OVERSIZE, reason)
        if self.downlink.on_plan(payload) == "rejected":
            self.stats.reject(Reject.PLAN_REJECTED)  # the downlink logged and reported it
            self.snapshot.changed()
        else:
            self.stats.accepted[Leaf.PLAN.value] += 1

    def _on_receipt(self, payload: bytes) -> None:
        """The clinic's receipt (these records are committed there; their rows may go) or
        its refusal (refused for good: the rows stay, marked, and are not sent again)."""
        try:
            ack = decode_ack(payload)  # size first, then a bounded list of ids (and codes)
        except ReceiptError as exc:
            raise InboundRejected(Reject(exc.kind), str(exc)) from exc
        if ack.receipts:
            self.drainer.on_receipt(ack.receipts)
        if ack.refusals:
            self.drainer.on_refusal(ack.refusals)
        self.stats.accepted[Leaf.ACK.value] += 1

    def counters(self) -> dict[str, Any]:
        """Inbound accepted/rejected and the clinic's refusals (kiosk, rehab doctor)."""
        d = self.drainer.stats
        return {**self.stats.as_dict(), "clinic_refused": d.clinic_refused,
                "clinic_refused_unknown": d.clinic_refused_unknown,
                "callback_errors": dict(self.guard.errors)}

    def _rejected(self, leaf: str, payload: bytes, exc: InboundRejected) -> None:
        n = self.stats.reject(exc.reason)
        self.snapshot.changed()
        if should_log(n):
            log.warning("refused a %s payload (%d so far for %s): %s; %d bytes starting %s",
                        leaf, n, exc.reason, exc.detail, len(payload), safe_prefix(payload))

    def _callback_failed(self, callback: str, _exc: BaseException) -> None:
        """An unexpected exception in a paho callback (CallbackGuard): count, show, go on."""
        if callback == "on_message":
            self.stats.reject(Reject.HANDLER_ERROR)
            self.snapshot.changed()
        elif callback == "on_connect" and not self.connected.is_set():
            self.last_error = "the connect handler failed (see the log)"
