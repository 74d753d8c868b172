"""Feedback after a session: how hard it was (five steps, too easy .. too hard), canned
notes, free text typed on the on-screen keyboard, and "Send to my therapist".

The answer is a :class:`therapy.records.Feedback` (rating 1-5, text), stored and queued as
a FHIR QuestionnaireResponse like every feedback record (``FhirEncoder.feedback_item``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kiosk.i18n import N_, _
from therapy.records import Feedback, new_id

# rating 1..5 (therapy.records.Feedback.rating), drawn left to right
EFFORT = (N_("Too easy"), N_("Easy"), N_("Just right"), N_("Hard"), N_("Too hard"))
NOTES = (N_("It hurt"), N_("I felt unsteady"), N_("I felt stiff"), N_("I am tired today"),
         N_("The instructions were unclear"), N_("The sensor kept slipping"))
TEXT_MAX = 500


@dataclass(slots=True)
class FeedbackVM:
    session_id: str | None
    exercise: str
    rating: int | None = None  # 1..5
    notes: list[str] = field(default_factory=list)  # the canned notes chosen (English keys)
    text: str = ""  # typed on the keyboard
    sent: bool = False

    def rate(self, rating: int) -> None:
        if not 1 <= rating <= len(EFFORT):
            raise ValueError(f"rating {rating} is not 1..{len(EFFORT)}")
        self.rating = rating

    def toggle_note(self, note: str) -> None:
        if note not in NOTES:
            raise ValueError(f"unknown note {note!r}")
        if note in self.notes:
            self.notes.remove(note)
        else:
            self.notes.append(note)

    @property
    def can_send(self) -> bool:
        return not self.sent and (self.rating is not None or bool(self.notes)
                                  or bool(self.text.strip()))

    @property
    def question(self) -> str:
        return _("How was {exercise}?").format(exercise=self.exercise)

    def record(self, now: datetime) -> Feedback:
        """The record the therapist reads: notes and text in English, the patient's
        words as typed (the rating travels as its number)."""
        parts = [n + "." for n in self.notes]
        if self.rating is not None:
            parts.insert(0, f"Effort: {EFFORT[self.rating - 1]}.")
        if self.text.strip():
            parts.append(self.text.strip()[:TEXT_MAX])
        return Feedback(new_id(), now, " ".join(parts), self.session_id, self.rating)
