"""A therapist's reply and the device's receipt for it, in the unlucky order: the device
stores the reply and its ack reaches the clinic before the page's thread has resumed from
the broker's PUBACK (a loaded clinic server: the browser test once waited 20 s for
' · delivered' that never came). The reply must still show delivered: the clinic holds
the reply before it publishes it, so the ack always finds it. A reply the broker did not
take is not kept (the page says so and shows the text again to send)."""

from __future__ import annotations

from typing import Any

import pytest
from send_world import SendWorld, send_world_fixture  # noqa: F401  # the fixture
from tests.helpers.link_helpers import wait_for

from clinic.serve import PublishError
from therapy.records import Direction

pytestmark = pytest.mark.timeout(60)
TEXT = "Ice it after the set; we talk on Thursday."


class AckFirstPublisher:
    """Publishes for real, then returns only once the device stored the reply and the
    clinic handled the device's ack for it (the device got the clinic's receipt for that
    ack, which the clinic sends after handling it): the page resumes last."""

    def __init__(self, world: SendWorld, inner: Any) -> None:
        self.world, self.inner = world, inner
        self.acks_before_return = 0

    def publish(self, device: str, leaf: str, payload: bytes | str, retain: bool = False
                ) -> None:
        self.inner.publish(device, leaf, payload, retain=retain)
        w = self.world
        wait_for(lambda: [m for m in w.device.messages() if m.direction == Direction.TO_PATIENT],
                 10, "the reply in the device's store")
        assert w.link.wait_drained(10), "the clinic did not receipt the device's ack"
        self.acks_before_return += 1


class RefusingPublisher:
    def publish(self, device: str, leaf: str, payload: bytes | str, retain: bool = False
                ) -> None:
        # certainly not sent (paho refused it at once); a missing PUBACK is maybe_sent, and
        # then the reply is kept (test_web_downlink_resend)
        raise PublishError(f"not connected to the broker: the message to {device} was not "
                           "queued")


def _replies(w: SendWorld) -> list[tuple[str, str | None]]:
    return [(text, acked) for _i, d, text, acked in w.watcher.store.messages("dev-1")
            if d == "to_patient"]


def test_an_ack_that_comes_before_the_page_resumes_still_marks_the_reply_delivered(
        send_world: SendWorld) -> None:
    w = send_world
    state = w.app.state  # type: ignore[attr-defined]
    late = AckFirstPublisher(w, state.publisher)
    state.publisher = late
    r = w.post("/patients/dev-1/messages", {"text": TEXT})
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    assert late.acks_before_return == 1  # the unlucky order did happen
    [(text, acked)] = _replies(w)
    assert text == TEXT and acked is not None, "the device's ack was lost"
    page = w.client.get("/patients/dev-1/messages").text
    assert TEXT in page and " · delivered" in page and "not yet delivered" not in page


def test_a_reply_the_broker_did_not_take_is_not_kept(send_world: SendWorld) -> None:
    w = send_world
    w.app.state.publisher = RefusingPublisher()  # type: ignore[attr-defined]
    r = w.post("/patients/dev-1/messages", {"text": TEXT})
    assert r.status_code == 503  # type: ignore[attr-defined]
    assert "not sent: not connected to the broker" in r.text  # type: ignore[attr-defined]
    assert TEXT in r.text  # type: ignore[attr-defined]  # in the form, to send again
    assert _replies(w) == [] and w.device.messages() == []
    audit = w.app.state.audit.rows("dev-1")  # type: ignore[attr-defined]
    assert not any(a.action == "change" for a in audit)
