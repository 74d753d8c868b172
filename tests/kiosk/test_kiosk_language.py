"""Languages (issue 15): every marked patient string has a Spanish translation in the
shipped catalogue (extracted from the code with Babel and compared), the compiled .mo
agrees with the .po, screens mark their texts, a Spanish kiosk speaks and writes Spanish
(dates and numbers too), the Settings choice persists, and `--lang` refuses what it lacks."""

from __future__ import annotations

import ast
import asyncio
import gettext
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from day_plan import PLAN
from flow_helpers import unlock
from test_kiosk_flow import kiosk

from kiosk import i18n
from kiosk.settings import load_settings
from therapy.plan import parse_plan

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "kiosk" / "locale"
PO = LOCALE / "es" / "LC_MESSAGES" / "kiosk.po"
MO = LOCALE / "es" / "LC_MESSAGES" / "kiosk.mo"


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


def _extracted() -> set[str]:
    """The msgids Babel extracts from the kiosk's code, as `pybabel extract` would."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(LOCALE / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    out = set()
    for _file, _line, msg, _comments, _ctx in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        out.add(msg[0] if isinstance(msg, tuple) else msg)
    return out


def test_every_patient_string_is_in_the_spanish_catalogue() -> None:
    from babel.messages.pofile import read_po

    code = _extracted()
    assert len(code) > 200  # the extraction found the kiosk's strings
    with open(PO, "rb") as f:
        po = read_po(f)
    translated = {m.id[0] if isinstance(m.id, tuple) else m.id: m for m in po if m.id}
    missing = sorted(s for s in code if s not in translated)
    assert missing == [], f"not in {PO.name}: run the steps in kiosk/locale/README.md"
    empty = sorted(k for k, m in translated.items() if k in code and (
        m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string])))
    assert empty == [], "untranslated or fuzzy in the Spanish catalogue"
    # the shipped .mo says the same as the .po (compiled after the last edit)
    mo = gettext.GNUTranslations(open(MO, "rb"))
    for key, m in translated.items():
        want = m.string[0] if isinstance(m.string, tuple) else m.string
        got = mo.ngettext(key, m.id[1], 1) if isinstance(m.id, tuple) else mo.gettext(key)
        assert got == want, f"{MO.name} is older than {PO.name}: pybabel compile"


def _literal_texts(path: Path) -> list[str]:
    """Literal words given to a label or a button (Txt, BigButton) without _()."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in
                {"Txt", "BigButton"} and node.args):
            continue
        arg = node.args[0]
        parts = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else \
            [arg.left, arg.right] if isinstance(arg, ast.BinOp) else [arg]
        for p in parts:
            words = [p.value] if isinstance(p, ast.Constant) and isinstance(p.value, str) \
                else [v.value for v in p.values if isinstance(v, ast.Constant)] \
                if isinstance(p, ast.JoinedStr) else []
            if any(any(c.isalpha() for c in w) for w in words):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(p)[:60]}")
    return found


def test_screens_pass_no_unmarked_text_to_labels_or_buttons() -> None:
    files = list((ROOT / "kiosk" / "ui").glob("*.py"))  # every screen, visit and pairing too
    files.append(ROOT / "kiosk" / "camera_setup.py")
    assert [t for f in files for t in _literal_texts(f)] == []


async def test_a_spanish_kiosk_writes_and_speaks_spanish_and_keeps_the_choice(
        tmp_path: Path) -> None:
    k = kiosk(tmp_path / "data")
    flow, model = k.flow, k.model
    plan = dict(PLAN, valid_from="2025-01-01T00:00:00Z", valid_until="2025-06-30T00:00:00Z")
    model.store.save_plan(parse_plan(plan), json.dumps(plan), datetime.now(UTC))
    unlock(flow)
    flow.go("settings")
    flow.choose_language("es")  # Settings > Language (the patient's own: no code)
    assert load_settings(model.data_dir).language == "es"
    assert k.audio.lang == "es"  # the voice follows
    today = model.today()
    assert today.headline == "Por ahora no hay ejercicios"
    assert today.state.text == ("Su plan de ejercicios terminó el 30 de junio de 2025. "
                                "Contacte con su clínica para un plan nuevo, por favor.")
    flow.go("lock")
    assert flow.lock_view().message == "Introduzca su PIN"
    model.close()

    again = kiosk(tmp_path / "data", pin=None)  # the next start: the saved choice
    assert again.audio.lang == "es" and i18n.language() == "es"
    from kiosk.vm.summary import SummaryVM

    vm = SummaryVM("Rodilla", 7, 10, (60.0,), 65.0, 6, (("too_fast", 1),), 62.5, None, None,
                   2, 3, False)
    assert vm.headline == "7 repeticiones de 10. Todo suma."
    assert vm.quality_text == "6 bien  ·  1 demasiado rápido"
    assert vm.compare_text.startswith("Movimiento medio 62° (objetivo 65°)")
    again.model.close()
    forced = kiosk(tmp_path / "data", pin=None)
    assert i18n.language() == "es"
    forced.flow.__init__(forced.model, forced.screens, forced.audio, language="en")
    assert i18n.language() == "en" and forced.audio.lang == "en"  # --lang wins for a run
    forced.model.close()
    await asyncio.sleep(0)


