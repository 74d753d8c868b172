"""Server-side SVG charts for the patient page (pure: numbers in, markup out).

ROM per rep against the target over time: one column of dots per session (each rep), a
line through the session means, and the target as a dashed line with a +-10 % band.
Every number is formatted by this module; text is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import NamedTuple

W, H = 640, 220
PAD_L, PAD_R, PAD_T, PAD_B = 40, 10, 10, 28


class Column(NamedTuple):
    label: str  # date under the column (shown for a few columns only)
    values: tuple[float, ...]  # ROM of each rep, degrees


def _finite(vs: Sequence[float]) -> list[float]:
    return [v for v in vs if isinstance(v, (int, float)) and math.isfinite(v)]


MAX_TICKS = 6  # horizontal grid lines with a degree label, zero included


def nice_ticks(high: float, max_ticks: int = MAX_TICKS) -> list[float]:
    """Axis values from 0 up to the first tick at or above ``high``, a step of 1, 2 or 5
    times a power of ten (the smallest such step giving at most ``max_ticks`` values):
    a high of 75 gives 0, 20, 40, 60, 80, not 0, 19, 38, 56, 75."""
    if max_ticks < 2:
        raise ValueError(f"max_ticks must be at least 2, not {max_ticks}")
    if not math.isfinite(high) or high <= 0:
        high = 1.0
    raw = high / (max_ticks - 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power * (max_ticks - 1) >= high - 1e-9)
    count = math.ceil(high / step - 1e-9)
    return [round(i * step, 10) for i in range(count + 1)]


def _tick_label(v: float) -> str:
    return f"{v:.0f}°" if v == int(v) else f"{v:g}°"


def rom_chart(columns: Sequence[Column], target_deg: float | None, title: str) -> str:
    """An SVG of reps' ROM per session, with the target band."""
    all_v = _finite([v for c in columns for v in c.values])
    if target_deg is not None and math.isfinite(target_deg):
        all_v.append(target_deg * 1.1)  # the band's top edge shows too
    ticks = nice_ticks(max(all_v + [10.0]))
    top = ticks[-1]
    n = max(len(columns), 1)
    iw, ih = W - PAD_L - PAD_R, H - PAD_T - PAD_B

    def x(i: int) -> float:
        return PAD_L + (i + 0.5) * iw / n

    def y(v: float) -> float:
        return PAD_T + ih - max(0.0, v) / top * ih

    parts = [f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" '
             f'aria-label="{html.escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{html.escape(title)}</title>"]
    for v in ticks:  # grid with degree labels
        parts.append(f'<line class="grid" x1="{PAD_L}" x2="{W - PAD_R}" y1="{y(v):.1f}" '
                     f'y2="{y(v):.1f}"/><text class="axis" x="{PAD_L - 4}" y="{y(v) + 4:.1f}" '
                     f'text-anchor="end">{_tick_label(v)}</text>')
    if target_deg is not None and math.isfinite(target_deg):
        lo, hi = y(target_deg * 1.1), y(target_deg * 0.9)
        parts.append(f'<rect class="band" x="{PAD_L}" y="{lo:.1f}" width="{iw}" '
                     f'height="{hi - lo:.1f}"/><line class="target" x1="{PAD_L}" '
                     f'x2="{W - PAD_R}" y1="{y(target_deg):.1f}" y2="{y(target_deg):.1f}"/>')
    means = []
    step = max(1, n // 6)
    for i, col in enumerate(columns):
        vals = _finite(col.values)
        for v in vals:
            below = target_deg is not None and v < target_deg * 0.9
            parts.append(f'<circle class="{"rep low" if below else "rep"}" cx="{x(i):.1f}" '
                         f'cy="{y(v):.1f}" r="2.5"/>')
        if vals:
            means.append(f"{x(i):.1f},{y(sum(vals) / len(vals)):.1f}")
        if i % step == 0:
            parts.append(f'<text class="axis" x="{x(i):.1f}" y="{H - 8}" '
                         f'text-anchor="middle">{html.escape(col.label)}</text>')
    if len(means) > 1:
        parts.append(f'<polyline class="mean" points="{" ".join(means)}"/>')
    parts.append("</svg>")
    return "".join(parts)
