"""The clinic store and progress report, fed with resources from the device's builders."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from clinic.store import ClinicStore
from clinic.report import gather, render_html, write_report
from tests.clinic.records import START, session_resources

MON = START  # a Monday


def test_store_dedupes_and_report_shows_progress_and_adherence(tmp_path: Path) -> None:
    store = ClinicStore(tmp_path / "clinic.db")
    plan = {"plan_id": "p", "version": 1, "valid_from": "2026-03-02T00:00:00Z",
            "valid_until": "2026-04-01T00:00:00Z",
            "schedule": {"days": ["mon", "wed", "fri"], "sessions_per_day": 1},
            "exercises": [{"exercise_id": "knee_extension_seated"}]}
    store.add_plan("dev-1", 1, json.dumps(plan))
    # sessions on Mon and Wed of week 1 and Mon of week 2 (Fri missed): 3 of 4 days
    for day, roms in ((0, (50.0, 52.0)), (2, (58.0, 60.0, 61.0)), (7, (66.0, 68.0))):
        for resource in session_resources("dev-1", MON + timedelta(days=day), roms):
            assert store.add_resource("dev-1", resource)
            assert not store.add_resource("dev-1", resource)  # a resend is dropped
    data = gather(store, "dev-1", today=date(2026, 3, 9))
    assert [s.reps for s in data.sessions] == [2, 3, 2]
    assert [round(s.mean_rom_deg or 0, 1) for s in data.sessions] == [51.0, 59.7, 67.0]
    assert (data.scheduled_days, data.days_done) == (4, 3)
    assert set(data.pain_before.values()) == {5} and set(data.pain_after.values()) == {3}
    html = render_html(data)
    assert "3 of 4 scheduled days (75%)" in html and html.count("<svg") == 3
    write_report(data, tmp_path / "r.png")
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
