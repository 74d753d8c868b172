"""Instructions spoken on request: one utterance at a time through an injected backend.

:class:`Speaker` is what the kiosk holds (``speaker.say(text, lang)``, with the
instruction in the kiosk's language and that language's voice from
``kiosk.vm.flow_instruction.spoken_instruction``):
it checks the language tag, cuts the text to ``MAX_CHARS``, stops what is still being said
and starts the new utterance; it never blocks the UI thread and never raises for a missing
or failing synthesiser: it logs one clear error saying what to install and counts it.
Backends: :class:`EspeakBackend` (espeak-ng as a subprocess; ``make run`` installs it via
scripts/system-deps.d/run) and :class:`FakeSpeech` for tests.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path
from typing import Protocol

from kiosk.errors import KioskError

log = logging.getLogger(__name__)

MAX_CHARS = 2000  # a plan's instruction text is at most 2000 characters (therapy.plan)
WAV_TIMEOUT_S = 30.0
LANG_RE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")  # espeak-ng voice names: en, es, en-gb
INSTALL_HINT = "install it with `sudo apt-get install espeak-ng` (`make run` does)"


class SpeechError(KioskError):
    """Speech cannot be produced (synthesiser missing or failing, bad language)."""


class SpeechUnavailable(SpeechError):
    """No synthesiser on this device."""


class SpeechBackend(Protocol):
    """Starts an utterance and returns at once; one at a time."""

    def start(self, text: str, lang: str) -> None: ...

    def stop(self) -> None: ...

    def busy(self) -> bool: ...


class EspeakBackend:
    """espeak-ng in a subprocess: the text goes on its stdin (never parsed as options)."""

    def __init__(self, exe: str | None = None, *, words_per_min: int = 140,
                 amplitude: int = 120) -> None:
        self.exe = exe if exe is not None else shutil.which("espeak-ng")
        self.words_per_min = words_per_min
        self.amplitude = amplitude
        self._proc: subprocess.Popen[bytes] | None = None

    def _argv(self, lang: str, *extra: str) -> list[str]:
        if self.exe is None:
            raise SpeechUnavailable(f"espeak-ng is not installed: {INSTALL_HINT}")
        return [self.exe, "-v", lang, "-s", str(self.words_per_min), "-a",
                str(self.amplitude), *extra, "--stdin"]

    def start(self, text: str, lang: str) -> None:
        self._reap()
        argv = self._argv(lang)
        try:
            self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as exc:
            raise SpeechUnavailable(f"cannot run {self.exe}: {exc.strerror}; "
                                    f"{INSTALL_HINT}") from exc
        assert self._proc.stdin is not None
        try:  # well under a pipe's buffer (MAX_CHARS): does not block
            self._proc.stdin.write(text.encode("utf-8"))
            self._proc.stdin.close()
        except BrokenPipeError:
            pass  # it died at once: _reap() reports why

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(timeout=5)
        self._reap()

    def busy(self) -> bool:
        if self._proc is not None and self._proc.poll() is None:
            return True
        self._reap()
        return False

    def _reap(self) -> None:
        """Close the finished process; a failure (unknown voice...) raises its message."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is None:
            self._proc = proc
            return
        err = proc.stderr.read().decode("utf-8", "replace").strip() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        if proc.returncode not in (0, -15):  # -15: we stopped it
            raise SpeechError(f"espeak-ng failed ({proc.returncode}): {err[:200]}")

    def to_wav(self, text: str, lang: str, path: Path) -> None:
        """Synthesise ``text`` into a WAV file and wait for it (tests, the clinic's demo)."""
        try:
            done = subprocess.run(self._argv(lang, "-w", str(path)), input=text.encode(),
                                  capture_output=True, timeout=WAV_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SpeechError(f"espeak-ng could not write {path}: {exc}") from exc
        if done.returncode != 0:
            raise SpeechError(f"espeak-ng failed ({done.returncode}): "
                              f"{done.stderr.decode('utf-8', 'replace').strip()[:200]}")


class FakeSpeech:
    """Records what would be said; ``busy`` until :meth:`finish` (or a new start)."""

    def __init__(self, *, available: bool = True) -> None:
        self.available = available
        self.said: list[tuple[str, str]] = []
        self.stopped = 0
        self.speaking = False

    def start(self, text: str, lang: str) -> None:
        if not self.available:
            raise SpeechUnavailable(f"espeak-ng is not installed: {INSTALL_HINT}")
        self.said.append((text, lang))
        self.speaking = True

    def stop(self) -> None:
        if self.speaking:
            self.stopped += 1
        self.speaking = False

    def busy(self) -> bool:
        return self.speaking

    def finish(self) -> None:
        self.speaking = False


class Speaker:
    """Speaks on request, one utterance at a time (a new one replaces what is playing).

    ``errors_`` counts utterances that could not be spoken; the first of each kind of
    failure is logged as an error naming the fix, later ones at debug level.
    """

    def __init__(self, backend: SpeechBackend, lang: str = "en") -> None:
        self.backend = backend
        self.lang = check_lang(lang)
        self.errors_ = 0
        self._logged: set[str] = set()

    def say(self, text: str, lang: str | None = None) -> bool:
        """Start saying ``text`` (in ``lang``, default the speaker's); False if it cannot."""
        text = " ".join(text.split())[:MAX_CHARS]
        if not text:
            return False
        try:
            use = check_lang(lang) if lang is not None else self.lang
            if self.backend.busy():
                self.backend.stop()
            self.backend.start(text, use)
        except SpeechError as exc:
            self.errors_ += 1
            kind = type(exc).__name__ + str(exc)[:40]
            level = logging.DEBUG if kind in self._logged else logging.ERROR
            self._logged.add(kind)
            log.log(level, "spoken instructions unavailable: %s", exc)
            return False
        return True

    def stop(self) -> None:
        try:
            self.backend.stop()
        except SpeechError as exc:
            log.debug("speech stopped with: %s", exc)

    @property
    def speaking(self) -> bool:
        try:
            return self.backend.busy()
        except SpeechError as exc:
            self.errors_ += 1
            log.error("spoken instructions failed: %s", exc)
            return False


def check_lang(lang: str) -> str:
    """A language tag espeak-ng can take ("en", "es", "en-gb"); SpeechError otherwise."""
    tag = lang.strip().lower().replace("_", "-")
    if not LANG_RE.fullmatch(tag):
        raise SpeechError(f"language must look like 'en', 'es' or 'en-gb', got {lang!r:.20}")
    return tag
