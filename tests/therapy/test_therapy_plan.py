"""Plan validation and signed envelopes (pure), with hypothesis on the parsers."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers.plan_samples import valid_plan

from sensors.types import BodySegment
from therapy.errors import PlanError, PlanRejected
from therapy.plan import Side, Weekday, parse_plan, parse_plan_bytes, plan_to_json
from therapy.signing import RejectCode, new_private_key, open_envelope
from therapy.signing import seal as seal_for

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
KEY = new_private_key()
BOUND = {"clinic": "c1", "device": "dev-1"}


def seal(text: str, key: object) -> bytes:
    return seal_for(text, key, issued_at=NOW, **BOUND)  # type: ignore[arg-type]


def test_valid_plan_parses_with_catalogue_defaults() -> None:
    plan = parse_plan(valid_plan())
    assert plan.version == 1 and plan.plan_id == "p-17"
    assert plan.schedule.days == (Weekday.MON, Weekday.WED, Weekday.FRI)
    knee, heel = plan.exercises
    assert (knee.sets, knee.reps, knee.target_rom_deg, knee.side) == (2, 8, 65.0, Side.RIGHT)
    assert knee.name == "Seated knee extension" and knee.sensors == (BodySegment.SHANK,)
    assert (heel.reps, heel.target_rom_deg, heel.side) == (10, 90.0, Side.LEFT)
    assert parse_plan(plan_to_json(plan)) == plan
    assert plan.is_valid_at(NOW)


@pytest.mark.parametrize(("patch", "path"), [
    ({"version": 0}, "version"),
    ({"version": True}, "version"),
    ({"plan_id": ""}, "plan_id"),
    ({"valid_from": "2026-01-01"}, "valid_from"),  # no time zone
    ({"valid_until": "2025-01-01T00:00:00Z"}, "valid_until"),  # before valid_from
    ({"schedule": {"days": ["mon", "mon"], "sessions_per_day": 1}}, "schedule.days"),
    ({"schedule": {"days": ["funday"], "sessions_per_day": 1}}, "schedule.days[0]"),
    ({"exercises": []}, "exercises"),
])
def test_invalid_plan_names_the_field(patch: dict, path: str) -> None:
    with pytest.raises(PlanError) as err:
        parse_plan({**valid_plan(), **patch})
    assert err.value.path == path


@pytest.mark.parametrize(("field", "value"), [
    ("exercise_id", "moonwalk"), ("reps", 0), ("reps", 1000), ("sets", "2"),
    ("target_rom_deg", float("nan")), ("hold_s", -1), ("side", "middle"),
    ("sensors", ["shank", "thigh", "foot"]), ("sensors", ["tail"]),
])
def test_invalid_exercise_field(field: str, value: object) -> None:
    plan = valid_plan()
    plan["exercises"][0][field] = value
    with pytest.raises(PlanError) as err:
        parse_plan(plan)
    assert err.value.path.startswith(f"exercises[0].{field}")


def test_signed_plan_opens_and_rejections_have_codes() -> None:
    text = json.dumps(valid_plan(version=2))
    env = seal(text, KEY)
    plan, got = open_envelope(env, KEY.public_key(), now=NOW, **BOUND)
    assert plan.version == 2 and got == text

    def code(raw: bytes, current=None) -> str:
        with pytest.raises(PlanRejected) as err:
            open_envelope(raw, KEY.public_key(), now=NOW, current=current, **BOUND)
        return err.value.code

    tampered = json.loads(env)
    tampered["body"] = tampered["body"].replace('\\"reps\\": 8', '\\"reps\\": 80')
    assert tampered["body"] != json.loads(env)["body"]
    unsigned = {k: v for k, v in json.loads(env).items() if k != "sig"}
    assert code(json.dumps(tampered).encode()) == RejectCode.BAD_SIGNATURE
    assert code(json.dumps(unsigned).encode()) == RejectCode.UNSIGNED
    assert code(seal(text, new_private_key())) == RejectCode.BAD_SIGNATURE
    assert code(env, current=plan) == RejectCode.OLDER
    expired = json.dumps(valid_plan(version=3, valid_until="2026-02-01T00:00:00Z"))
    assert code(seal(expired, KEY)) == RejectCode.EXPIRED
    assert code(seal('{"plan_id": 5}', KEY)) == RejectCode.INVALID
    assert code(b"\xff\x00garbage") == RejectCode.MALFORMED


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids,
                                                               max_size=5),
    max_leaves=20)


def _mutated_plan(draw: st.DrawFn) -> dict:
    plan = valid_plan()
    target = draw(st.sampled_from(["top", "schedule", "exercise"]))
    obj = {"top": plan, "schedule": plan["schedule"], "exercise": plan["exercises"][0]}[target]
    keys = list(obj) + ["extra"]
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(keys))
        if draw(st.booleans()):
            obj.pop(key, None)
        else:
            obj[key] = draw(json_values)
    return plan


plans = st.one_of(json_values, st.composite(_mutated_plan)())


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(plans)
def test_plan_parser_never_raises_anything_but_plan_error(obj: object) -> None:
    try:
        plan = parse_plan(obj)
    except PlanError as exc:
        assert str(exc)
    else:
        assert parse_plan(plan_to_json(plan)) == plan


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.binary(max_size=300), plans.map(lambda o: json.dumps(o).encode()),
                 plans.map(lambda o: seal(json.dumps(o), KEY))))
def test_envelope_and_bytes_parsers_never_crash(raw: bytes) -> None:
    for parse in (parse_plan_bytes,
                  lambda r: open_envelope(r, KEY.public_key(), now=NOW, **BOUND)):
        try:
            parse(raw)
        except PlanError as exc:
            assert str(exc)
