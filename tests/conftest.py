"""Shared fixtures. Real recordings are read from ../shared/data, or $REHAB_SHARED_DATA
(never copied in)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Generator
from pathlib import Path

import pytest

from bench._data import shared_data as shared_data_folder

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared recordings folder (the benchmarks' too: ``$REHAB_SHARED_DATA`` or
    ../shared/data); a missing folder fails the test with what to do."""
    root = shared_data_folder()
    if not (root / "uci-pt").is_dir():
        pytest.fail(
            f"shared recordings not found at {root}: the project expects the workplace's "
            "shared/data folder beside the repository, or REHAB_SHARED_DATA set to it "
            "(see README, 'Data')"
        )
    return root


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


# ``make test`` runs the suite on two pytest-xdist workers, one per core. A test marked
# ``alone`` measures time, a rate or a latency against real clocks, so it must not share the
# machine with the other worker's browsers, brokers and kiosk children: every test holds a
# shared lock while it runs (set-up and teardown included), an ``alone`` test the exclusive
# one, so it starts when the other worker's current test ends and the other worker waits
# until it ends. A turnstile taken before either keeps a waiting ``alone`` test from being
# overtaken by the other worker's next tests. Without xdist (``pytest tests/x.py``) the
# locks are not taken. The lock folder is made once per run by the controller and handed to
# each worker (``workerinput``), so two runs on one machine do not wait on each other.
LOCK_DIR_KEY = "rehab_core_lock_dir"
_LOCK_DIR = pytest.StashKey[str]()
_LOCKS = pytest.StashKey[tuple[int, int]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "alone: measures time or rate on real clocks; under xdist it runs while "
        "the other worker waits (tests/conftest.py)")
    if not hasattr(config, "workerinput") and config.pluginmanager.hasplugin("xdist") \
            and config.getoption("numprocesses", None):
        config.stash[_LOCK_DIR] = tempfile.mkdtemp(prefix="rehab-test-cores-")


def pytest_unconfigure(config: pytest.Config) -> None:
    lock_dir = config.stash.get(_LOCK_DIR, None)
    if lock_dir is not None:
        shutil.rmtree(lock_dir, ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:  # xdist's controller, once per worker
    node.workerinput[LOCK_DIR_KEY] = node.config.stash[_LOCK_DIR]


def _core_locks(config: pytest.Config) -> tuple[int, int] | None:
    """(turnstile fd, cores fd) on an xdist worker, opened once; None when not under xdist."""
    lock_dir = getattr(config, "workerinput", {}).get(LOCK_DIR_KEY)
    if lock_dir is None:
        return None
    if _LOCKS not in config.stash:
        config.stash[_LOCKS] = tuple(  # type: ignore[assignment]
            os.open(os.path.join(lock_dir, name), os.O_RDWR | os.O_CREAT, 0o600)
            for name in ("turnstile", "cores"))
    return config.stash[_LOCKS]


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outside pytest-timeout: waiting is not running
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None
                            ) -> Generator[None, object, object]:
    locks = _core_locks(item.config)
    if locks is None:
        return (yield)
    turnstile, cores = locks
    fcntl.flock(turnstile, fcntl.LOCK_EX)
    try:
        alone = item.get_closest_marker("alone") is not None
        fcntl.flock(cores, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
    finally:
        fcntl.flock(turnstile, fcntl.LOCK_UN)
    try:
        return (yield)
    finally:
        fcntl.flock(cores, fcntl.LOCK_UN)
