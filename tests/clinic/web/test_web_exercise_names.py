"""The patient page names exercises as the plan editor and the kiosk do (the catalogue's
'Seated knee extension'), not by their id with spaces ('knee extension seated'): a
therapist choosing 'Elbow curl' in the editor found 'elbow flexion' in the sessions."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient
from web_world import EXERCISE, filled_store

from clinic.web.app import create_app
from clinic.web.pages import exercise_name
from exercises.catalogue import CATALOGUE


def test_the_patient_page_names_exercises_by_the_catalogue(tmp_path: Path) -> None:
    world = filled_store(tmp_path / "clinic.db", devices=1, days=3)
    app = create_app(world.store, clinic="c", secret_key="k")
    app.state.accounts.add("ann", "correct horse battery")
    c = TestClient(app)
    token = re.search(r'name="csrftoken" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": "ann", "password": "correct horse battery",
                           "csrftoken": token})
    page = c.get("/patients/dev-000").text
    name = CATALOGUE[EXERCISE].name
    assert f"<h2>{name}</h2>" in page and f"ROM per rep: {name}" in page
    assert f"<td>{name}</td>" in page  # the sessions table
    assert EXERCISE.replace("_", " ") not in page
    world.store.close()


def test_an_id_the_catalogue_does_not_know_reads_as_words() -> None:
    assert exercise_name("elbow_flexion") == "Elbow curl"
    assert exercise_name("old_exercise_v0") == "old exercise v0"
