"""A set run while a visit's call is connected is stored and sent like any session, its
FHIR Bundle marked supervised (meta.tag, plus the call and appointment on the summary)
and still valid FHIR R4 (fhir.resources R4B)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from tests.helpers.fake_motion import FakeAnalyzer, ListSource  # noqa: E402

from clinic.link import fhir_validator  # noqa: E402
from kiosk.adapters.call import FakeCall  # noqa: E402
from kiosk.vm.visit import VisitVM  # noqa: E402
from mqtt.visit import Offer  # noqa: E402
from therapy.plan import exercise_from_catalogue  # noqa: E402
from therapy.ports import Encoder, FakeClock, FhirEncoder  # noqa: E402
from therapy.session import SessionController  # noqa: E402
from therapy.store import TherapyStore  # noqa: E402
from therapy.supervised import VISIT_EXT, SupervisedEncoder, is_supervised  # noqa: E402


async def _session(store: TherapyStore, encoder: Encoder, appointment: str | None) -> list:
    ex = exercise_from_catalogue("knee_extension_seated")
    ctl = SessionController(ex, sink=store, encoder=encoder, clock=FakeClock(),
                            appointment_id=appointment,
                            analyzer_factory=lambda r, p: FakeAnalyzer(
                                r, p.target_rom_deg, p.target_hold_s, p.two_imu))
    ctl.set_pain_before(3)
    await ctl.run_set(ListSource([7, 13, 50]))
    ctl.finish(pain_after=2)
    return [json.loads(r.payload) for r in store.outbox_batch(0, 100)]


async def test_set_during_a_call_is_marked_supervised_and_valid_fhir(tmp_path: Path) -> None:
    vm = VisitVM(lambda on_state: FakeCall(on_state=on_state), lambda _m: True,
                 type("S", (), {"say": lambda self, t: None})())
    vm.offered(Offer("call-9", "appt-9", "v=0\r\n", "c1", "dev-1",
                     datetime.now(timezone.utc)))
    await vm.accept()
    vm.call.connect()  # type: ignore[union-attr]
    sup = vm.supervision
    assert sup is not None
    rows = await _session(TherapyStore(tmp_path / "a.db"),
                          SupervisedEncoder(FhirEncoder("dev-1"), sup), sup.appointment)
    bundle, pains = rows[0], rows[1:]
    assert bundle["resourceType"] == "Bundle" and len(pains) == 2
    fhir_validator(bundle)  # still valid FHIR R4
    summary = bundle["entry"][0]["resource"]
    assert is_supervised(bundle) and is_supervised(summary)
    assert {"url": VISIT_EXT, "valueString": "appt-9/call-9"} in summary["extension"]
    assert not any(is_supervised(p) for p in pains)
    for p in pains:
        fhir_validator(p)
    # the same session without a call: no mark
    plain = await _session(TherapyStore(tmp_path / "b.db"), FhirEncoder("dev-1"), None)
    assert not is_supervised(plain[0]) and "meta" not in plain[0]["entry"][0]["resource"]
    await vm.hang_up()
    assert vm.supervision is None
