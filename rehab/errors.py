"""Errors of the command line (a module of its own so ``python -m rehab.cli`` and the
console script share one class)."""


class UsageError(Exception):
    """A problem the user can fix (bad file, bad flag). Printed as one line, exit 2."""
