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
    """(text, language) to read for ``ex``: its name, then its instructions, as the screen
    shows them. Catalogue texts have a translation (``exercises`` marks them, the kiosk's
    catalogue holds them) and are read in the kiosk's language by that language's voice; a
    plan's own instructions (free text from the clinic) are read as sent, in English,
    rather than mispronounced by another language's voice."""
    name, how = _(ex.name), _(ex.instructions)
    if language() != DEFAULT_LANGUAGE and how == ex.instructions:
        return f"{ex.name}. {ex.instructions}", DEFAULT_LANGUAGE
    return f"{name}. {how}", language()


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
