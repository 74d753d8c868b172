"""Issue 12 #5 on the real screens, offscreen: with an appointment at 9999-12-31 and one
at 0001-01-01 and a message of year 1 at +14:00 stored (an older version wrote them), the
Today and Messages screens draw the rest instead of crashing on every start."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy  # noqa: E402

configure_kivy((800, 480), fullscreen=False, pi=False)

from tests.helpers.kiosk_touch import provision, running_kiosk, texts, until  # noqa: E402
from kivy.core.window import Window  # noqa: E402

from kiosk.adapters.audio import AudioCues  # noqa: E402
from kiosk.adapters.sources import SimSourceFactory  # noqa: E402
from kiosk.model import KioskModel  # noqa: E402
from therapy.records import Appointment, Direction, Message  # noqa: E402


@pytest.mark.timeout(60)
async def test_today_and_messages_draw_around_poison_rows(tmp_path: Path) -> None:
    data = tmp_path / "data"
    provision(data)
    model = KioskModel(data, sources=SimSourceFactory(speed=60.0))
    now = datetime.now(timezone.utc)
    st = model.store
    last = datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc)  # + 30 min overflows
    st.save_appointment(Appointment("far", last, 30))
    st.save_appointment(Appointment("first", datetime(1, 1, 1, tzinfo=timezone.utc), 30))
    st.save_appointment(Appointment("soon", now + timedelta(days=2), 30))
    st.save_message(Message("m-year1", Direction.TO_PATIENT, "from year 1",
                            datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))))
    st.save_message(Message("m-ok", Direction.TO_PATIENT, "Slow on the way down", now))
    async with running_kiosk(model, audio=AudioCues(enabled=False)) as app:
        app.flow.go_direct("today")
        await until(lambda: any(t.startswith("Live session ") for t in texts(app)), 5,
                    f"the good appointment on Today: {texts(app)}")
        assert sum(t.startswith("Live session") for t in texts(app)) == 1
        Window.screenshot(name=str(tmp_path / "today.png"))
        app.flow.go_direct("messages")
        await until(lambda: "Slow on the way down" in texts(app), 5, "the good message")
        assert "from year 1" not in texts(app)
        Window.screenshot(name=str(tmp_path / "messages.png"))
        assert sorted(p.name for p in tmp_path.glob("*.png")) == ["messages0001.png",
                                                                  "today0001.png"]
