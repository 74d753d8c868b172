"""Where the benchmarks find the shared recordings (never copied into the project)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    """``$REHAB_SHARED_DATA`` or ``../shared/data`` beside the repository."""
    env = os.environ.get("REHAB_SHARED_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"
