"""Pain rating 0-10 before and after a session, and when to advise stopping."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kiosk.i18n import N_, _

HIGH_PAIN = 8  # a rating of 8 or more: stop and contact the therapist
SHARP_RISE = 3  # after - before >= 3: the session hurt
# stored in English with the report (the clinic reads them); shown with _()
QUICK_NOTES = (N_("Felt fine"), N_("Stiff"), N_("Tired"), N_("Hard today"), N_("Sharp pain"))

ADVICE = N_("Please stop exercising for today and contact your therapist. "
            "If the pain is severe or you feel unwell, call your clinic or a doctor.")


class PainStage(StrEnum):
    BEFORE = "before"
    AFTER = "after"


@dataclass(slots=True)
class PainVM:
    stage: PainStage
    before: int | None = None
    rating: int | None = None
    notes: tuple[str, ...] = ()
    problem: str = ""  # set when the answer could not be saved (storage problem)

    @property
    def question(self) -> str:
        """The screen's headline: the question, or what went wrong saving the answer."""
        if self.problem:
            return _(self.problem)
        if self.stage == PainStage.BEFORE:
            return _("How much pain do you feel right now?")
        return _("How much pain do you feel after the exercise?")

    def choose(self, rating: int) -> None:
        if not 0 <= rating <= 10:
            raise ValueError(f"pain rating must be 0..10, got {rating}")
        self.rating = rating

    def toggle_note(self, note: str) -> None:
        self.notes = tuple(n for n in self.notes if n != note) if note in self.notes \
            else self.notes + (note,)

    @property
    def flagged(self) -> bool:
        if self.rating is None:
            return False
        rise = self.before is not None and self.rating - self.before >= SHARP_RISE
        return self.rating >= HIGH_PAIN or rise

    @property
    def advice(self) -> str:
        return _(ADVICE) if self.flagged else ""

    @property
    def note_text(self) -> str:
        """The note stored with the report; a flagged report says so, for the clinic."""
        text = ", ".join(self.notes)
        if self.flagged:
            why = (f"pain {self.rating}/10" if self.rating is not None and
                   self.rating >= HIGH_PAIN else f"pain rose {self.before}->{self.rating}")
            text = f"[FLAG: {why}; advised to stop and contact therapist] {text}".strip()
        return text
