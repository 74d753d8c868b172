"""The kiosk's root exception (in its own module: ``tests/kiosk`` can make ``kiosk`` a
namespace package under pytest, so nothing may rely on ``kiosk/__init__.py`` contents)."""

# What the patient reads when the device cannot store their data (disk full, damaged
# database): nothing technical, one thing to do. The cause goes to the log and `rehab doctor`.
def N_(text: str) -> str:  # marks text for the catalogue (kiosk.i18n imports this module)
    return text


STORAGE_PROBLEM_TEXT = N_("Storage problem: your answers could not be saved. "
                          "Please call the clinic.")  # translated where shown (kiosk.i18n)


class KioskError(Exception):
    """Root error of the kiosk package."""


class StorageProblem(KioskError):
    """The store refused a write (full, damaged, unreachable). ``str()`` is the patient's
    text (:data:`STORAGE_PROBLEM_TEXT`); ``cause`` the store's error for the log."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(STORAGE_PROBLEM_TEXT)
        self.cause = cause


class PlanNotValid(KioskError):
    """The clinic's plan has ended or has not started: no exercise starts. ``str()`` is
    what the patient reads (contact the clinic)."""
