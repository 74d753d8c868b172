"""``rehab kiosk --screenshots DIR`` renders every screen at 800x480 and 1280x800 (live
screens mid-set on simulated wearables) to non-blank PNGs of the right size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCREENS = ("01_lock", "02_lock_pin", "03_intake_first_run", "04_checkin_red_flag", "05_today",
           "06_pain_before", "07_instruction", "08_live_set", "09_live_paused",
           "10_rest_between_sets", "11_pain_after_flagged", "12_pain_after", "13_summary",
           "14_progress", "15_messages", "16_settings", "17_pairing", "18_camera_setup",
           "19_choose_pin", "20_settings_code", "21_change_pin", "22_closed", "23_feedback",
           "24_feedback_keyboard", "25_sensor_lost", "26_reminders", "27_camera_live",
           "28_plan_ended", "29_message_keyboard", "30_camera_setup_dark", "31_installer_settings",
           "32_camera_unseen")
SIZES = ((800, 480), (1280, 800))


@pytest.mark.timeout(240)
def test_kiosk_screenshots_every_screen_both_sizes(tmp_path: Path) -> None:
    from PIL import Image

    out = tmp_path / "shots"
    # the simulated wearables at 16x (the command's default is 4x): the walk waits for the
    # first set's ten reps to end before the rest screen, the longest wait of the run
    proc = subprocess.run([sys.executable, "-m", "rehab.cli", "kiosk", "--screenshots",
                           str(out), "--sim-speed", "16"], capture_output=True,
                          text=True, timeout=220)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = {f"{s}_{w}x{h}.png" for s in SCREENS for w, h in SIZES}
    assert {p.name for p in out.iterdir()} == expected
    for w, h in SIZES:
        for s in SCREENS:
            with Image.open(out / f"{s}_{w}x{h}.png") as im:
                assert im.size == (w, h), s
                rgb = im.convert("RGB")
                colours = rgb.getcolors(maxcolors=1 << 16)
                n_colours = len(colours) if colours is not None else 1 << 16
                assert n_colours > 20, f"{s} at {w}x{h} looks blank ({n_colours} colours)"
                lo, hi = rgb.convert("L").getextrema()
                assert hi - lo > 150, f"{s} at {w}x{h} has no contrast"
    printed = [line for line in proc.stdout.splitlines() if line.endswith(".png")]
    assert len(printed) == len(expected)
    # the closed screen's damaged kiosk.json is staged: a success reports no damage
    assert "is damaged" not in proc.stderr, proc.stderr[-2000:]


def test_the_text_sizes_by_name_are_the_settings_text_sizes() -> None:
    from kiosk.settings import TEXT_SCALES
    from rehab.commands.kiosk import TEXT_SIZES

    assert tuple(TEXT_SIZES.values()) == TEXT_SCALES


def test_an_unknown_text_size_is_refused_in_one_line(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "rehab.cli", "kiosk", "--screenshots",
                           str(tmp_path), "--text-size", "huge"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "--text-size" in proc.stderr and "huge" in proc.stderr
    assert not any(tmp_path.iterdir())


def test_the_text_size_reaches_each_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--text-size extra-large`` starts each size's walk at Settings' 1.4 (the walk itself,
    at every text size, is what the fit tests render screen by screen)."""
    import subprocess as sp

    from rehab.cli import main

    started: list[list[str]] = []

    class Walk:
        returncode = 0

        def __init__(self, argv: list[str], **_: object) -> None:
            started.append(argv)

        def communicate(self, timeout: float) -> tuple[str, str]:
            return "", ""

    monkeypatch.setattr(sp, "Popen", Walk)
    assert main(["kiosk", "--screenshots", str(tmp_path), "--text-size", "extra-large",
                 "--lang", "es"]) == 0
    # python -m kiosk.shots_main OUT WxH SPEED LANG TEXT_SCALE, one per window size
    assert [a[-3:] for a in started] == [["4.0", "es", "1.4"]] * 2
    assert sorted(a[-4] for a in started) == ["1280x800", "800x480"]
