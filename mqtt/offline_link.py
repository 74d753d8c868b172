"""The device's link when no clinic is configured (no device id given or in ``rehab.toml``):
nothing is sent; records wait in the outbox, as the kiosk keeps them when it works offline
(``kiosk.adapters.clinic.OfflineClinic``), until ``rehab sync`` runs with a clinic. The
same calls as :class:`mqtt.device.DeviceLink` where ``rehab session`` uses it."""

from __future__ import annotations

from typing import Any


class OfflineLink:
    last_error = ("no clinic configured: pass --device (and --broker) or set them in "
                  "rehab.toml, then rehab sync")

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def live_listener(self, ev: Any) -> None:
        pass

    def notify_outbox(self) -> None:
        pass

    def wait_connected(self, timeout_s: float) -> bool:
        return False

    def start_appointment(self, appointment_id: str, session_id: str) -> None:
        pass

    def wait_drained(self, timeout_s: float) -> bool:
        return False
