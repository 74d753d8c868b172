"""Moved to :mod:`protocol.clock` (issue 13); kept only until the last test importing this
name is updated, then removed."""

from protocol.clock import Clock, ClockMapper, MonotonicClock, ScaledClock

__all__ = ["Clock", "ClockMapper", "MonotonicClock", "ScaledClock"]
