"""Babel's locale data slimmed to what the kiosk formats (kiosk/locale_data.py): every
formatter of kiosk.i18n gives the same text in every language, on every weekday and month,
with Babel's data slimmed as with it whole; the slimmed data holds only the kept keys and the
global data is let go; and nothing else in the kiosk calls Babel (a call reading a key the
slimming dropped would fail on the patient's screen, not here)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import babel.core
import babel.localedata
import pytest

from kiosk import i18n, locale_data

ROOT = Path(__file__).resolve().parents[2]
# a day in each month, each weekday among them; a time late in the UTC day
MOMENTS = [datetime(2026, m, 1 + 2 * m, 22, 40, tzinfo=UTC) for m in range(1, 13)]
NUMBERS = [(0, 0), (7, 0), (12.5, 1), (1234.567, 2), (-3.25, 2), (1e6, 0)]


def _formatters() -> dict[str, object]:
    return {name: fn for name, fn in vars(i18n).items()
            if name.startswith("fmt_") and inspect.isfunction(fn)}


def _clear() -> None:
    babel.localedata._cache.clear()
    getattr(babel.localedata, "_dict_cache", {}).clear()  # Babel >= 2.19: memoized views
    locale_data._slimmed.clear()


def _call(name: str, fn: object) -> list[str]:
    if name == "fmt_number":
        return [fn(x, d) for x, d in NUMBERS]  # type: ignore[operator]
    return [fn(t) for t in MOMENTS]  # type: ignore[operator]


def _everything(lang: str) -> dict[str, list[str]]:
    i18n.set_language(lang)
    return {name: _call(name, fn) for name, fn in _formatters().items()}


@pytest.fixture
def whole_babel() -> Iterator[None]:
    """Babel's caches emptied before and after: whole data loads again on demand."""
    was = i18n.language()
    _clear()
    yield
    _clear()
    i18n.set_language(was)


@pytest.mark.parametrize("lang", sorted(i18n.LANGUAGES))
def test_every_formatter_is_unchanged_by_slimming(lang: str, whole_babel: None,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Each formatter in turn formats first (Babel loads, the kiosk slims: what that one
    read may stay memoized), then every formatter formats every moment: a key another one
    reads and the slimming dropped fails here."""
    assert set(_formatters()) >= {"fmt_day", "fmt_long_day", "fmt_date", "fmt_number"}
    with monkeypatch.context() as m:
        m.setattr(locale_data, "slim", lambda _lang: None)
        whole = _everything(lang)
    assert set(babel.localedata._cache[lang]) - locale_data.KEPT  # it was whole
    for first, fn in _formatters().items():
        _clear()
        i18n.set_language(lang)
        _call(first, fn)
        if lang in babel.localedata._cache:  # fmt_time is the clock's: no Babel
            assert set(babel.localedata._cache[lang]) <= locale_data.KEPT, first
            assert babel.core._global_data is None
        assert _everything(lang) == whole, f"{first} first"
    words = {"en": ("March 7, 2026", "1,234.57"), "es": ("7 de marzo de 2026", "1.234,57")}
    assert (whole["fmt_date"][2], whole["fmt_number"][3]) == words[lang]


def test_slimming_drops_most_of_the_locale_data(whole_babel: None) -> None:
    import pickle

    i18n.set_language("en")
    before = len(pickle.dumps(babel.localedata.load("en")))
    i18n.fmt_day(MOMENTS[0])
    after = len(pickle.dumps(babel.localedata._cache["en"]))
    assert after < before / 5, (before, after)


def test_only_the_i18n_module_calls_babel_in_the_kiosk() -> None:
    allowed = {"kiosk/i18n.py", "kiosk/locale_data.py"}
    users = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "kiosk").rglob("*.py")
                   if str(p.relative_to(ROOT)) not in allowed
                   and any(line.lstrip().startswith(("import babel", "from babel"))
                           for line in p.read_text().splitlines()))
    assert users == [], f"Babel is called outside kiosk/i18n.py: {users}"


def test_switching_language_after_slimming(whole_babel: None,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The patient switches English -> Spanish -> English in Settings: Spanish loads over
    the slimmed root data (its parent) and formats as it does whole."""
    with monkeypatch.context() as m:
        m.setattr(locale_data, "slim", lambda _lang: None)
        whole = {lang: _everything(lang) for lang in ("en", "es")}
    _clear()
    assert [_everything(lang) for lang in ("en", "es", "en")] == [
        whole["en"], whole["es"], whole["en"]]
    assert all(set(babel.localedata._cache[k]) <= locale_data.KEPT
               for k in ("root", "en", "es"))
