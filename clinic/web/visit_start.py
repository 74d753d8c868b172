"""Why the visit page's "Start video visit" button is greyed out, in the words shown beside
it (pure: the page's facts in, one short sentence out; '' when a call may start)."""

from __future__ import annotations

NOT_SET_UP = "Video visits are not set up on this server"
OFFLINE = "The patient's kiosk is offline: reload this page when it is back"
BEFORE = "Available at the appointment time"
OVER = "The appointment is over"


def start_blocked(closed: str, no_relay: bool, kiosk_state: str | None) -> str:
    """The reason a call cannot start now, or ''.

    ``closed``: :func:`clinic.web.visit_page.window`'s answer ('' inside the window);
    ``kiosk_state``: the device's last reported state ('online', 'offline', None: never
    reported, which does not block: the kiosk may still answer)."""
    if no_relay:
        return NOT_SET_UP
    if closed:
        return OVER if "over" in closed else BEFORE
    if kiosk_state == "offline":
        return OFFLINE
    return ""