def test_rehab_kiosk_lang_refuses_a_language_it_has_no_catalogue_for(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "rehab.cli", "kiosk", "--lang", "fr",
                           "--screenshots", str(tmp_path / "x")], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "no language 'fr'" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "x").exists()


def test_spanish_banner_and_empty_texts() -> None:
    """The drop-out banner reads right mid-sentence in Spanish, and an empty text stays
    empty (gettext gives the catalogue's header for "": it once showed as a live cue)."""
    from kiosk.vm.live import LiveSetVM
    from therapy.plan import exercise_from_catalogue

    i18n.set_language("es")
    assert i18n._("") == ""
    live = LiveSetVM(exercise_from_catalogue("knee_extension_seated"))
    live.on_link("thigh", "lost")
    assert live.lost_banner == "Sensor de muslo perdido: acérquelo"
    assert live.speech == ["Sensor de muslo perdido: acérquelo"]


def test_every_catalogue_exercise_is_marked_and_has_its_spanish_text() -> None:
    """A catalogue exercise added without N_() (so never extracted), or extracted and left
    out of the Spanish catalogue, fails here: a Spanish patient must read and hear it."""
    from exercises import CATALOGUE

    code = _extracted()
    i18n.set_language("es")
    for ex in CATALOGUE.values():
        for text in (ex.name, ex.instructions):
            assert text in code, f"{ex.id}: mark {text[:40]!r}… with N_() (exercises)"
            es = i18n._(text)
            assert es != text and es.strip(), f"{ex.id}: no Spanish for {text[:40]!r}…"
    assert i18n._(CATALOGUE["heel_slide"].name) == "Deslizamiento del talón"
    assert i18n._(CATALOGUE["straight_leg_raise"].name) == "Elevación de pierna recta"


def test_a_spanish_kiosk_shows_and_reads_the_exercise_in_spanish_with_the_spanish_voice(
        tmp_path: Path) -> None:
    import dataclasses

    from exercises import get_exercise
    from kiosk.adapters.speech import FakeSpeech, Speaker
    from therapy.plan import exercise_from_catalogue

    k = kiosk(tmp_path / "data")
    flow, model = k.flow, k.model
    speech = FakeSpeech()
    model.speaker = Speaker(speech)
    model.store.save_plan(parse_plan(PLAN), json.dumps(PLAN), datetime.now(UTC))
    flow.choose_language("es")
    assert model.progress().exercise_names == ("Extensión de rodilla en silla",)
    flow.start_exercise(exercise_from_catalogue("heel_slide"))
    flow.pain_vm.choose(1)
    flow.pain_done()
    assert flow.read_aloud()
    assert speech.said == [(
        "Deslizamiento del talón. Túmbese boca arriba. Deslice el talón hacia la nalga, "
        "doblando la rodilla hasta donde le resulte cómodo. Mantenga la posición y después "
        "vuelva a deslizarlo hacia abajo. Mantenga el talón sobre la cama. No levante la "
        "cadera.", "es")]
    assert get_exercise("heel_slide").spoken_text() != speech.said[0][0]  # not the English
    # the clinic's own instructions stay as sent: read in English, by the English voice
    own = dataclasses.replace(exercise_from_catalogue("heel_slide"),
                              instructions="Slide the heel up, then back.")
    from kiosk.vm.flow_instruction import spoken_instruction

    assert spoken_instruction(own) == ("Heel slide. Slide the heel up, then back.", "en")
    model.close()


