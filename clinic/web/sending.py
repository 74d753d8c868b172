"""What the pages need to send to a device: the clinic's signing key and the publisher.

The key is read from the file ``rehab clinic keygen`` writes (``create_app(key_file=...)``;
``rehab clinic serve`` passes the data dir's), on each send, so a key made after the
server started is used without a restart. Every failure is a :class:`SendError` whose
message the page shows as it is (what went wrong, what to do).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clinic.errors import ClinicError
from therapy.ed25519 import Ed25519PrivateKey


class SendError(ClinicError):
    """Not confirmed sent: no key, no publisher, or the broker did not take it.
    ``maybe_sent``: the broker gave no answer in time (or the connection dropped) but the
    publisher still holds the message and may deliver it later; False: certainly not sent."""

    def __init__(self, text: str, maybe_sent: bool = False) -> None:
        super().__init__(text)
        self.maybe_sent = maybe_sent


def signing_key(key_file: Path | None) -> Ed25519PrivateKey:
    from therapy.errors import PlanError
    from therapy.signing import private_key_from_b64

    if key_file is None:
        raise SendError("this server has no clinic signing key configured")
    try:
        return private_key_from_b64(key_file.read_text())
    except OSError as exc:
        raise SendError(f"cannot read the clinic signing key {key_file}: "
                        f"{exc.strerror} (run `rehab clinic keygen` first)") from exc
    except (PlanError, UnicodeDecodeError) as exc:
        raise SendError(f"{key_file} is not a clinic signing key (make one with "
                        "`rehab clinic keygen --force`)") from exc


def send(state: Any, device: str, leaf: str, payload: bytes, retain: bool = False) -> None:
    """Publish through the app's publisher (``rehab clinic serve``'s ingest connection)."""
    publisher = state.publisher
    if publisher is None:
        raise SendError("this server is not connected to the broker (start it with "
                        "`rehab clinic serve`)")
    try:
        publisher.publish(device, leaf, payload, retain=retain)
    except ClinicError as exc:  # clinic.serve.PublishError
        raise SendError(f"not sent: {exc}", getattr(exc, "maybe_sent", False)) from exc
