"""The live screen's first frames on a camera exercise (offscreen kiosk, 800x480): when the
camera picture joins the row, the gauge moves right; its arc and needle must be drawn inside
its own box at once, not over the picture until the angle first changes (what K2 saw: Gauge
redrew on ``pos`` reading the cached ``center_x`` that had not yet followed). The camera's
skeleton likewise lies inside the picture's box, and (in Spanish, the longer texts) the
reps line beside them wraps without splitting "Serie 1 de 1". Saves kiosk-live-first-frame*.png (looked
at)."""

from __future__ import annotations

import asyncio
import math
import tempfile
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from kivy.graphics import Line  # noqa: I001
from tests.helpers.kiosk_touch import until
from camera_live_set import left_elbow_camera_set, save_screenshot

pytestmark = pytest.mark.timeout(90)


def drawn_bounds(widget: object) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) of every Line on ``widget``'s canvas (and canvas.after):
    arcs by their swept angles (Kivy: 0 = up, clockwise), polylines by their points; each
    widened by half its line width."""
    xs: list[float] = []
    ys: list[float] = []
    for canvas in (widget.canvas, widget.canvas.after):  # type: ignore[attr-defined]
        for i in canvas.children:
            if not isinstance(i, Line):
                continue
            half = i.width / 2
            if i.circle:
                cx, cy, r, a0, a1 = i.circle[:5]
                for k in range(49):
                    a = math.radians(a0 + (a1 - a0) * k / 48)
                    for s in (r - half, r + half):
                        xs.append(cx + s * math.sin(a))
                        ys.append(cy + s * math.cos(a))
            else:
                p = i.points
                xs += [v + d for v in p[0::2] for d in (-half, half)]
                ys += [v + d for v in p[1::2] for d in (-half, half)]
    assert xs, f"nothing drawn on {widget!r}"
    return min(xs), min(ys), max(xs), max(ys)


def inside(bounds: tuple[float, float, float, float], widget: object, slack: float = 1.0) -> bool:
    left, bottom, right, top = bounds
    x, y = widget.pos  # type: ignore[attr-defined]
    w, h = widget.size  # type: ignore[attr-defined]
    return (left >= x - slack and bottom >= y - slack and right <= x + w + slack
            and top <= y + h + slack)


async def test_the_gauge_is_drawn_in_its_own_box_from_the_first_frame(tmp_path: Path) -> None:
    async with left_elbow_camera_set(tmp_path, language="es") as (app, live):  # longer texts
        gauge, camera = live.gauge, live.camera
        # the row laid out: the picture left of the gauge, the gauge filling its box
        await until(lambda: camera.right <= gauge.x and list(gauge.pos) == list(live.gbox.pos)
                    and list(gauge.size) == list(live.gbox.size), 2, "the row's layout")
        await asyncio.sleep(0.1)  # a few frames: what the patient sees ~0.3 s into the set
        assert gauge.value < 5  # still at rest: nothing but the layout has redrawn the gauge
        g = drawn_bounds(gauge)
        assert inside(g, gauge), f"gauge drawn at {g}, its box {gauge.pos} {gauge.size}"
        assert g[0] > camera.right  # not over the picture
        c = drawn_bounds(camera)
        assert inside(c, camera), f"skeleton drawn at {c}, picture {camera.pos} {camera.size}"
        # beside the picture the reps line wraps; "Serie 1 de 1" stays on one line
        live.of.texture_update()
        lines = ["".join(w.text for w in ln.words).strip() for ln in live.of._label._cached_lines]
        # the title bar names the exercise only (the set is on the reps line): whole at
        # 1280x800, where "name · set" was cut short
        await until(lambda: app.bar.title.text == "Flexión de codo", 2,
                    f"the exercise's name as the title, not {app.bar.title.text!r}")
        assert len(lines) == 2 and any(ln.endswith("Serie\u00a01\u00a0de\u00a01")
                                       for ln in lines), lines
        save_screenshot("kiosk-live-first-frame.png")
