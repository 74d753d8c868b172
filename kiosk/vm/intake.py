"""First-run intake and the daily safety check-in: goals, current condition and a
red-flag screen. A red flag stops exercise and tells the patient to contact the clinic.
Answers go to the clinic as a FHIR QuestionnaireResponse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from therapy.records import QuestionnaireAnswers, new_id

INTAKE_ID = "urn:rehab-kiosk:questionnaire:intake"
CHECKIN_ID = "urn:rehab-kiosk:questionnaire:daily-checkin"

GOALS = ("Walk further", "Climb stairs", "Less pain", "Back to sport", "Daily tasks")
CONDITION = ("Better than last week", "About the same", "Worse than last week")
RED_FLAGS: tuple[tuple[str, str], ...] = (
    ("numbness", "New numbness, tingling or weakness?"),
    ("fever", "Fever, or feeling generally unwell?"),
    ("fall", "A fall since your last exercises?"),
    ("swelling", "Unexplained swelling, redness or heat?"),
    ("night_pain", "Severe pain at night or at rest?"),
)
RED_FLAG_ADVICE = ("Please do not exercise today. Contact your clinic: this needs to be "
                   "checked in person. If it is an emergency, call 112 / 999 / 911.")


@dataclass(slots=True)
class IntakeVM:
    first_run: bool  # full intake (goals, condition) or the short daily check-in
    goals: set[str] = field(default_factory=set)
    condition: str = ""
    flags: dict[str, bool | None] = field(
        default_factory=lambda: {k: None for k, _ in RED_FLAGS})

    @property
    def questionnaire(self) -> str:
        return INTAKE_ID if self.first_run else CHECKIN_ID

    def toggle_goal(self, goal: str) -> None:
        self.goals ^= {goal}

    def answer(self, key: str, yes: bool) -> None:
        if key not in self.flags:
            raise KeyError(key)
        self.flags[key] = yes

    @property
    def complete(self) -> bool:
        return all(v is not None for v in self.flags.values()) and \
            (not self.first_run or bool(self.condition))

    @property
    def red_flag(self) -> bool:
        return any(self.flags.values())

    def answers(self, now: datetime) -> QuestionnaireAnswers:
        out: list[tuple[str, str | int | float | bool]] = []
        if self.first_run:
            out += [("goals", ", ".join(sorted(self.goals))), ("condition", self.condition)]
        out += [(f"redflag.{k}", bool(v)) for k, v in self.flags.items()]
        out.append(("red_flag", self.red_flag))
        return QuestionnaireAnswers(new_id(), self.questionnaire, now, tuple(out))
