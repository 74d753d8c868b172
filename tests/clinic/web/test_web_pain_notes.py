"""The patient's note with a pain rating ("knee stiff": ``rehab session --note``, the kiosk's
pain screen; FHIR carries it in the pain Observation's ``note``) is shown where the therapist
reads pain: the patient page's sessions list and the session page, as text (SQLite and
PostgreSQL). Before, it was only in the FHIR API."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient
from send_world import PASSWORD, login
from web_world import session

from clinic.store import ClinicStore, open_store
from clinic.web.app import create_app
from clinic.web.patient import NOTE_CHARS, pain_note
from therapy import fhir
from therapy.records import PainPhase

DEVICE = "dev-007"
NOW = datetime.now(timezone.utc)
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


def _login(store: ClinicStore) -> TestClient:
    app = create_app(store, clinic="c", secret_key="k")
    app.state.accounts.add("ann", PASSWORD)
    c = TestClient(app)
    login(c)
    return c


def _store_session(store: ClinicStore, start: datetime, before: str, after: str) -> str:
    rec = session(start, [60.0, 62.0], 3, 7)
    pains = tuple(replace(p, note=before if p.phase == PainPhase.BEFORE else after)
                  for p in rec.pains)
    rec = replace(rec, pains=pains)
    for res in [fhir.session_bundle(rec, DEVICE)] + [fhir.pain_observation(p, DEVICE)
                                                      for p in rec.pains]:
        assert store.add_resource(DEVICE, res)
    return f"urn:uuid:{rec.id}"


def test_pain_notes_on_the_patient_and_session_pages(store_db: str | None,
                                                      tmp_path: Path) -> None:
    store = open_store(tmp_path, store_db)
    try:
        noted = _store_session(store, NOW - timedelta(days=1), "knee stiff", HOSTILE)
        _store_session(store, NOW - timedelta(days=2), "sore " * 40, "")
        plain = _store_session(store, NOW - timedelta(hours=2), "", "")
        c = _login(store)

        r = c.get(f"/patients/{DEVICE}")
        assert r.status_code == 200
        assert "before: “knee stiff”" in r.text
        # a long note in short, in full on hover
        assert re.search(r'title="(sore ){39}sore">before: “(sore ){10,30}sore\.\.\.”', r.text)
        assert "<script>" not in r.text.split("<main", 1)[-1]  # the page's own scripts aside
        assert "after: “&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; " \
               "&lt;b&gt;bold&lt;/b&gt;”" in r.text

        r = c.get(f"/patients/{DEVICE}/sessions/{noted}")
        assert r.status_code == 200
        main = r.text.split("<main", 1)[-1]
        assert re.search(r"Pain before → after: 3 → <span class=\"high\">7</span>", main)
        assert "<dt>Patient's note, pain before</dt><dd>knee stiff</dd>" in main
        assert ("<dd>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; "
                "&lt;b&gt;bold&lt;/b&gt;</dd>") in main
        assert "<script" not in main and "<b>" not in main

        r = c.get(f"/patients/{DEVICE}/sessions/{plain}")
        assert r.status_code == 200 and "Patient's note" not in r.text
        assert "Pain before → after: 3 →" in r.text
    finally:
        store.close()


def test_a_note_that_is_not_text_leaves_the_page_up(tmp_path: Path) -> None:
    store = ClinicStore(tmp_path / "clinic.db")
    try:
        rec = session(NOW - timedelta(hours=1), [60.0], 2, 4)
        bodies: list[dict[str, Any]] = [fhir.pain_observation(p, DEVICE) for p in rec.pains]
        bodies[0]["note"] = "not a list"
        bodies[1]["note"] = [{"text": 5}, "x", {"text": "  sore\n after  "}]
        for res in [fhir.session_bundle(rec, DEVICE), *bodies]:
            store.add_resource(DEVICE, res)
        c = _login(store)
        assert c.get(f"/patients/{DEVICE}").status_code == 200
        r = c.get(f"/patients/{DEVICE}/sessions/urn:uuid:{rec.id}")
        assert r.status_code == 200
        assert "<dt>Patient's note, pain after</dt><dd>sore after</dd>" in r.text
        assert "pain before</dt>" not in r.text
    finally:
        store.close()


def test_pain_note_text() -> None:
    assert pain_note('{"note": [{"text": "a"}, {"text": "b  c"}]}') == "a; b c"
    assert pain_note("{}") == pain_note("[]") == pain_note("{") == pain_note(None) == ""
    long = pain_note('{"note": [{"text": "%s"}]}' % ("x" * 2000))
    assert len(long) == NOTE_CHARS and long.endswith("…")
