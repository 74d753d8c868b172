"""Whether a label's text shows whole: the size the text needs, wrapped at the label's
width in its own font, against the label's box (a label's own texture is cut to its box, so
a fresh Label measures it). Import after Kivy is configured."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp
from kivy.uix.label import Label

BUTTON_MARGIN_DP = 12  # a BigButton wraps its words this much narrower than itself


def wrapped_size(label: Any, text: str | None = None,
                 margin: float = 0.0) -> tuple[float, float]:
    """The (width, height) ``text`` (``label``'s own by default) takes wrapped at
    ``label``'s width less ``margin`` in its font size, weight and font."""
    need = Label(text=label.text if text is None else text, font_size=label.font_size,
                 bold=label.bold, font_name=label.font_name,
                 text_size=(label.width - margin, None))
    need.texture_update()
    tw, th = need.texture_size
    return tw, th


def overflow(label: Any, text: str | None = None) -> str:
    """'' when ``text`` (``label``'s own by default) fits ``label``'s box (1 px slack), else
    what it needs and what it has."""
    tw, th = wrapped_size(label, text)
    if tw <= label.width + 1 and th <= label.height + 1:
        return ""
    return f"needs {tw:.0f}x{th:.0f}, has {label.width:.0f}x{label.height:.0f}"


def button_overflow(button: Any) -> str:
    """'' when a button's words, wrapped as a BigButton wraps them, fit it (1 px slack),
    else what they need and what it has."""
    tw, th = wrapped_size(button, margin=dp(BUTTON_MARGIN_DP))
    if tw <= button.width + 1 and th <= button.height + 1:
        return ""
    return f"needs {tw:.0f}x{th:.0f} in its {button.width:.0f}x{button.height:.0f} button"
