"""Typing on the on-screen keyboard: a message to the therapist or the feedback's own
words. Keys are plain text; the screen draws a key grid and forwards presses here."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.i18n import N_

MESSAGE_MAX = 500  # what a clinic message holds (mqtt/downlink text limit is larger)
BACKSPACE, SPACE, SHIFT = "⌫", "space", "⇧"
ROWS = ("1234567890", "qwertyuiop", "asdfghjklñ", "zxcvbnm,.?")
EXTRA = ("áéíóú", "!'-")  # accents (Spanish) and a few marks, a row of their own
PURPOSES = {"message": N_("New message"),  # the top bar's title: short at 800x480
            "feedback": N_("Your own words")}


@dataclass(slots=True)
class ComposeVM:
    purpose: str  # "message" or "feedback"
    text: str = ""
    shift: bool = True  # capital at the start
    limit: int = MESSAGE_MAX

    def press(self, key: str) -> None:
        if key == BACKSPACE:
            self.text = self.text[:-1]
        elif key == SHIFT:
            self.shift = not self.shift
            return
        elif len(self.text) >= self.limit:
            return
        elif key == SPACE:
            self.text += " "
        elif len(key) == 1:
            self.text += key.upper() if self.shift else key
        else:
            raise ValueError(f"not a key: {key!r}")
        self.shift = self.text == "" or self.text.rstrip().endswith((".", "?", "!"))

    @property
    def ready(self) -> bool:
        return bool(self.text.strip())

    @property
    def left(self) -> int:
        return self.limit - len(self.text)
