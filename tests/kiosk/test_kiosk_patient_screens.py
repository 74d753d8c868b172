"""The patient screens of issue 15 through :class:`kiosk.vm.flow.KioskFlow`, without Kivy,
on a real store: feedback after a session (stored and queued as FHIR), a message typed on
the on-screen keyboard, reminder times in Settings with the plan's times winning, and an
honest plan state (an ended plan says so; it never becomes the demo plan)."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from day_plan import PLAN
from flow_helpers import unlock, until
from test_kiosk_flow import kiosk

from kiosk.settings import load_settings
from kiosk.vm.compose import BACKSPACE, SPACE
from kiosk.vm.flow import REMINDER_TEXT
from therapy.plan import parse_plan
from therapy.ports import FEEDBACK_QUESTIONNAIRE
from therapy.records import Direction


def _save_plan(model, plan: dict) -> None:  # type: ignore[no-untyped-def]
    model.store.save_plan(parse_plan(plan), json.dumps(plan), datetime.now(UTC))


def _type(flow, text: str) -> None:  # type: ignore[no-untyped-def]
    for ch in text:
        flow.compose_key(SPACE if ch == " " else ch.lower())


@pytest.mark.timeout(60)
async def test_feedback_after_a_session_is_stored_and_queued_as_fhir(tmp_path: Path) -> None:
    k = kiosk(tmp_path / "data", speed=60.0)
    flow, model = k.flow, k.model
    unlock(flow)
    flow.start_exercise(dataclasses.replace(model.plan()[0].exercises[0], sets=1, reps=2))
    flow.pain_vm.choose(1)
    flow.pain_done()
    flow.begin_set()
    await until(lambda: flow.current == "pain", 20, "pain after", flow.frame)
    flow.pain_vm.choose(2)
    flow.pain_done()
    assert flow.finishing is not None
    await flow.finishing
    assert flow.current == "summary"
    session_id = model.last_record.id if model.last_record else None

    flow.summary_done()
    assert flow.current == "feedback" and flow.feedback_vm is not None
    assert not flow.feedback_vm.can_send  # nothing said yet: Send is grey
    flow.send_feedback()
    assert flow.current == "feedback"
    flow.feedback_rate(5)  # too hard
    flow.feedback_note("I felt stiff")
    flow.feedback_type()  # the keyboard, for the patient's own words
    assert flow.current == "compose" and flow.compose_vm is not None
    _type(flow, "knee ok x")
    flow.compose_key(BACKSPACE)
    flow.compose_key(BACKSPACE)
    assert flow.compose_vm.text == "Knee ok"  # a capital at the start
    flow.compose_done()
    assert flow.current == "feedback" and flow.feedback_vm.text == "Knee ok"
    waiting = model.outbox_waiting()
    flow.send_feedback()
    assert flow.current == "today" and flow.notice_on("today").startswith("Thank you")

    (row,) = model.store._query("SELECT session_id, rating, text FROM feedback")
    assert row == (session_id, 5, "Effort: Too hard. I felt stiff. Knee ok")
    assert model.outbox_waiting() == waiting + 1
    payload = json.loads(model.store.outbox_batch()[-1].payload)
    res = payload.get("resource", payload)
    assert res["resourceType"] == "QuestionnaireResponse"
    assert res["questionnaire"] == FEEDBACK_QUESTIONNAIRE
    answers = {i["linkId"]: i["answer"][0] for i in res["item"]}
    assert answers["rating"] == {"valueInteger": 5}
    assert answers["session"] == {"valueString": session_id}
    model.close()


def test_a_message_typed_on_the_keyboard_is_stored_and_queued(tmp_path: Path) -> None:
    k = kiosk(tmp_path / "data")
    flow, model = k.flow, k.model
    unlock(flow)
    flow.go("messages")
    flow.write_message()
    assert flow.current == "compose"
    flow.compose_done()  # nothing typed: nothing sent
    assert flow.current == "compose" and model.store.messages() == []
    _type(flow, "can we talk. tomorrow")
    waiting = model.outbox_waiting()
    flow.compose_done()
    assert flow.current == "messages" and flow.notice_on("messages") == \
        "Sent to your therapist."
    (m,) = model.store.messages()
    assert (m.direction, m.text) == (Direction.TO_THERAPIST, "Can we talk. Tomorrow")
    assert model.outbox_waiting() == waiting + 1
    flow.write_message()
    _type(flow, "x")
    flow.compose_cancel()  # Back: nothing sent
    assert flow.current == "messages" and len(model.store.messages()) == 1
    model.close()


async def test_reminder_times_in_settings_are_saved_and_the_plans_times_win(
        tmp_path: Path) -> None:
    at = datetime.now().astimezone().replace(hour=8, minute=35, second=0, microsecond=0)
    from therapy.ports import FakeClock

    clock = FakeClock(at.astimezone(UTC))
    k = kiosk(tmp_path / "data", clock=clock)
    flow, model = k.flow, k.model
    unlock(flow)
    flow.go("settings")  # the patient's own Settings: no installer code
    flow.open_reminders()
    assert flow.current == "reminders" and flow.reminders_vm is not None
    assert flow.reminders_vm.times == ["10:00", "17:00"] and not flow.reminders_vm.from_plan
    flow.reminder_edit("shift", 0, -90)  # 10:00 -> 08:30
    flow.reminder_edit("add")
    flow.reminder_edit("remove", 2)  # the 17:00
    assert load_settings(model.data_dir).reminder_times == ("08:30", "12:00")
    flow.close_reminders()
    flow.go("today")
    flow.second()  # 08:35: the patient's own 08:30 fires
    assert flow.reminder_notice == REMINDER_TEXT and k.woken == [1]

    plan = copy.deepcopy(PLAN)
    plan["schedule"]["times"] = ["09:00", "19:30"]
    _save_plan(model, plan)
    flow.open_reminders()
    assert flow.reminders_vm.from_plan and flow.reminders_vm.in_use == ("09:00", "19:30")
    assert "09:00, 19:30" in flow.reminders_vm.note
    clock.advance(timedelta(hours=3, minutes=30).total_seconds())  # 12:05
    flow.second()  # the kiosk's own 12:00 no longer fires: the plan's times win
    assert k.woken == [1]
    clock.advance(timedelta(hours=7, minutes=30).total_seconds())  # 19:35
    flow.second()
    assert k.woken == [1, 1]
    model.close()


async def test_an_ended_plan_says_so_and_never_becomes_the_demo_plan(tmp_path: Path) -> None:
    k = kiosk(tmp_path / "data")
    flow, model = k.flow, k.model
    plan = copy.deepcopy(PLAN)
    plan["valid_from"], plan["valid_until"] = "2025-01-01T00:00:00Z", "2025-06-30T00:00:00Z"
    _save_plan(model, plan)
    unlock(flow)
    flow.go("today")
    shown, demo = model.plan()
    assert not demo and shown.plan_id == "p-day"
    today = model.today()
    assert today.items == () and not today.demo_plan and today.state.state == "ended"
    assert today.state.text == ("Your exercise plan ended on June 30, 2025. Please "
                                "contact your clinic for a new plan.")
    flow.start_exercise(shown.exercises[0])
    assert flow.current == "today" and model.run is None
    ten = datetime.now().astimezone().replace(hour=10, minute=5)
    model.clock = type(model.clock)(ten.astimezone(UTC))
    flow.second()
    assert k.woken == []  # nothing to remind of

    plan["valid_from"], plan["valid_until"] = "2098-01-01T00:00:00Z", "2099-01-01T00:00:00Z"
    plan["version"] = 4
    _save_plan(model, plan)
    state = model.today().state
    assert state.state == "not_started" and "January 1, 2098" in state.text

    current = copy.deepcopy(PLAN)  # v3 in force now, v4 sent ahead for 2098
    current["valid_from"] = "2026-01-01T00:00:00Z"
    current["valid_until"] = "2097-12-31T00:00:00Z"
    _save_plan(model, current)
    assert model.plan()[0].version == 3 and model.today().state.state == "current"
    assert len(model.today().items) == 1  # next year's plan does not hide this one
    model.close()


class _DroppingSources:
    """Simulated wearables whose thigh wearable drops out mid-set: the link events a
    supervised set hands the run (``OpenSet.supervise``'s ``on_link``), and the status the
    live screen reads."""

    demo = False

    def __init__(self) -> None:
        from kiosk.adapters.sources import SimSourceFactory

        self.sim = SimSourceFactory(speed=20.0)
        self.connected = True
        self.on_link = None

    def set_connected(self, up: bool) -> None:
        from sensors.link_events import LinkEvent, LinkEventKind

        self.connected = up
        kind = LinkEventKind.BACK if up else LinkEventKind.LOST
        self.on_link(LinkEvent("ble:F1", "thigh", kind, 0.0, "" if up else "disconnected"))

    def open(self, ex, set_no):  # type: ignore[no-untyped-def]
        from kiosk.vm.live import SensorStatus

        opened = self.sim.open(ex, set_no)

        def status() -> tuple[SensorStatus, ...]:
            return (SensorStatus("RehabIMU-01 (thigh)", self.connected, 80, segment="thigh"),)

        opened = dataclasses.replace(opened, status=status, demo=False)  # an OpenSet
        opened.supervise = lambda _ctl, on_link: setattr(self, "on_link", on_link)
        return opened


@pytest.mark.timeout(60)
async def test_a_wearable_dropping_out_shows_and_says_the_banner(tmp_path: Path) -> None:
    k = kiosk(tmp_path / "data")
    flow, model = k.flow, k.model
    sources = _DroppingSources()
    model.sources = sources
    unlock(flow)
    flow.start_exercise(model.plan()[0].exercises[0])
    flow.pain_vm.choose(1)
    flow.pain_done()
    flow.begin_set()
    run = model.run
    assert run is not None
    await until(lambda: run.live.reps_in_set >= 1, 20, "a rep", flow.frame)
    assert run.live.lost_banner == ""
    sources.set_connected(False)  # the thigh wearable walks away
    await until(lambda: run.live.lost_banner != "", 5, "the banner", flow.frame)
    assert run.live.lost_banner == "Thigh sensor lost — bring it closer"
    flow.frame()
    assert k.audio.spoken.count("Thigh sensor lost — bring it closer") == 1  # said once
    sources.set_connected(True)
    await until(lambda: run.live.lost_banner == "", 5, "the banner gone", flow.frame)
    run.on_link_event(type("Ev", (), {"segment": "shank", "kind": "battery_low",
                                      "battery_pct": 9})())
    assert run.live.link_note == "Lower leg sensor battery low: charge it after this set"
    flow.stop_set()
    run.end_set()
    model.close()
