"""What the kiosk tests share when they drive the flow: a wait that ticks the flow's frame
clock as the app would, audio cues that stay silent (no espeak-ng, no aplay), and typing
the PIN or the installer code on the flow's keypad. Kivy-free."""

from __future__ import annotations

from tests.helpers.waiting import until as until  # the kiosk tests import it from here

from kiosk.adapters.audio import AudioCues
from kiosk.vm.flow import KioskFlow

# the test kiosk's PIN and installer code (the same as tests.helpers.kiosk_touch's, which
# imports Kivy)
PIN, CODE = "2580", "246813"


def silent_audio() -> AudioCues:
    """Cues enabled (the flow calls them as on a kiosk) with nothing to play them."""
    audio = AudioCues(enabled=True)
    audio.espeak = audio.aplay = None
    return audio


def enter(flow: KioskFlow, digits: str) -> None:
    """Type ``digits`` on the keypad and press OK."""
    for d in digits:
        flow.key(d)
    flow.submit_entry()


def unlock(flow: KioskFlow, pin: str = PIN) -> None:
    """Show the lock screen and type ``pin``: past the PIN pad (its own tests type it)."""
    flow.go("lock")
    enter(flow, pin)
