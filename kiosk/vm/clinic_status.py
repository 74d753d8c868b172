"""Settings' small clinic-link problem line (no Kivy): records the clinic refused and
payloads from the clinic this kiosk refused (issue 12 follow-up).

A record the clinic refused stays on this kiosk (``therapy.outbox_refusals``) and is not
sent again until the installer requeues it, so the patient is asked to call the clinic.
Inbound refusals (``DeviceLink.stats``, per ``mqtt.inbound.Reject``) are shown as counts
for whoever services the kiosk. Empty when there is nothing to say.

The bottom status strip carries a calm count of the refused records too
(:func:`strip_note`), so the patient sees it without opening Settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kiosk.i18n import _, ngettext
from therapy.outbox_refusals import refused_count
from therapy.store import TherapyStore


def problem_text(refused: int, rejected: Mapping[str, int]) -> str:
    """``refused`` records the clinic refused; ``rejected`` inbound payloads per reason."""
    parts = []
    if refused:
        parts.append(ngettext("{n} record the clinic refused: call your clinic",
                              "{n} records the clinic refused: call your clinic",
                              refused).format(n=refused))
    shown = {k: v for k, v in rejected.items() if v > 0}
    if shown:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(shown.items()))
        parts.append(_("Refused from the clinic: {n} ({reasons})").format(
            n=sum(shown.values()), reasons=reasons))
    return " · ".join(parts)


def clinic_problems(store: TherapyStore, clinic: Any) -> str:
    """The line for Settings: ``clinic`` is the kiosk's Clinic (its ``link``, when it has
    one, counts inbound refusals)."""
    link = getattr(clinic, "link", None)
    stats = getattr(link, "stats", None)
    rejected = {str(k): int(v) for k, v in stats.rejected.items()} if stats is not None else {}
    return problem_text(refused_count(store), rejected)


def strip_note(refused: int) -> str:
    """The status strip's short, calm note on ``refused`` records kept on this kiosk (empty
    when none): Settings says what to do."""
    if not refused:
        return ""
    return ngettext("{n} record not accepted, see Settings",
                    "{n} records not accepted, see Settings",
                    refused).format(n=refused)


def refused_note(store: TherapyStore) -> str:
    """:func:`strip_note` for the records ``store`` keeps refused."""
    return strip_note(refused_count(store))
