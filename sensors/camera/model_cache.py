"""The kiosk's build of the pose landmark model, converted once and kept per user (issue 15).

From the mediapipe wheel's ``pose_landmark_full.tflite``: its float16 weights stored as
float32 (:mod:`sensors.camera.model_fp32`) and, unless kept, its segmentation head removed
(:mod:`sensors.camera.model_prune`). The conversion runs in a child process (``python -m
sensors.camera.model_cache``: its ~100 MB of Python objects and the whole ``mediapipe``
import never enter the kiosk's heap), at the camera's first use or ahead of it, and writes
into ``$XDG_CACHE_HOME/rehab-kiosk`` (``~/.cache/rehab-kiosk``) atomically, under a name
holding the source's SHA-256 (a new MediaPipe's model gets its own entry) and the format;
the entry a conversion replaces (another source or format of the same variant) is deleted.
Works offline: the source is the installed wheel's file.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sensors.camera.model_fp32 import ModelConversionError, unfold_fp16_weights
from sensors.camera.model_prune import without_segmentation

_LOG = logging.getLogger(__name__)
FORMAT = 1  # bump when a conversion's output changes: old cache entries are then unused


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/rehab-kiosk`` (``~/.cache/rehab-kiosk`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rehab-kiosk"


def variant(segmentation: bool) -> str:
    return "fp32" if segmentation else "fp32-noseg"


def cached_name(model: bytes, stem: str, segmentation: bool) -> str:
    """The cache's file name for ``model`` converted: its stem, variant, format, SHA-256."""
    digest = hashlib.sha256(model).hexdigest()[:16]
    return f"{stem}.{variant(segmentation)}-v{FORMAT}-{digest}.tflite"


def convert(model: bytes, segmentation: bool) -> bytes:
    """``model`` with float32 weights, and without its segmentation head unless kept."""
    out = unfold_fp16_weights(model)
    return out if segmentation else without_segmentation(out)


def convert_file(source: Path, cache: Path, segmentation: bool) -> Path:
    """Convert ``source`` into ``cache`` in this process, written atomically (a crash
    leaves no half file behind); the converted model's path."""
    model = source.read_bytes()
    target = cache / cached_name(model, source.stem, segmentation)
    converted = convert(model, segmentation)
    cache.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(converted)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would differ from the cache's other files
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    prune_other_versions(target)
    return target


def prune_other_versions(kept: Path) -> list[Path]:
    """Delete the cache entries ``kept`` replaces: the same model and variant converted from
    another source (an earlier MediaPipe's model) or in another format (12.7 MB each, else
    kept for ever), and half-written files of them a killed conversion left. Other variants
    (with or without the segmentation head) are kept. The paths deleted."""
    stem, rest = kept.name.split(".", 1)
    var = rest.split("-v", 1)[0]
    gone = [p for p in kept.parent.glob(f"{stem}.{var}-v*.tflite") if p != kept]
    gone += [p for p in kept.parent.glob(f".{stem}.{var}-v*") if p.is_file()
             and not p.name.startswith(f".{kept.name}.")]
    for path in gone:
        path.unlink(missing_ok=True)
        _LOG.info("old pose model %s removed from the cache", path.name)
    return gone


def kiosk_model(source: Path, cache_dir: Path | None = None, *,
                segmentation: bool = False) -> Path:
    """The converted model of the file ``source`` from the per-user cache, converted by a
    child process the first time. OSError when the cache cannot be written;
    ModelConversionError when ``source`` is not the model the conversion expects."""
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    target = cache / cached_name(source.read_bytes(), source.stem, segmentation)
    if target.is_file():
        return target
    cmd = [sys.executable, "-m", __name__, str(source), str(cache)]
    run = subprocess.run(cmd + ([] if not segmentation else ["--keep-segmentation"]),
                         capture_output=True, text=True, timeout=120)
    if run.returncode == 2:
        raise ModelConversionError(run.stderr.strip().splitlines()[-1])
    if run.returncode != 0 or not target.is_file():
        raise OSError(f"converting {source} into {cache} failed: {run.stderr[-500:]}")
    _LOG.info("pose model %s converted into %s", source.name, target)
    return target


def wheel_landmark_model() -> Path:
    """The mediapipe wheel's full landmark model (found without importing mediapipe)."""
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise ModelConversionError("mediapipe is not installed")
    return (Path(next(iter(spec.submodule_search_locations))) / "modules" / "pose_landmark"
            / "pose_landmark_full.tflite")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sensors.camera.model_cache",
                                 description="Convert the pose landmark model for the kiosk "
                                 "into the cache (what the camera's first use does; an "
                                 "install step may run it ahead).")
    ap.add_argument("source", type=Path, nargs="?", default=None,
                    help="model file (default: the mediapipe wheel's pose_landmark_full)")
    ap.add_argument("cache_dir", type=Path, nargs="?", default=None,
                    help="default: $XDG_CACHE_HOME/rehab-kiosk")
    ap.add_argument("--keep-segmentation", action="store_true",
                    help="only store the weights as float32")
    args = ap.parse_args(argv)
    try:
        source = args.source or wheel_landmark_model()
        print(convert_file(source, args.cache_dir or default_cache_dir(),
                           args.keep_segmentation))
    except ModelConversionError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
