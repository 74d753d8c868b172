"""Outbox values (pure): what waits to be sent to the clinic and on which channel."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Channel(StrEnum):
    """Where an outbox row goes; the value is the topic leaf (``mqtt.topics.Leaf``)."""

    RECORDS = "records"
    MESSAGES_OUT = "messages/out"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A payload to write with its record (``TherapyStore.save_*``)."""

    channel: Channel
    record_id: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A stored outbox row; ``id`` orders rows oldest first."""

    id: int
    channel: Channel
    record_id: str
    payload: bytes
