"""``rehab clinic serve --check-workers`` defaults to auto: the cores serve may run on less
one, at most 4, none on fewer than 3 cores (issue 14's ingest rate; the figures behind the
rule are bench.clinic's drain and ingest rows in docs/clinic-server.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.helpers.rehab_broker import Broker
from tests.helpers.serve_world import ServeProcess

from clinic.check_pool import auto_workers
from rehab.cli import main

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("cores, workers", [(1, 0), (2, 0), (3, 2), (4, 3), (5, 4), (8, 4),
                                            (64, 4)])
def test_auto_is_the_cores_less_one_at_most_four_and_none_below_three(
        cores: int, workers: int) -> None:
    assert auto_workers(cores) == workers


def test_auto_counts_the_cores_this_process_may_run_on() -> None:
    assert auto_workers() == auto_workers(len(os.sched_getaffinity(0)))


@pytest.mark.parametrize("value", ["-1", "65", "two", "auto4", ""])
def test_a_bad_count_is_one_line_exit_2(value: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["clinic", "serve", "--broker", "mqtt://127.0.0.1:1", "--clinic", "c1",
                 "--data-dir", str(tmp_path / "clinic"), "--listen", "127.0.0.1:0",
                 "--check-workers", value])
    err = capsys.readouterr().err
    assert code == 2 and f"--check-workers {value}: use 0..64 or auto" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_serve_without_the_option_runs_the_auto_count(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "broker").start()
    serve = ServeProcess(tmp_path / "clinic", broker.url)
    try:
        serve.wait_connected()
        pool = serve.health()["ingest"]["check_workers"]
        expected = auto_workers()
        assert (pool is None) if expected == 0 else (pool["workers"] == expected)
    finally:
        serve.stop_quietly()
        broker.stop()
