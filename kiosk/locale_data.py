"""Babel's locale data, slimmed to what the kiosk formats.

Babel loads a whole CLDR locale the first time it formats in a language (territory,
currency, unit and time-zone names: ~2 MB of Python objects for English) and its global
data (another 2 MB) to find the locale's parent, and keeps both for the life of the
process. The kiosk formats five things (:mod:`kiosk.i18n`: weekday and month names, a long
date, numbers with the language's marks), so once a language has formatted, its cached data
keeps only the keys those read and the global data is let go (Babel loads it again if
another locale ever needs it). ~4 MB of a process that has 250.

The keys are what Babel's date and number formatting reads for the patterns in
:mod:`kiosk.i18n`; ``tests/kiosk/test_locale_data_slim.py`` formats every one of them in
every language after slimming, so a Babel that reads another key fails there, not on a
patient's screen.
"""

from __future__ import annotations

KEPT = frozenset({"days", "months", "date_formats", "number_symbols", "decimal_formats",
                  "default_numbering_system", "numbering_systems"})

_slimmed: set[str] = set()


def slim(language: str) -> None:
    """Keep only :data:`KEPT` of every locale Babel has loaded (``language`` and its
    parents), once per language, and drop Babel's global data."""
    if language in _slimmed:
        return
    import babel.core
    import babel.localedata

    for data in list(babel.localedata._cache.values()):
        for key in [k for k in data if k not in KEPT]:
            del data[key]
    babel.core._global_data = None
    _slimmed.add(language)
