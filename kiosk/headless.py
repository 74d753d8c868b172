"""Environment for running Kivy without a display (tests, ``--screenshots``), set BEFORE
Kivy is imported: SDL's offscreen driver renders with Mesa, and Kivy keeps its hands off
the command line, the console log and the user's ``~/.kivy``."""

from __future__ import annotations

import os
from pathlib import Path


def prepare_env(kivy_home: str | Path, *, offscreen: bool = True,
                size: tuple[int, int] | None = None) -> None:
    """Set Kivy's and SDL's environment; call before the first ``import kivy``."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    # Kivy logs through Python logging (our levels and handlers), no stderr hijack
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_USE_DEFAULTCONFIG", "1")
    os.environ["KIVY_HOME"] = str(kivy_home)
    Path(kivy_home).mkdir(parents=True, exist_ok=True)
    if offscreen:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
        os.environ.pop("KIVY_GL_BACKEND", None)  # never "mock": it renders nothing
    if size is not None:
        os.environ["REHAB_KIOSK_SIZE"] = f"{size[0]}x{size[1]}"
