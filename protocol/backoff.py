"""Reconnect policy as data plus a pure function (bleak-retry-connector's pattern)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    initial_s: float = 0.1
    factor: float = 2.0
    max_s: float = 1.0  # a replugged dongle is back within ~1 s of enumeration


def backoff_s(policy: BackoffPolicy, attempt: int) -> float:
    """Seconds to wait before reconnect attempt number ``attempt`` (0 = the first retry)."""
    return min(policy.max_s, policy.initial_s * policy.factor ** max(0, attempt))
