"""First-run intake and the daily safety check-in: goals, current condition and a
red-flag screen. A red flag stops exercise and tells the patient to contact the clinic.
Answers go to the clinic as a FHIR QuestionnaireResponse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kiosk.i18n import N_
from therapy.records import QuestionnaireAnswers, new_id

INTAKE_ID = "urn:rehab-kiosk:questionnaire:intake"
CHECKIN_ID = "urn:rehab-kiosk:questionnaire:daily-checkin"

# stored in English (the clinic reads them); shown with kiosk.i18n._
GOALS = (N_("Walk further"), N_("Climb stairs"), N_("Less pain"), N_("Back to sport"),
         N_("Daily tasks"))
CONDITION = (N_("Better than last week"), N_("About the same"), N_("Worse than last week"))
RED_FLAGS: tuple[tuple[str, str], ...] = (
    ("numbness", N_("New numbness, tingling or weakness?")),
    ("fever", N_("Fever, or feeling generally unwell?")),
    ("fall", N_("A fall since your last exercises?")),
    ("swelling", N_("Unexplained swelling, redness or heat?")),
    ("night_pain", N_("Severe pain at night or at rest?")),
)
RED_FLAG_ADVICE = N_("Please do not exercise today. Contact your clinic: this needs to be "
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
