"""Why an inbound MQTT payload was refused, and how a link counts and logs it. Pure.

:class:`Reject` names the reason (counted per reason in :class:`InboundStats`);
:class:`InboundRejected` carries it with a detail that names the field, never its value;
:func:`should_log` and :func:`safe_prefix` keep a flood of refusals from filling the log or
copying a payload into it. The checks themselves are ``mqtt.inbound`` (size, JSON) and
``mqtt.inbound_fields`` (the fields of each leaf).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from mqtt.errors import LinkError

PREFIX_BYTES = 16  # how much of a rejected payload a log line may show


class Reject(StrEnum):
    """Why an inbound payload was refused (counted per reason)."""

    EMPTY = "empty"
    OVERSIZE = "oversize"
    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    BAD_NUMBER = "bad_number"  # NaN, Infinity, out-of-range numbers
    TOO_DEEP = "too_deep"
    NOT_OBJECT = "not_object"
    BAD_FIELD = "bad_field"  # missing, wrong type or out of range
    BAD_DATE = "bad_date"
    UNKNOWN_TYPE = "unknown_type"
    UNKNOWN_TOPIC = "unknown_topic"
    NOT_FHIR = "not_fhir"
    PLAN_REJECTED = "plan_rejected"  # the plan envelope check (therapy.signing) refused it
    HANDLER_ERROR = "handler_error"  # an unexpected exception, caught at the callback


class InboundRejected(LinkError):
    """An inbound payload refused for ``reason``; the message names the field, never its value."""

    def __init__(self, reason: Reject, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class InboundStats:
    """Counters of one link's inbound traffic (read by the watch view, sync and the kiosk)."""

    accepted: Counter[str] = field(default_factory=Counter)  # per leaf
    rejected: Counter[Reject] = field(default_factory=Counter)  # per reason

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def reject(self, reason: Reject) -> int:
        """Count one rejection; returns how many of this reason so far."""
        self.rejected[reason] += 1
        return self.rejected[reason]

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"accepted": dict(self.accepted),
                "rejected": {str(k): v for k, v in self.rejected.items()}}


def should_log(count: int) -> bool:
    """Log the first 20 of a reason, then every 1,000th (a flood must not fill the disk)."""
    return count <= 20 or count % 1000 == 0


def safe_prefix(payload: bytes, n: int = PREFIX_BYTES) -> str:
    """The first ``n`` bytes as printable ASCII (anything else escaped)."""
    return "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else f"\\x{b:02x}"
                   for b in payload[:n])