def test_the_real_espeak_ng_reads_the_spanish_instruction_with_the_spanish_voice(
        tmp_path: Path) -> None:
    """espeak-ng itself (as the kiosk runs it) takes the Spanish text with voice "es":
    its phonemes (-x) are Spanish ones, not an English voice's reading of Spanish words."""
    import shutil

    from kiosk.adapters.speech import EspeakBackend

    exe = shutil.which("espeak-ng")
    assert exe, "espeak-ng is missing: sudo apt-get install espeak-ng"
    i18n.set_language("es")
    text = i18n._("Heel slide")
    backend = EspeakBackend()
    backend.to_wav(text, "es", tmp_path / "es.wav")
    assert (tmp_path / "es.wav").stat().st_size > 10_000  # about a second of speech

    def phonemes(voice: str) -> str:
        argv = backend._argv(voice, "-q", "-x")
        return subprocess.run(argv, input=text.encode(), capture_output=True,
                              timeout=30, check=True).stdout.decode().strip()

    es, en = phonemes("es"), phonemes("en")
    # the Spanish voice stresses talón's accented o (an English one reads another vowel)
    assert "tal'on" in es and "tal'on" not in en


def test_the_visit_and_pairing_screens_speak_spanish() -> None:
    """The video visit's words (titles, consent question, what is on, why it ended) and the
    pairing screen's are Spanish; a reason the clinic or the network sent stays as sent."""
    from kiosk.vm.pairing import placement_label, signal_text
    from kiosk.vm.visit import (CANNOT_CONNECT, NOTICE_CLINIC_HUNG_UP, NOTICE_DECLINED,
                                TIMED_OUT, Phase, VisitVM, shown_notice)

    from mqtt.visit import CUE_WORDS, Cue, CueKind, Offer

    i18n.set_language("es")

    class Said(list[str]):
        def say(self, text: str) -> None:
            self.append(text)

    said = Said()
    vm = VisitVM(lambda _cb: None, lambda _m: True, said)  # type: ignore[arg-type]
    vm.offered(Offer("c1", "a1", "v=0\r\n", "clinic-01", "dev-1", datetime.now(UTC)))
    vm.signal(Cue("c1", CueKind.SLOWER))
    vm.signal(Cue("c1", CueKind.TEXT, "Rodilla recta"))  # a therapist's typed cue: as sent
    assert said == ["Más despacio", "Rodilla recta"]
    assert all(i18n._(w) != w for w in CUE_WORDS.values())  # every fixed cue has Spanish
    assert vm.phase == Phase.RINGING
    assert vm.view().title == "Su terapeuta le llama"
    assert vm.prompt.startswith("Su terapeuta le llama para su cita. ¿Enciende la cámara")
    vm.camera_on = True
    assert vm.view().media_line == "Cámara y micrófono ENCENDIDOS"
    vm.phase, vm.notice = Phase.ENDED, f"{CANNOT_CONNECT}: {TIMED_OUT.format(s='15')}"
    assert vm.view().notice == ("No se puede conectar la videollamada: sin conexión en 15 s. "
                                "Ya se ha avisado a su terapeuta.")
    assert vm.notice.startswith("Cannot connect")  # the audit and the clinic get English
    assert shown_notice(f"{CANNOT_CONNECT}: {TIMED_OUT.format(s='0.2')}").endswith(
        "sin conexión en 0,2 s. Ya se ha avisado a su terapeuta.")  # the decimal comma
    assert shown_notice(f"{CANNOT_CONNECT}: ICE failed") == \
        "No se puede conectar la videollamada: ICE failed"
    assert shown_notice(NOTICE_CLINIC_HUNG_UP + " (time is up)") == \
        "Su terapeuta ha terminado la videollamada. (time is up)"
    assert shown_notice(NOTICE_DECLINED) == "Ha dicho que no a la videollamada."
    assert signal_text(-50) == "señal fuerte (-50 dBm)"
    assert placement_label("shank") == "Pierna" and placement_label("pelvis") == "Cadera"


def test_no_marked_string_hides_inside_an_f_string() -> None:
    """Babel does not extract _() inside an f-string (Python 3.11): such a string never
    reaches the catalogue and shows in English (the Progress pain legend's before/after
    did)."""
    found = []
    for path in [*(ROOT / "kiosk").rglob("*.py"), *(ROOT / "exercises").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.JoinedStr):
                found += [f"{path.name}:{node.lineno}: {ast.unparse(c)}" for c in ast.walk(node)
                          if isinstance(c, ast.Call) and c.args
                          and getattr(c.func, "id", None) in {"_", "N_", "ngettext"}
                          and isinstance(c.args[0], ast.Constant)]  # a literal to extract
    assert found == []
