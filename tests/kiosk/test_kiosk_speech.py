"""Spoken instructions: the real espeak-ng makes audio (English and Spanish), one utterance
at a time, and a missing or failing synthesiser is a logged, counted error, never a crash."""

from __future__ import annotations

import logging
import shutil
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from exercises import get_exercise
from kiosk.adapters import speech
from kiosk.adapters.speech import (
    MAX_CHARS,
    EspeakBackend,
    FakeSpeech,
    Speaker,
    SpeechError,
    check_lang,
)


@pytest.fixture(scope="module")
def espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.fail("espeak-ng is not installed: sudo apt-get install espeak-ng "
                    "(or `scripts/system-deps.sh run`)")
    return exe


def wav_samples(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), "<i2"), w.getframerate()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_real_espeak_speaks_an_exercise_instruction_as_audio(espeak, lang, tmp_path) -> None:
    text = get_exercise("sit_to_stand").spoken_text()
    if lang == "es":
        text = "Siéntese en una silla firme. Levántese despacio."
    EspeakBackend(espeak).to_wav(text, lang, tmp_path / "out.wav")
    samples, rate = wav_samples(tmp_path / "out.wav")
    assert len(samples) / rate > 1.5  # seconds of speech, not a click
    assert np.abs(samples).max() > 3000 and np.abs(samples.astype(float)).mean() > 100


def test_text_that_looks_like_an_option_is_spoken_not_obeyed(espeak, tmp_path) -> None:
    """The text goes on stdin: "--help" as an argument would print help, no audio."""
    EspeakBackend(espeak).to_wav("--help", "en", tmp_path / "h.wav")
    samples, _ = wav_samples(tmp_path / "h.wav")
    assert np.abs(samples).max() > 1000


def test_an_unknown_voice_is_a_clear_error(espeak, tmp_path) -> None:
    with pytest.raises(SpeechError, match="voice does not exist"):
        EspeakBackend(espeak).to_wav("hello", "xx", tmp_path / "x.wav")


def test_the_real_backend_reports_a_failed_utterance_after_the_fact(espeak, caplog) -> None:
    speaker = Speaker(EspeakBackend(espeak))
    assert speaker.say("hello", "xx")  # started: it does not wait for espeak-ng
    deadline = time.monotonic() + 10.0
    with caplog.at_level(logging.ERROR, logger=speech.__name__):
        while speaker.speaking and time.monotonic() < deadline:
            time.sleep(0.02)
    assert speaker.errors_ == 1
    assert "voice does not exist" in caplog.text


def test_a_new_request_stops_the_one_still_playing() -> None:
    fake = FakeSpeech()
    s = Speaker(fake, "es")
    assert s.say("Uno.") and s.say("Dos.", "en")
    assert fake.said == [("Uno.", "es"), ("Dos.", "en")] and fake.stopped == 1
    fake.finish()
    assert s.say("  Tres\n  cuatro. ") and fake.stopped == 1  # nothing was playing
    assert fake.said[-1] == ("Tres cuatro.", "es")
    assert s.say("x" * (MAX_CHARS + 50)) and len(fake.said[-1][0]) == MAX_CHARS
    assert not s.say("   ")


def test_missing_espeak_is_logged_once_with_the_fix_and_counted(monkeypatch, caplog) -> None:
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    s = Speaker(EspeakBackend())
    with caplog.at_level(logging.DEBUG, logger=speech.__name__):
        assert not s.say("Sit tall.")
        assert not s.say("Sit tall.")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "apt-get install espeak-ng" in errors[0].getMessage()
    assert s.errors_ == 2
    s2 = Speaker(EspeakBackend("/nonexistent/espeak-ng"))
    assert not s2.say("Sit tall.") and s2.errors_ == 1


def test_language_tags_are_checked() -> None:
    assert check_lang("EN_gb") == "en-gb" and check_lang("es") == "es"
    fake = FakeSpeech()
    s = Speaker(fake)
    assert not s.say("hi", "en; rm -rf /") and fake.said == [] and s.errors_ == 1
    with pytest.raises(SpeechError, match="language must look like"):
        Speaker(fake, "-v")


def test_make_run_installs_espeak_ng() -> None:
    """`make run` installs the Debian packages in scripts/system-deps.d/run (and re-runs
    when that list changes); espeak-ng was missing, so a kiosk spoke nothing."""
    root = Path(__file__).resolve().parents[2]
    run = (root / "scripts" / "system-deps.d" / "run").read_text()
    assert 'need_run+=("espeak-ng:espeak-ng")' in run
    stamp_rule = next(line for line in (root / "Makefile").read_text().splitlines()
                      if line.startswith("$(STAMP):"))
    assert "scripts/system-deps.d/run" in stamp_rule
