"""Errors of the clinic link. :class:`LinkError` is the root."""

from __future__ import annotations


class LinkError(Exception):
    """Root of every clinic-link error."""


class ConfigError(LinkError):
    """A config file or broker URL that cannot be used; the message says what to fix."""


class BrokerRefused(LinkError):
    """The broker refused the connection (``reason`` is the MQTT 5 reason string)."""

    def __init__(self, reason: str, code: int) -> None:
        super().__init__(f"broker refused the connection: {reason} (reason code {code})")
        self.reason = reason
        self.code = code
