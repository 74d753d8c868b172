"""``rehab demo EXERCISE --out DIR``: render an exercise's demonstration figure to PNGs.

A developer's command: the frames of one rep (``frame_000.png`` ...) and ``sheet.png``
(a few frames side by side) so the animation the kiosk plays can be looked at. The
figure comes from :mod:`sensors.sim.figure` (the simulator's kinematics); drawing is PIL.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rehab.cli import UsageError

MAX_SIZE_PX = 2000
SUPERSAMPLE = 2  # draw at twice the size, then scale down: smooth edges
BACKGROUND = (245, 247, 250)  # the kiosk's background (kiosk.ui.theme.BG)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="render an exercise's animated demonstration to PNGs",
                       description=__doc__)
    p.add_argument("exercise", nargs="?", metavar="EXERCISE",
                   help="catalogue exercise id (`rehab sim --list`)")
    p.add_argument("--out", type=Path, metavar="DIR", help="folder for the PNG files")
    p.add_argument("--fps", type=float, default=10.0, help="frames per second (default 10)")
    p.add_argument("--size", type=int, default=480, help="square frame size in px (default 480)")
    p.add_argument("--all", action="store_true",
                   help="every catalogue exercise, one sub-folder each")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from therapy.catalogue import CATALOGUE

    if args.out is None:
        raise UsageError("--out DIR is required")
    if not (args.all or args.exercise):
        raise UsageError("name an EXERCISE (rehab sim --list) or pass --all")
    if args.exercise and args.exercise not in CATALOGUE:
        raise UsageError(f"unknown exercise {args.exercise!r}; `rehab sim --list` lists them")
    if not 1.0 <= args.fps <= 60.0:
        raise UsageError(f"--fps must be 1..60, got {args.fps:g}")
    if not 64 <= args.size <= MAX_SIZE_PX:
        raise UsageError(f"--size must be 64..{MAX_SIZE_PX}, got {args.size}")
    ids = sorted(CATALOGUE) if args.all else [args.exercise]
    for ex_id in ids:
        folder = args.out / ex_id if args.all else args.out
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create {folder}: {exc.strerror}") from exc
        n = render(ex_id, folder, args.fps, args.size)
        print(f"{ex_id}: {n} frames in {folder}")
    return 0


def render(exercise_id: str, folder: Path, fps: float, size: int) -> int:
    """Write every frame and the contact sheet; returns the number of frames."""
    from PIL import Image

    from sensors.sim.figure import demo

    d = demo(exercise_id, fps)
    images = [draw_frame(f, d.bounds, size) for f in d.frames]
    for i, im in enumerate(images):
        im.save(folder / f"frame_{i:03d}.png")
    # the sheet: rest, two points on the way up, the top and the end of the rep
    top = int(d.angles_deg.argmax())
    picks = sorted({0, top // 3, 2 * top // 3, top, len(images) - 1})
    sheet = Image.new("RGB", (size * len(picks), size), "white")
    for k, i in enumerate(picks):
        sheet.paste(images[i], (k * size, 0))
    sheet.save(folder / "sheet.png")
    return len(images)


def draw_frame(shapes: list, bounds: tuple[float, float, float, float], size: int):
    """One frame as a PIL image (shapes in metres, y up; fitted into ``bounds``)."""
    from PIL import Image, ImageDraw

    from sensors.sim.figure import OUTLINE_M, TONE_RGB

    big = size * SUPERSAMPLE
    margin = 0.06 * big
    x0, y0, x1, y1 = bounds
    scale = min((big - 2 * margin) / (x1 - x0), (big - 2 * margin) / (y1 - y0))
    ox = (big - scale * (x1 - x0)) / 2.0
    oy = (big - scale * (y1 - y0)) / 2.0

    def px(p) -> tuple[float, float]:
        return (ox + (float(p[0]) - x0) * scale, big - oy - (float(p[1]) - y0) * scale)

    im = Image.new("RGB", (big, big), BACKGROUND)
    g = ImageDraw.Draw(im)
    ring = OUTLINE_M * scale
    for s in shapes:
        colour = tuple(int(255 * c) for c in TONE_RGB[s.tone])
        for pad, fill in ((ring, BACKGROUND), (0.0, colour)) if s.outline else ((0.0, colour),):
            _draw(g, s, px, s.radius_m * scale + pad, fill, pad)
    return im.resize((size, size), Image.LANCZOS)


def _draw(g, s, px, r: float, fill: tuple, pad: float) -> None:
    if s.kind == "polygon":
        if len(s.points) >= 3:
            g.polygon([px(p) for p in s.points], fill=fill,
                      outline=fill if pad else None, width=max(1, int(2 * pad)))
        return
    centres = [px(p) for p in s.points]
    if s.kind == "capsule":
        g.line(centres, fill=fill, width=max(1, int(round(2 * r))))
    for cx, cy in centres:
        g.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
