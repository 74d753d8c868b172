"""A session Bundle's summary period holds every Observation of the Bundle. Reps are dated
from the session start by the motion core's clock, which the simulator runs faster than the
wall clock (``rehab session --sim ... --reps 4``: ~0.3 s of wall clock, ~30 s of reps); the
clinic's date search takes a Bundle's observations to lie within its summary's period and
dropped those reps."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from therapy import fhir
from therapy.records import GapRecord, RepRecord, SessionRecord

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)
SID = "0b7e4a52-3c1d-4f6e-9a80-5d2c1b0a9f87"


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _span(res: dict[str, Any]) -> tuple[datetime, datetime]:
    period = res["effectivePeriod"]
    return _t(period["start"]), _t(period.get("end", period["start"]))


def fast_session(gaps: tuple[GapRecord, ...] = ()) -> SessionRecord:
    """Four reps over ~31 s of the motion core's clock, 0.3 s of wall clock."""
    reps = tuple(RepRecord(1, n, 2.27 + 7.9 * (n - 1), 7.92 + 7.9 * (n - 1), 70.0, 3.9, 1.1,
                           1.1) for n in range(1, 5))
    return SessionRecord(SID, "knee_extension_seated", "right", "knee", T0,
                         T0 + timedelta(seconds=0.3), 1, 4, 70.0, 3.0, reps, 1, True,
                         gaps=gaps)


def test_the_summary_period_holds_reps_beyond_the_wall_clock_end() -> None:
    rec = fast_session()
    bundle = fhir.session_bundle(rec, "dev-1")
    Bundle.model_validate(bundle)
    summary, *parts = [e["resource"] for e in bundle["entry"]]
    start, end = _span(summary)
    assert start == T0  # the reps start after the session start: it stays
    last_rep_end = T0 + timedelta(seconds=7.92 + 7.9 * 3)
    assert end == last_rep_end > rec.ended_at
    assert _t(bundle["timestamp"]) == end
    assert len(parts) == 4
    for res in parts:
        lo, hi = _span(res)
        assert start <= lo <= hi <= end


def test_a_drop_out_outside_the_session_widens_it_both_ways() -> None:
    early = GapRecord(1, "ble:F1:00:00:00:00:02", "thigh", 0.0, 2.0, "disconnected",
                      T0 - timedelta(seconds=1.5))  # host clocks differ: before the start
    late = GapRecord(1, "ble:F1:00:00:00:00:02", "thigh", 50.0, 62.5, "",
                     T0 + timedelta(seconds=40))
    gone = GapRecord(1, "ble:F1:00:00:00:00:03", "shank", 70.0, None, "",
                     T0 + timedelta(seconds=45))  # never came back: a start, no end
    undated = GapRecord(1, "ble:F1:00:00:00:00:03", "shank", 80.0, 81.0)  # no calendar time
    bundle = fhir.session_bundle(fast_session((early, late, gone, undated)), "dev-1")
    Bundle.model_validate(bundle)
    summary, *parts = [e["resource"] for e in bundle["entry"]]
    start, end = _span(summary)
    assert (start, end) == (T0 - timedelta(seconds=1.5), T0 + timedelta(seconds=52.5))
    dated = [res for res in parts if "effectivePeriod" in res]
    assert len(dated) == 4 + 3
    for res in dated:
        lo, hi = _span(res)
        assert start <= lo <= hi <= end


def test_a_session_whose_parts_lie_within_it_is_unchanged() -> None:
    rec = replace(fast_session(), ended_at=T0 + timedelta(minutes=5))
    bundle = fhir.session_bundle(rec, "dev-1")
    assert bundle["entry"][0]["resource"]["effectivePeriod"] == {
        "start": fhir.ts(T0), "end": fhir.ts(T0 + timedelta(minutes=5))}
    assert bundle["timestamp"] == fhir.ts(T0 + timedelta(minutes=5))
