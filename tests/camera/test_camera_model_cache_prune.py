"""The pose model cache deletes the entries a new conversion replaces
(sensors/camera/model_cache.py ``prune_other_versions``): an earlier MediaPipe's model or an
older format of the same variant, and half-written files of them; other variants stay."""

from __future__ import annotations

from pathlib import Path

from sensors.camera.model_cache import FORMAT, cached_name, prune_other_versions


def test_a_new_conversion_removes_what_it_replaces_and_nothing_else(tmp_path: Path) -> None:
    kept = tmp_path / cached_name(b"new model", "pose_landmark_full", segmentation=False)
    names = {
        "older_source": cached_name(b"old model", "pose_landmark_full", segmentation=False),
        "older_format": kept.name.replace(f"-v{FORMAT}-", f"-v{FORMAT - 1 or 99}-"),
        "half_written": f".{cached_name(b'old model', 'pose_landmark_full', False)}.x1y2",
        "other_variant": cached_name(b"old model", "pose_landmark_full", segmentation=True),
        "other_model": cached_name(b"old model", "pose_detection", segmentation=False),
        "not_ours": "notes.txt",
        "being_written": f".{kept.name}.a8b9",  # this very conversion's temporary file
    }
    for name in [kept.name, *names.values()]:
        (tmp_path / name).write_bytes(b"x")
    gone = prune_other_versions(kept)
    assert sorted(p.name for p in gone) == sorted(names[k] for k in ("older_source",
                                                                    "older_format",
                                                                    "half_written"))
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([kept.name] + [names[k] for k in ("other_variant", "other_model",
                                                           "not_ours", "being_written")])
    assert prune_other_versions(kept) == []  # nothing more to remove
