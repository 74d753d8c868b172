"""A record the clinic refuses for good, for the refusal tests on both sides of the link
(device outbox, clinic serve, kiosk Settings)."""

from __future__ import annotations

import json


def not_fhir_observation(n: int) -> bytes:
    """A pain Observation that is valid JSON with an identifier
    (``urn:uuid:0b7d3c5e-0000-4000-8000-00000000000n``, ``n`` keeps each test's record its
    own), refused by the FHIR validator: its ``valueInteger`` is text ('not_fhir')."""
    return json.dumps({
        "resourceType": "Observation", "status": "final", "code": {"text": "pain"},
        "identifier": [{"system": "urn:ietf:rfc:3986",
                        "value": f"urn:uuid:0b7d3c5e-0000-4000-8000-{n:012d}"}],
        "valueInteger": "seven"}).encode()
