"""The kiosk's language: gettext catalogues (``kiosk/locale/<lang>/LC_MESSAGES/kiosk.mo``,
compiled with Babel from ``kiosk/locale/*.po``) and Babel's localised dates and numbers.

Pure enough for view-models: no Kivy, no I/O but reading the shipped ``.mo`` file.
Strings are marked ``_("...")`` where they are shown; module constants are marked
``N_("...")`` (extracted, not translated) and translated with ``_`` when drawn.
"""

from __future__ import annotations

import gettext
from datetime import datetime
from pathlib import Path

from kiosk.errors import KioskError

DOMAIN = "kiosk"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = {"en": "English", "es": "Español"}  # code -> the language's own name
DEFAULT_LANGUAGE = "en"


class LanguageError(KioskError):
    """A language the kiosk has no catalogue for (message lists the ones it has)."""


_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = DEFAULT_LANGUAGE


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise LanguageError(f"no language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    return lang


def set_language(lang: str) -> None:
    """Show and speak ``lang`` from now on. English is the source text (no catalogue
    needed); any other language must have its compiled catalogue shipped."""
    global _translations, _language
    check_language(lang)
    if lang == DEFAULT_LANGUAGE:
        _translations = gettext.NullTranslations()
    else:
        try:
            _translations = gettext.translation(DOMAIN, LOCALE_DIR, [lang])
        except OSError as exc:
            raise LanguageError(f"the {LANGUAGES[lang]} catalogue is missing from "
                                f"{LOCALE_DIR} (reinstall the kiosk)") from exc
    _language = lang


def language() -> str:
    return _language


def _(text: str) -> str:
    """``text`` in the kiosk's language; "" stays "" (gettext would give the catalogue's
    header for it, and many texts are "" when there is nothing to say)."""
    return _translations.gettext(text) if text else ""


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def N_(text: str) -> str:
    """Marks ``text`` for extraction only (a module constant translated where drawn)."""
    return text


def fmt_time(t: datetime) -> str:
    """Local clock time, e.g. 17:05 (24-hour in both languages)."""
    return t.astimezone().strftime("%H:%M")


def fmt_day(t: datetime) -> str:
    """Short weekday and date in the kiosk's language: 'Tue 3 Mar' / 'mar 3 mar'."""
    from babel.dates import format_date

    return _slimmed(format_date(t.astimezone().date(), "EEE d MMM", locale=_language))


def fmt_long_day(t: datetime) -> str:
    """The lock screen's date: 'Sunday 29 November' / 'domingo 29 noviembre'."""
    from babel.dates import format_date

    return _slimmed(format_date(t.astimezone().date(), "EEEE d MMMM", locale=_language))


def fmt_date(t: datetime) -> str:
    """A date in full words: '3 March 2026' / '3 de marzo de 2026'."""
    from babel.dates import format_date

    return _slimmed(format_date(t.astimezone().date(), "long", locale=_language))


def fmt_weekday_time(t: datetime) -> str:
    from babel.dates import format_date

    day = _slimmed(format_date(t.astimezone().date(), "EEE", locale=_language))
    return f"{day} {fmt_time(t)}"


def fmt_number(x: float, digits: int = 0) -> str:
    """A number with the language's decimal mark: 12.5 / 12,5."""
    from babel.numbers import format_decimal

    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return _slimmed(format_decimal(x, format=fmt, locale=_language))


def _slimmed(text: str) -> str:
    """``text``, Babel's data for the language slimmed once it has formatted
    (:mod:`kiosk.locale_data`)."""
    from kiosk.locale_data import slim

    slim(_language)
    return text
