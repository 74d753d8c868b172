"""The caseload of a large clinic pages (issue 14): 230 devices are three pages of at most
100, sorted over every device before paging (the most alerts come first on page 1 and no
device is shown twice or left out), with Previous/Next links keeping the sort; the JSON
API answers ``limit`` rows (at most 1,000) from ``offset`` with a ``Link`` to the next."""

from __future__ import annotations

import re
from pathlib import Path

from send_world import login
from starlette.testclient import TestClient

from clinic.store import ClinicStore
from clinic.web.app import create_app

DEVICES = 230


def _client(tmp_path: Path) -> tuple[TestClient, ClinicStore]:
    store = ClinicStore(tmp_path / "clinic.db")
    for i in range(DEVICES):
        store.set_device_state(f"dev-{i:03d}", "online")
    store.add_status_event("dev-117", {"event": "battery", "segment": "thigh",
                                       "battery_pct": 5})  # the one device with an alert
    app = create_app(store, clinic="c", secret_key="k")
    app.state.accounts.add("ann", "correct horse battery")
    client = TestClient(app)
    login(client)
    return client, store


def _devices(html: str) -> list[str]:
    return re.findall(r'<a href="/patients/([^"]+)">', html)


def test_the_caseload_pages_a_large_clinic(tmp_path: Path) -> None:
    c, store = _client(tmp_path)
    try:
        first = c.get("/?sort=alerts&order=desc").text
        assert "230 patients, 1 with alerts" in first
        assert "patients 1–100 of 230 (page 1 of 3)" in first
        seen = _devices(first)
        assert len(seen) == 100 and seen[0] == "dev-117"  # sorted before paging
        assert 'href="/?sort=alerts&order=desc&page=2" rel="next"' in first
        assert 'rel="prev"' not in first
        for n in (2, 3):
            page = c.get(f"/?sort=alerts&order=desc&page={n}").text
            seen += _devices(page)
        assert 'rel="next"' not in page and "patients 201–230 of 230" in page
        assert sorted(seen) == [f"dev-{i:03d}" for i in range(DEVICES)]  # each once
        assert _devices(c.get("/?page=99").text) == _devices(c.get("/?page=3").text)
        assert c.get("/?page=0").status_code == 422
    finally:
        store.close()


def test_the_caseload_api_answers_a_page_and_links_the_next(tmp_path: Path) -> None:
    c, store = _client(tmp_path)
    try:
        r = c.get("/api/caseload?sort=device&order=asc")
        assert [row["device"] for row in r.json()] == [f"dev-{i:03d}" for i in range(100)]
        nxt = re.fullmatch(r'<([^>]+)>; rel="next"', r.headers["link"])
        assert nxt and "offset=100" in nxt.group(1)
        r = c.get("/api/caseload?sort=device&order=asc&limit=100000")
        assert len(r.json()) == DEVICES and "link" not in r.headers  # at most 1,000
        r = c.get("/api/caseload?sort=device&order=asc&limit=50&offset=200")
        assert [row["device"] for row in r.json()][0] == "dev-200" and "link" not in r.headers
    finally:
        store.close()
