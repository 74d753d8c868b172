"""``rehab`` — the one console script. Each subcommand lives in ``rehab.commands.<name>``.

A subcommand module exposes ``register(subparsers)`` which adds its parser and sets
``func`` (called with the parsed args, returns an exit status). Errors a user can fix
are raised as :class:`UsageError` and printed as one line with exit status 2; so is a
:class:`~therapy.errors.StorageError` from any command (disk full, damaged database, a
``--data-dir`` that is a file), whose message says what to do.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import pkgutil
import sys
from pathlib import Path

from rehab import __version__, commands
from rehab.errors import UsageError
from therapy.errors import StorageError  # any command that opens the store (tiny module)

__all__ = ["UsageError", "build_parser", "main"]

# Every module in ``rehab.commands`` with a ``register`` function is a subcommand named like
# the module, listed in ``rehab --help`` in name order. Import errors are packaging bugs and
# are not hidden.


def _command_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(commands.__path__))


def build_parser(argv: list[str] | None = None, *, freeze_imports: bool = False
                 ) -> argparse.ArgumentParser:
    """The parser; with ``argv`` naming a command, only that command's module is imported
    (start-up of ``rehab replay`` does not pay for the clinic link's imports).

    ``freeze_imports`` (the ``rehab`` process itself, not a caller in another program):
    the command's imports run with the cyclic garbage collector paused and what they made
    is then frozen (``gc.freeze``). Importing numpy alone set off ~34 collections that
    each walked the young objects of the imports, all of which live as long as the
    process: 0.01-0.02 s of ``rehab replay``'s start-up (perf stat task-clock 387-402 ->
    374-375 ms on the hour at 100 Hz). Frozen objects are never collected, which is what
    modules, classes and functions are anyway."""
    parser = argparse.ArgumentParser(
        prog="rehab", description="Home physiotherapy kiosk: sensors, reps, clinic link."
    )
    parser.add_argument("--version", action="version", version=f"rehab {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (repeat for debug)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = _command_names()
    chosen = next((a for a in (argv or []) if not a.startswith("-")), None)
    paused = freeze_imports and gc.isenabled()
    if paused:
        gc.disable()
    try:
        modules = [importlib.import_module(f"rehab.commands.{name}")
                   for name in ([chosen] if chosen in names else names)]
    finally:
        if paused:
            gc.freeze()
            gc.enable()
    for module in modules:
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def _check_data_dir(args: argparse.Namespace) -> None:
    """``--data-dir`` naming a file is the same mistake for every command: say so before
    one of them tries to create it (``rehab doctor`` explains it as one of its checks)."""
    data_dir = getattr(args, "data_dir", None)
    if data_dir and not getattr(args, "explains_data_dir", False):
        path = Path(data_dir)
        if path.exists() and not path.is_dir():
            raise UsageError(f"--data-dir {path} is a file, not a folder: name a folder "
                             "(it is created when missing)")


def main(argv: list[str] | None = None) -> int:
    entry = argv is None  # the console script (or python -m rehab), not an in-process call
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv, freeze_imports=entry)
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        _check_data_dir(args)
        rc = int(args.func(args) or 0)
        if entry:
            sys.stdout.flush()  # here, where a reader that left is caught (below)
        return rc
    except (UsageError, StorageError) as exc:
        # one line whatever the message holds (a path with a newline, SQLite's text)
        line = " ".join(str(exc).split())
        print(f"rehab {args.command}: error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `rehab doctor | head -2`: the reader left; no traceback
        if entry:  # Python's advice: point stdout at devnull so its flush at exit is quiet
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a command a pipe ended


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
