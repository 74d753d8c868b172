"""Messages from the therapist, quick replies, the unread badge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from kiosk.i18n import N_, _, fmt_day, fmt_time
from kiosk.vm.quarantine import QUARANTINE, Quarantine
from therapy.dates import is_sane
from therapy.records import Direction, Message

# sent as the patient reads them (in the kiosk's language)
QUICK_REPLIES = (N_("Thank you!"), N_("OK, I will do that"),
                 N_("I have a question, please call me"), N_("The exercises are too hard"))


@dataclass(frozen=True, slots=True)
class MessageLine:
    id: str
    mine: bool
    text: str
    when: str
    unread: bool


@dataclass(frozen=True, slots=True)
class MessagesVM:
    lines: tuple[MessageLine, ...]

    @property
    def unread(self) -> int:
        return sum(1 for m in self.lines if m.unread)

    @property
    def unread_ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.lines if m.unread)


def _unread(m: Message, read_until: datetime | None) -> bool:
    """Therapist messages newer than the patient's last look at the Messages screen
    (``acked_at`` is the delivery ack to the clinic, not "read")."""
    return m.direction == Direction.TO_PATIENT and (read_until is None or m.at > read_until)


def showable(messages: Sequence[Message], q: Quarantine = QUARANTINE) -> list[Message]:
    """The messages a screen can show; the others are quarantined (see quarantine)."""
    return q.keep("message", messages, lambda m: is_sane(m.at),
                  lambda m: f"dated {str(m.at):.40}")


def unread_count(messages: Sequence[Message], read_until: datetime | None,
                 q: Quarantine = QUARANTINE) -> int:
    return sum(1 for m in showable(messages, q) if _unread(m, read_until))


def build_messages(messages: Sequence[Message], now: datetime, read_until: datetime | None,
                   last: int = 30, q: Quarantine = QUARANTINE) -> MessagesVM:
    def when(t: datetime) -> str:
        local = t.astimezone()
        if local.date() == now.astimezone().date():
            return _("today {time}").format(time=fmt_time(t))
        return f"{fmt_day(t)} {fmt_time(t)}"

    return MessagesVM(tuple(
        MessageLine(m.id, m.direction == Direction.TO_THERAPIST, m.text, when(m.at),
                    _unread(m, read_until))
        for m in showable(messages, q)[-last:]))
