"""Colours and type sizes: high contrast, large type, targets >= 48 dp (most are 64+)."""

from __future__ import annotations

from kivy.metrics import dp, sp

BG = (0.96, 0.97, 0.98, 1)
CARD = (1, 1, 1, 1)
TEXT = (0.07, 0.09, 0.12, 1)
MUTED = (0.30, 0.34, 0.40, 1)
PRIMARY = (0.04, 0.33, 0.68, 1)
PRIMARY_DARK = (0.02, 0.22, 0.48, 1)
GOOD = (0.13, 0.50, 0.20, 1)
GOOD_LIGHT = (0.78, 0.92, 0.79, 1)
WARN = (0.80, 0.36, 0.0, 1)
DANGER = (0.72, 0.11, 0.11, 1)
DANGER_LIGHT = (1.0, 0.90, 0.90, 1)
NEXT = (0.88, 0.94, 1.0, 1)
GREY = (0.80, 0.82, 0.85, 1)
WHITE = (1, 1, 1, 1)

MIN_TOUCH_DP = 48
_scale = 1.0


def set_scale(scale: float) -> None:
    global _scale
    _scale = scale


def text_scale() -> float:
    """The patient's text-size setting (1.0 normal, 1.2 large, 1.4 largest)."""
    return _scale


def fs(size: float) -> float:
    """A font size in sp, times the patient's text-size setting."""
    return float(sp(size) * _scale)


def touch_h(base: float = 64) -> float:
    return float(dp(max(base, MIN_TOUCH_DP)))


def pain_colour(rating: int) -> tuple[float, float, float, float]:
    """Green (0) through amber to red (10), each dark enough for the white digit on it
    (>= 3.5:1; the amber 5 was 2.9:1, below WCAG's 3:1 for large bold text)."""
    t = rating / 10.0
    if t < 0.5:
        return (0.13 + 1.3 * t, 0.48, 0.2, 1)
    return (0.74, 0.45 - 0.8 * (t - 0.5), 0.08, 1)
