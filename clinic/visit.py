"""Clinic side of visit signalling: the relay the dashboard calls for a therapist's call.

::

    relay = ClinicVisitRelay(broker_cfg, "clinic-01", private_key)   # its own login
    relay.start()
    call = relay.offer("dev-7f3a", appointment_id, browser_offer_sdp)  # signed, visit/in
    sdp = relay.wait_answer(call.call)          # the kiosk's answer, or VisitCallFailed(why)
    relay.cue("dev-7f3a", call.call, CueKind.SLOWER)
    relay.hang_up("dev-7f3a", call.call, "the therapist ended the visit")
    relay.request_recording("dev-7f3a", call.call)   # the kiosk asks the patient
    call.recording()            # "asking" -> "recording" (yes) or "declined" (no, no answer)

Recording: the browser records only once :meth:`ClinicCall.recording` says ``recording``
(the patient's yes came back from the kiosk, :data:`~mqtt.visit.RECORD_ANSWER_S`), and the
dashboard stores an upload only then (clinic/web/visit_recording.py).

One paho client (MQTT 5) subscribed to ``rehab/v1/<clinic>/+/visit/out``; each reply is
checked (:func:`mqtt.visit.parse_out`: size first) and lands on its :class:`ClinicCall`
(answer, state, refusal, hang-up, record consent) and on ``on_event``. The offer is
signed with the clinic's key and names the clinic, device and appointment (the device
refuses anything else, and says why: :attr:`ClinicCall.refused`). Offers carry an MQTT 5
message expiry (:data:`OFFER_EXPIRY_S`): one the kiosk could not take in time rings no more.
The broker's ACL lets a clinic login write ``+/visit/in`` of its clinic only; the relay
needs a login of its own (``make-credentials.sh clinic --clinic C --user C-visit``), as the
broker binds client ids to usernames. Which therapist may call which patient, and the
audit trail of calls, is the dashboard's (it calls this after its checks).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from clinic.errors import ClinicError
from mqtt.client import connect, make_client
from mqtt.config import BrokerConfig
from mqtt.guard import CallbackGuard, install
from mqtt.inbound import InboundRejected, InboundStats, safe_prefix, should_log
from mqtt.paho_client import paho
from mqtt.topics import PREFIX, Leaf, Topics, parse_topic
from mqtt.visit import (
    CONNECT_TIMEOUT_S,
    RECORD_ANSWER_S,
    VISIT_MAX_BYTES,
    Answer,
    CallState,
    Cue,
    CueKind,
    HangUp,
    Ice,
    Outbound,
    RecordConsent,
    RecordRequest,
    RecordStop,
    Refused,
    StateReport,
    encode,
    parse_out,
    seal_offer,
)
from therapy.ed25519 import Ed25519PrivateKey
from therapy.records import new_id

log = logging.getLogger(__name__)
OFFER_EXPIRY_S = 30  # MQTT 5 Message Expiry Interval of an offer
RING_TIMEOUT_S = 120.0  # how long the patient may take to answer the consent prompt
RECORD_GRACE_S = 3.0  # beyond the kiosk's own RECORD_ANSWER_S: its "no" is on the way
ENDED_STATES = ("refused", "hung_up", "declined", "failed")


class VisitCallFailed(ClinicError):
    """The call did not come up; the message says why (for the therapist's page)."""


@dataclass
class ClinicCall:
    device: str
    call: str
    appointment: str
    answer: str | None = None
    states: list[StateReport] = field(default_factory=list)
    refused: Refused | None = None
    hung_up: HangUp | None = None
    consent: bool | None = None  # the patient's answer to the latest record request
    ice: list[Ice] = field(default_factory=list)
    record_asked_at: float | None = None  # time.monotonic() of the latest record request
    record_asked_by: str = ""
    record_started_at: datetime | None = None  # the patient's yes arrived
    record_stopped_by: str = ""  # "patient" (the kiosk's Stop) or "therapist"
    record_stopped_at: datetime | None = None
    record_grants: int = 0  # yes answers: each allows one stored recording
    record_uploads: int = 0
    record_answer_logged: float | None = None  # record_asked_at whose answer is audited

    def recording(self, now_s: float | None = None) -> str:
        """off (never asked), asking, recording, declined (no, or no answer within
        RECORD_ANSWER_S), stopped (by the patient, the therapist or the call's end)."""
        if self.record_asked_at is None:
            return "off"
        if self.consent is None:
            waited = (time.monotonic() if now_s is None else now_s) - self.record_asked_at
            return "declined" if waited > RECORD_ANSWER_S + RECORD_GRACE_S else "asking"
        if not self.consent:
            return "declined"
        if self.record_stopped_by or self.state in ENDED_STATES:
            return "stopped"
        return "recording"

    @property
    def state(self) -> str:
        """Latest word from the kiosk: offered, ringing, declined, connected, failed,
        refused, hung_up."""
        if self.refused is not None:
            return "refused"
        if self.hung_up is not None:
            return "hung_up"
        return str(self.states[-1].state) if self.states else "offered"

    @property
    def reason(self) -> str:
        if self.refused is not None:
            return f"{self.refused.code}: {self.refused.reason}"
        if self.hung_up is not None:
            return self.hung_up.reason
        return self.states[-1].reason if self.states else ""


class ClinicVisitRelay:
    def __init__(self, broker: BrokerConfig, clinic: str, key: Ed25519PrivateKey, *,
                 client_name: str = "visit",
                 on_event: Callable[[str, Outbound], None] | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.clinic = clinic
        self.key = key
        self.on_event = on_event
        self.now = now
        self.calls: dict[str, ClinicCall] = {}
        self.stats = InboundStats()
        self.connected = threading.Event()
        self.last_error: str | None = None
        self._cond = threading.Condition()
        self._broker = broker
        self.client = make_client(broker, f"rehab-clinic-{clinic}-{client_name}")
        self.guard = CallbackGuard(f"clinic visit relay {clinic}", self._callback_failed)
        install(self.client, self.guard, on_connect=self._on_connect,
                on_disconnect=self._on_disconnect, on_message=self._on_message)

    def start(self) -> None:
        connect(self.client, self._broker, max_packet_bytes=VISIT_MAX_BYTES + 4096)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    # --- sending ----------------------------------------------------------------------
    def _publish(self, device: str, payload: bytes, expiry_s: int = 0) -> None:
        if not self.connected.is_set():
            raise VisitCallFailed(f"the clinic is not connected to the broker "
                                  f"({self.last_error or 'connecting'}): try again")
        props = Properties(PacketTypes.PUBLISH)
        if expiry_s:
            props.MessageExpiryInterval = expiry_s
        self.client.publish(Topics(self.clinic, device).topic(Leaf.VISIT_IN), payload, qos=1,
                            properties=props)

    def offer(self, device: str, appointment: str, sdp: str,
              call: str | None = None) -> ClinicCall:
        """Sign and send the offer for ``appointment`` of ``device``."""
        c = ClinicCall(device, call or new_id(), appointment)
        payload = seal_offer(c.call, appointment, sdp, self.key, clinic=self.clinic,
                             device=device, issued_at=self.now())
        with self._cond:
            self.calls[c.call] = c
        self._publish(device, payload, OFFER_EXPIRY_S)
        return c

    def cue(self, device: str, call: str, cue: CueKind, text: str = "") -> None:
        self._publish(device, encode(Cue(call, cue, text)))

    def hang_up(self, device: str, call: str, reason: str = "the therapist hung up") -> None:
        self._publish(device, encode(HangUp(call, reason)))

    def request_recording(self, device: str, call: str, by: str = "") -> None:
        """Ask the kiosk to ask the patient (``by``: the therapist, for the audit)."""
        with self._cond:
            c = self.calls.get(call)
            if c is not None:
                c.consent, c.record_asked_at, c.record_asked_by = None, time.monotonic(), by
                c.record_started_at = c.record_stopped_at = None
                c.record_stopped_by = ""
        self._publish(device, encode(RecordRequest(call)))

    def stop_recording(self, device: str, call: str) -> None:
        """The therapist stopped recording: the kiosk's "Recording" goes off."""
        with self._cond:
            c = self.calls.get(call)
            if c is not None and not c.record_stopped_by:
                c.record_stopped_by, c.record_stopped_at = "therapist", self.now()
        self._publish(device, encode(RecordStop(call)))

    def send_ice(self, device: str, ice: Ice) -> None:
        self._publish(device, encode(ice))

    # --- waiting (blocking: call from a worker thread or asyncio.to_thread) -----------
    def wait_for(self, call: str, cond: Callable[[ClinicCall], bool],
                 timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not cond(self.calls[call]):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def wait_answer(self, call: str, *, reply_timeout_s: float = CONNECT_TIMEOUT_S,
                    ring_timeout_s: float = RING_TIMEOUT_S) -> str:
        """The kiosk's answer SDP; VisitCallFailed saying why (refused, declined, no reply
        within ``reply_timeout_s``: offline; no answer within ``ring_timeout_s``)."""
        c = self.calls[call]
        if not self.wait_for(call, lambda x: x.state != "offered", reply_timeout_s):
            raise VisitCallFailed(f"the kiosk did not respond within {reply_timeout_s:g} s: "
                                  "it is off or offline")
        if not self.wait_for(call, lambda x: x.answer is not None or x.state in (
                "refused", "declined", "failed", "hung_up"), ring_timeout_s):
            raise VisitCallFailed(f"the patient did not answer within {ring_timeout_s:g} s")
        if c.answer is None:
            raise VisitCallFailed(f"the kiosk {c.state} the call: {c.reason}")
        return c.answer

    # --- paho callbacks (network thread) ----------------------------------------------
    def _on_connect(self, client: paho.Client, _ud: Any, _flags: Any, rc: ReasonCode,
                    _props: Any) -> None:
        if rc.is_failure:
            self.last_error = f"broker refused the connection: {rc} ({rc.value})"
            log.error("%s", self.last_error)
            return
        self.last_error = None
        client.subscribe(f"{PREFIX}/{self.clinic}/+/{Leaf.VISIT_OUT}", qos=1)
        self.connected.set()

    def _on_disconnect(self, *_args: Any) -> None:
        self.connected.clear()

    def _on_message(self, _c: paho.Client, _ud: Any, msg: paho.MQTTMessage) -> None:
        parsed = parse_topic(msg.topic)
        if parsed is None or parsed[0] != self.clinic or parsed[2] != Leaf.VISIT_OUT:
            return
        device = parsed[1]
        payload = bytes(msg.payload)
        try:
            reply = parse_out(payload)
        except InboundRejected as exc:
            n = self.stats.reject(exc.reason)
            if should_log(n):
                log.warning("refused a visit/out payload of %s (%s): %s; starting %s", device,
                            exc.reason, exc.detail, safe_prefix(payload))
            return
        self.stats.accepted[Leaf.VISIT_OUT.value] += 1
        with self._cond:
            c = self.calls.get(reply.call) if reply.call else None
            if c is not None and c.device == device:
                self._apply(c, reply)
            self._cond.notify_all()
        if self.on_event is not None:
            self.on_event(device, reply)

    def _apply(self, c: ClinicCall, reply: Outbound) -> None:
        if isinstance(reply, Answer):
            c.answer = reply.sdp
        elif isinstance(reply, StateReport):
            c.states.append(reply)
        elif isinstance(reply, Refused):
            c.refused = reply
        elif isinstance(reply, HangUp):
            c.hung_up = reply
        elif isinstance(reply, RecordConsent):
            if c.recording() == "asking":  # one answer a request, and only in time
                c.consent = reply.granted
                if reply.granted:
                    c.record_grants += 1
                    c.record_started_at = self.now()
        elif isinstance(reply, RecordStop):
            if c.consent and not c.record_stopped_by:
                c.record_stopped_by, c.record_stopped_at = "patient", self.now()
        elif isinstance(reply, Ice):
            c.ice.append(reply)

    def _callback_failed(self, callback: str, _exc: BaseException) -> None:
        if callback == "on_message":
            from mqtt.inbound import Reject

            self.stats.reject(Reject.HANDLER_ERROR)


VISIT_SUFFIX = "-visit"


def visit_login(broker: BrokerConfig) -> BrokerConfig:
    """The relay's login beside ingest's: ``<username>-visit`` with the same password (the
    broker binds client ids to usernames, so the relay cannot share ingest's login).
    Without a username (client certificate, open test broker) the login is used as it is."""
    from dataclasses import replace

    if not broker.username:
        return broker
    return replace(broker, username=broker.username + VISIT_SUFFIX)


def relay_factory(broker: BrokerConfig, clinic: str,
                  load_key: Callable[[], Ed25519PrivateKey], *, client_name: str = "visit",
                  connect_timeout_s: float = 10.0) -> Callable[[], ClinicVisitRelay]:
    """What ``rehab clinic serve`` gives the web application: a relay made, started and
    connected on the first call (and again after one that could not connect). Raises
    VisitCallFailed when it cannot connect in ``connect_timeout_s``."""
    lock = threading.Lock()
    made: list[ClinicVisitRelay] = []

    def get() -> ClinicVisitRelay:
        with lock:
            if not made:
                relay = ClinicVisitRelay(visit_login(broker), clinic, load_key(),
                                         client_name=client_name)
                relay.start()
                if not relay.connected.wait(connect_timeout_s):
                    relay.stop()
                    raise VisitCallFailed(f"the visit relay could not connect to the broker "
                                          f"({relay.last_error or 'no answer'})")
                made.append(relay)
            return made[0]

    return get


ICE_SCHEMES = ("stun:", "turn:", "turns:")


def browser_ice(data_dir: Any) -> dict[str, Any]:
    """The RTCPeerConnection configuration the visit page gives the browser: the
    ``[visit]`` table of the clinic's rehab.toml, with the kiosk's rules (``stun``/``turn``
    URL lists, ``turn_username``/``turn_password`` with ``turn``, ``relay_only`` only with a
    TURN server; docs/visits.md). Read here, not through kiosk.adapters.call: clinic and
    kiosk stay apart (tests/test_architecture.py). ClinicError names what is wrong."""
    import tomllib
    from pathlib import Path

    path = Path(data_dir) / "rehab.toml"
    try:
        table = tomllib.loads(path.read_text()).get("visit", {}) if path.exists() else {}
    except tomllib.TOMLDecodeError as exc:
        raise ClinicError(f"{path}: not valid TOML ({exc})") from exc
    if not isinstance(table, dict):
        raise ClinicError(f"{path}: [visit] must be a table")
    servers: list[dict[str, Any]] = []
    for key in ("stun", "turn"):
        urls = table.get(key, [])
        urls = [urls] if isinstance(urls, str) else urls
        if not isinstance(urls, list) or not all(
                isinstance(u, str) and u.startswith(ICE_SCHEMES) for u in urls):
            raise ClinicError(f"{path}: [visit] {key} must be a list of {key}: URLs")
        if urls and key == "turn":
            user, pw = table.get("turn_username"), table.get("turn_password")
            if not isinstance(user, str) or not isinstance(pw, str):
                raise ClinicError(f"{path}: [visit] turn needs turn_username and turn_password")
            servers.append({"urls": urls, "username": user, "credential": pw})
        elif urls:
            servers.append({"urls": urls})
    relay = table.get("relay_only", False)
    if not isinstance(relay, bool):
        raise ClinicError(f"{path}: [visit] relay_only must be true or false")
    if relay and not any("username" in s for s in servers):
        raise ClinicError(f"{path}: [visit] relay_only needs a turn server")
    return {"iceServers": servers, "iceTransportPolicy": "relay" if relay else "all"}


__all__ = ["CallState", "ClinicCall", "ClinicVisitRelay", "VisitCallFailed", "browser_ice",
           "relay_factory", "visit_login"]
