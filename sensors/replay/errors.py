"""The one error replay raises: a file that cannot be turned into samples."""

from __future__ import annotations

from pathlib import Path

from sensors.source import SensorError


class ReplayError(SensorError):
    """A recording that cannot be read, with the file and 1-based line (or None) at fault.

    The message is one line, ``path:line: what is wrong; what to do``, so a CLI can print it
    as it is.
    """

    def __init__(self, path: Path | str, line: int | None, problem: str) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = problem
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {problem}".replace("\n", " "))
