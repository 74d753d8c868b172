"""The boundary around paho callbacks: nothing raised in a handler reaches paho.

paho 2 logs an exception from a callback and re-raises it (``suppress_exceptions`` is
off by default); from ``on_message`` that ends its network thread, and the link goes
deaf while the application still believes it is connected. :class:`CallbackGuard` wraps
each callback: an unexpected exception is counted per callback, logged with its type and
stack frames but not its message (which may quote the payload), and handed to
``on_error`` so the link can set its state; the callback returns and paho carries on.
:func:`install` also sets ``suppress_exceptions`` as a second net for any callback left
unwrapped.
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections import Counter
from typing import Any, Callable, TypeVar

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
ErrorHook = Callable[[str, BaseException], None]


class CallbackGuard:
    """Counts and logs exceptions of the callbacks it wraps (``errors``: per callback)."""

    def __init__(self, link_name: str, on_error: ErrorHook | None = None) -> None:
        self.link_name = link_name
        self.on_error = on_error
        self.errors: Counter[str] = Counter()

    @property
    def errors_total(self) -> int:
        return sum(self.errors.values())

    def wrap(self, fn: F, name: str | None = None) -> F:
        label = name or getattr(fn, "__name__", "callback")

        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # supervised boundary: counted, logged, link carries on
                self.failed(label, exc)
                return None

        return guarded  # type: ignore[return-value]

    def failed(self, label: str, exc: BaseException) -> None:
        """Count and log ``exc`` raised in ``label``; then the ``on_error`` hook."""
        self.errors[label] += 1
        n = self.errors[label]
        if n <= 20 or n % 1000 == 0:
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("%s: %s in %s (%d so far); the link carries on. Stack:\n%s",
                      self.link_name, type(exc).__name__, label, n, frames)
        if self.on_error is not None:
            try:
                self.on_error(label, exc)
            except Exception:  # the hook itself must not escape either
                log.error("%s: the error hook failed too", self.link_name)


def install(client: Any, guard: CallbackGuard, **callbacks: Callable[..., Any]) -> None:
    """Set ``client.on_<name> = guard.wrap(fn)`` for each ``name=fn``; suppress the rest."""
    client.suppress_exceptions = True
    for name, fn in callbacks.items():
        setattr(client, name, guard.wrap(fn, name))
