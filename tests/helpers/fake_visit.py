"""A visit view-model over the fake call adapter (no aiortc, no broker): the calls it made,
what it sent to the clinic, and a speaker that says nothing. Shared by the kiosk flow's
visit tests and the visit screen's."""

from __future__ import annotations

from typing import Any

from kiosk.adapters.call import FakeCall
from kiosk.vm.visit import VisitVM


class _Quiet:
    def say(self, text: str) -> None:
        pass


class FakeVisit:
    """``vm``: a :class:`VisitVM` (``vm_kw`` passed on) whose calls are the
    :class:`FakeCall` objects in ``calls`` and whose messages to the clinic land in
    ``sent`` (every send succeeds)."""

    def __init__(self, **vm_kw: Any) -> None:
        self.calls: list[FakeCall] = []
        self.sent: list[Any] = []
        self.vm = VisitVM(self._make, self._send, _Quiet(), **vm_kw)

    def _make(self, on_state: Any) -> FakeCall:
        self.calls.append(FakeCall(on_state=on_state))
        return self.calls[-1]

    def _send(self, msg: Any) -> bool:
        self.sent.append(msg)
        return True
