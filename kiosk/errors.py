"""The kiosk's root exception (in its own module: ``tests/kiosk`` can make ``kiosk`` a
namespace package under pytest, so nothing may rely on ``kiosk/__init__.py`` contents)."""


class KioskError(Exception):
    """Root error of the kiosk package."""
