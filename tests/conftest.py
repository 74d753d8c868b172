"""Shared fixtures. Real recordings are read from ../shared/data (never copied in)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared recordings folder; a missing folder fails the test with what to do."""
    if not (SHARED_DATA / "uci-pt").is_dir():
        pytest.fail(
            f"shared recordings not found at {SHARED_DATA}: the project expects the "
            "workplace's shared/data folder beside the repository (see README, 'Data')"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def modules_loaded_by():
    """``modules_loaded_by(*names)``: every module a fresh interpreter has loaded after
    importing ``names`` (layering checks: a pure package must not pull an I/O library)."""

    def run(*names: str) -> set[str]:
        code = (f"import sys\nfor m in {list(names)!r}: __import__(m)\n"
                "print('\\n'.join(sys.modules))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout
        return set(out.split())

    return run


@pytest.fixture(autouse=True)
def _kiosk_language_back_to_english():
    """The kiosk's language is process-wide (``kiosk.i18n``): a test that runs the kiosk in
    Spanish must not leave the next test reading Spanish (seen in a full run: the model tests
    after a Spanish touch test read 'Sin clínica conectada')."""
    yield
    i18n = sys.modules.get("kiosk.i18n")
    if i18n is not None and i18n.language() != i18n.DEFAULT_LANGUAGE:
        i18n.set_language(i18n.DEFAULT_LANGUAGE)
