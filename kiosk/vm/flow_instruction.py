"""The instruction screen's actions, as part of :class:`kiosk.vm.flow.KioskFlow`: read the
exercise aloud (``kiosk.adapters.speech.Speaker``, the model's ``speaker``: espeak-ng on the
kiosk, a fake in tests) and stop reading when the screen is left.

A mixin: :class:`KioskFlow` holds the state; these methods only use its model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.i18n import DEFAULT_LANGUAGE, _, language

if TYPE_CHECKING:
    from kiosk.model import KioskModel
    from therapy.plan import PlanExercise


def spoken_instruction(ex: PlanExercise) -> tuple[str, str]:
    """(text, language) to read for ``ex``: the catalogue's spoken text (name, then the
    instructions) unless the plan gives its own instructions, then the plan's, as the
    screen shows them. Spoken in the kiosk's language when the text has a translation;
    instructions are English today (kiosk/locale/README.md), so they are read in English
    rather than mispronounced by another language's voice."""
    from exercises import get_exercise

    try:
        cat = get_exercise(ex.exercise_id)
    except KeyError:
        cat = None
    raw = cat.spoken_text() if cat is not None and cat.instructions == ex.instructions \
        else f"{ex.name}. {ex.instructions}"
    text = _(raw)
    return text, language() if text != raw else DEFAULT_LANGUAGE


class InstructionActions:
    model: KioskModel

    def read_aloud(self) -> bool:
        """Read aloud: the running exercise's instruction; False if it cannot be spoken
        (no synthesiser: logged and counted by the speaker, the screen goes on)."""
        run = self.model.run
        if run is None:
            return False
        text, lang = spoken_instruction(run.ex)
        return self.model.speaker.say(text, lang)

    def stop_reading(self) -> None:
        """The instruction screen was left: stop talking over the set's cues."""
        self.model.speaker.stop()
