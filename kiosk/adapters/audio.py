"""Audio cues: spoken with espeak-ng where installed, otherwise a beep through aplay (or
the terminal bell). Never blocks: each cue is a subprocess on the asyncio loop; a new
cue replaces one still playing."""

from __future__ import annotations

import asyncio
import io
import logging
import math
import shutil
import struct
import wave

log = logging.getLogger(__name__)


def beep_wav(freq_hz: float = 880.0, dur_s: float = 0.18, volume: float = 0.8,
             rate: int = 16000) -> bytes:
    n = int(rate * dur_s)
    amp = int(32000 * max(0.0, min(volume, 1.0)))
    frames = b"".join(struct.pack("<h", int(amp * math.sin(2 * math.pi * freq_hz * i / rate)
                                             * min(1.0, i / 200, (n - i) / 200)))
                      for i in range(n))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return buf.getvalue()


class AudioCues:
    def __init__(self, enabled: bool = True, volume: float = 0.8, lang: str = "en") -> None:
        self.enabled, self.volume = enabled, volume
        self.lang = lang  # espeak-ng voice: the kiosk's language (kiosk.i18n)
        self.espeak = shutil.which("espeak-ng")
        self.aplay = shutil.which("aplay")
        self._proc: asyncio.subprocess.Process | None = None
        self.spoken: list[str] = []  # what was cued (tests and the log read it)

    def configure(self, enabled: bool, volume: float) -> None:
        self.enabled, self.volume = enabled, volume

    def set_language(self, lang: str) -> None:
        """Speak cues in ``lang`` ("en", "es") from now on."""
        self.lang = lang

    def argv(self, text: str) -> list[str]:
        """espeak-ng's command line: the language's voice; the text after ``--`` so a
        cue is never read as an option."""
        assert self.espeak is not None
        return [self.espeak, "-v", self.lang, "-a", str(int(self.volume * 150)), "-s", "150",
                "--", text]

    @property
    def mode(self) -> str:
        return "speech" if self.espeak else "beep" if self.aplay else "silent"

    def say(self, text: str) -> None:
        if not self.enabled or not text:
            return
        self.spoken.append(text)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        asyncio.ensure_future(self._play(text))

    def chime(self) -> None:
        if not self.enabled:
            return
        self.spoken.append("<chime>")
        try:  # like say(): no running loop (a test, a terminal) plays nothing
            asyncio.get_running_loop()
        except RuntimeError:
            return
        asyncio.ensure_future(self._play(None))

    async def _play(self, text: str | None) -> None:
        if self._proc is not None and self._proc.returncode is None:
            self._proc.terminate()
        try:
            if text is not None and self.espeak:
                self._proc = await asyncio.create_subprocess_exec(
                    *self.argv(text),
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            elif self.aplay:
                self._proc = await asyncio.create_subprocess_exec(
                    self.aplay, "-q", "-", stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
                assert self._proc.stdin is not None
                self._proc.stdin.write(beep_wav(1320.0 if text is None else 880.0,
                                                volume=self.volume))
                self._proc.stdin.close()
            else:
                return
            await self._proc.wait()
        except OSError as exc:
            log.info("audio cue failed: %s", exc)
