"""The rehab process imports its command with the cyclic GC paused, then freezes what it made;
a program calling rehab.cli.main(argv) in-process keeps its collector as it was."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import gc, sys
from rehab.cli import build_parser
entry = sys.argv[1] == "entry"
before = gc.get_freeze_count()
if entry:
    build_parser(["replay"], freeze_imports=True)
else:
    build_parser(["replay"])
print(before, gc.get_freeze_count(), gc.isenabled(), "numpy" in sys.modules)
"""


def probe(mode: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], check=True, capture_output=True,
                         text=True).stdout.split()
    return out


def test_the_rehab_process_freezes_its_command_imports_and_collects_again() -> None:
    before, frozen, enabled, numpy = probe("entry")
    assert before == "0" and int(frozen) > 10_000  # numpy and the motion core, frozen
    assert enabled == "True" and numpy == "True"


def test_an_in_process_caller_keeps_its_collector() -> None:
    before, frozen, enabled, numpy = probe("library")
    assert (before, frozen, enabled, numpy) == ("0", "0", "True", "True")


def test_the_console_entry_freezes_and_a_call_with_argv_does_not() -> None:
    code = ("import gc, sys; from rehab.cli import main; sys.argv = ['rehab', 'replay', '-h']\n"
            "try:\n    main({})\nexcept SystemExit:\n    pass\nprint(gc.get_freeze_count())")
    for argv, frozen in (("None", True), ("['replay', '-h']", False)):
        out = subprocess.run([sys.executable, "-c", code.format(argv)], check=True,
                             capture_output=True, text=True).stdout.split()[-1]
        assert (int(out) > 0) == frozen
