"""The visit screen renders offscreen (real Kivy, Mesa) in its four phases: the consent
question with camera and microphone off, the call with the therapist's (synthetic) video,
the own preview, the cue banner and the red "ON" line, the record question, and "Cannot
connect" with the reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SHOTS = ("kiosk-visit-ringing", "kiosk-visit", "kiosk-visit-record",
         "kiosk-visit-cannot-connect")


@pytest.mark.timeout(120)
def test_visit_screen_phases_render(tmp_path: Path) -> None:
    from PIL import Image

    proc = subprocess.run([sys.executable, "-m", "kiosk.shots_visit", str(tmp_path)],
                          capture_output=True, text=True, timeout=100)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert {p.name for p in tmp_path.glob("*.png")} == {f"{s}.png" for s in SHOTS}
    images = {s: Image.open(tmp_path / f"{s}.png").convert("RGB") for s in SHOTS}
    assert all(im.size == (800, 480) for im in images.values())
    call = images["kiosk-visit"]
    # the remote video: the synthetic camera's bright block and ramps fill the middle
    middle = call.crop((200, 150, 600, 380))
    colours = middle.getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 500
    assert max(sum(p) for p in middle.get_flattened_data()) >= 3 * 250  # the white block
    # the red "Camera and microphone ON" box at the top right, grey while ringing
    r, g, b = call.getpixel((780, 12))
    assert r > 150 and g < 60 and b < 60
    r, g, b = images["kiosk-visit-ringing"].getpixel((780, 12))
    assert abs(r - g) < 30 and abs(g - b) < 40
    # the yellow cue banner
    r, g, b = call.getpixel((120, 80))
    assert r > 230 and g > 190 and b < 100
