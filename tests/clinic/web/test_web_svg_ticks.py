"""The patient page's ROM chart labels its axis with "nice" values (1, 2 or 5 times a power
of ten), covering every rep and the target band, not 0°, 19°, 38°, 56°, 75°."""

from __future__ import annotations

import math
import re

import pytest

from clinic.web.svg import MAX_TICKS, Column, nice_ticks, rom_chart


@pytest.mark.parametrize(("high", "ticks"), [
    (75.0, [0, 20, 40, 60, 80]),
    (68.2, [0, 20, 40, 60, 80]),
    (100.0, [0, 20, 40, 60, 80, 100]),
    (101.0, [0, 50, 100, 150]),
    (165.0, [0, 50, 100, 150, 200]),
    (10.0, [0, 2, 4, 6, 8, 10]),
    (11.0, [0, 5, 10, 15]),
    (0.3, [0, 0.1, 0.2, 0.3]),
])
def test_nice_ticks(high: float, ticks: list[float]) -> None:
    assert nice_ticks(high) == pytest.approx(ticks)


@pytest.mark.parametrize("high", [0.7, 3.0, 9.9, 17.0, 33.3, 47.0, 88.0, 120.0, 181.0, 359.0])
def test_nice_ticks_cover_with_a_1_2_5_step(high: float) -> None:
    ticks = nice_ticks(high)
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert ticks[0] == 0 and ticks[-1] >= high and ticks[-2] < high
    assert 2 <= len(ticks) <= MAX_TICKS
    assert round(mantissa, 6) in (1.0, 2.0, 5.0)
    assert all(b - a == pytest.approx(step) for a, b in zip(ticks, ticks[1:]))


@pytest.mark.parametrize("high", [0.0, -5.0, math.nan, math.inf])
def test_nice_ticks_of_nothing_is_a_small_axis(high: float) -> None:
    assert nice_ticks(high) == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])


def test_nice_ticks_needs_two() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        nice_ticks(50.0, max_ticks=1)


def test_chart_axis_labels_are_nice_and_cover_the_band() -> None:
    cols = [Column("3 Nov", (61.0, 66.5, 68.2)), Column("4 Nov", (70.0, 72.0))]
    svg = rom_chart(cols, target_deg=75.0, title="Knee <ROM>")  # band up to 82.5
    labels = re.findall(r'text-anchor="end">([^<]*)</text>', svg)
    assert labels == ["0°", "20°", "40°", "60°", "80°", "100°"]
    assert "Knee &lt;ROM&gt;" in svg
    assert svg.count('class="rep"') + svg.count('class="rep low"') == 5
