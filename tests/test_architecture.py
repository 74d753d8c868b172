"""The layering is checked, not only written down: import-linter's contracts in
pyproject.toml (layers from the CLI down to the wire protocol and the exercise vocabulary;
pure packages import no I/O library; motion takes only sample types from sensors)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is missing: make install (it is in the test extra)"
    run = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "3 kept, 0 broken" in run.stdout


def test_ruff_finds_nothing() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff, "ruff is missing: make install (it is in the test extra)"
    run = subprocess.run([ruff, "check", "--no-cache", "."], cwd=ROOT, capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def test_mypy_is_clean_on_the_pure_packages() -> None:
    """The wire protocol, the motion core and the exercise vocabulary type-check (with the
    sample types they import)."""
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent))
    assert mypy, "mypy is missing: make install (it is in the test extra)"
    run = subprocess.run([mypy, "protocol", "motion", "exercises"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def test_no_test_edits_the_import_path() -> None:
    """Helpers shared between test directories are the package ``tests.helpers`` (pyproject's
    pytest ``pythonpath``), and fixtures live in conftest files: no test inserts a directory
    into the import path or imports a conftest by name."""
    edits_path = re.compile(r"sys\.path|^\s*(from|import) conftest\b")
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in sorted((ROOT / "tests").rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if edits_path.search(line)]
    assert not found, "\n".join(found)


def test_helper_modules_in_test_folders_have_names_of_their_own() -> None:
    """A test folder's own helper module is imported by its bare name (pytest puts the
    folder on the import path), so two folders' helpers of one name are one module to
    Python: whichever loads first wins and the other folder's tests fail, only in a
    whole-suite run (seen: tests/kiosk/live_events.py beside tests/clinic/web's)."""
    seen: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        rel = path.relative_to(ROOT)
        if path.name in ("__init__.py", "conftest.py") or rel.parts[:2] == ("tests", "helpers"):
            continue
        seen.setdefault(path.stem, []).append(str(rel))
    clashes = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not clashes, clashes
