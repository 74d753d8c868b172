"""Layering of the sensor packages (issue 13): sensors sense, and end at samples.

Checked on the source text (every ``import`` statement, lazy ones in functions too), so a
module another engineer is half-way through editing cannot hide an import by failing to load.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from exercises import CATALOGUE
from sensors.sim.geometry import GEOMETRY

ROOT = Path(__file__).resolve().parents[2]


def imported_packages(folder: str) -> dict[str, set[str]]:
    """For each .py file under ``folder``: the top-level packages it imports."""
    out: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        tops: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops.add(node.module.split(".")[0])
        out[str(path.relative_to(ROOT))] = tops
    return out


def offenders(folder: str, banned: set[str]) -> dict[str, set[str]]:
    return {f: tops & banned for f, tops in imported_packages(folder).items() if tops & banned}


def test_sensors_import_no_therapy() -> None:
    """The simulator took the catalogue (and its geometry) from therapy."""
    assert offenders("sensors", {"therapy", "kiosk", "mqtt", "rehab"}) == {}


def test_the_camera_package_stops_at_the_angle_stream() -> None:
    """sensors/camera built the motion core's SetAnalyzer (the sensor layer counted reps)."""
    assert offenders("sensors/camera", {"motion", "therapy", "exercises"}) == {}


def test_the_exercise_vocabulary_imports_nothing_of_the_project() -> None:
    project = {"sensors", "motion", "therapy", "kiosk", "mqtt", "rehab", "firmware_bridge"}
    assert offenders("exercises", project) == {}


def test_the_exercise_vocabulary_loads_no_io_library(modules_loaded_by) -> None:
    loaded = modules_loaded_by("exercises")
    assert [m for m in ("numpy", "sqlite3", "serial", "bleak", "paho", "cv2", "kivy")
            if m in loaded] == []


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_the_simulator_has_a_limb_for_every_catalogue_exercise(exercise_id: str) -> None:
    assert exercise_id in GEOMETRY
    assert set(GEOMETRY) == set(CATALOGUE)
