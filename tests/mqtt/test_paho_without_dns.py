"""paho's client is imported without dnspython (mqtt/paho_client.py): 5.7 MB the kiosk does
not spend on DNS SRV lookups it never makes, and dnspython still importable afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
{first}
import {module}
import paho.mqtt.client as client
seen = {{"dns_loaded": "dns.resolver" in sys.modules, "have_dns": client.HAVE_DNS}}
import dns.resolver
seen["resolver"] = dns.resolver.Resolver.__name__
print(json.dumps(seen))
"""


def _probe(module: str, first: str = "") -> dict[str, object]:
    run = subprocess.run([sys.executable, "-c", PROBE.format(module=module, first=first)],
                         cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, (
        run.stderr[-2000:] + "\n(dnspython comes with the visit extra: make install)")
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_the_kiosk_and_clinic_links_load_paho_without_dnspython() -> None:
    for module in ("mqtt.device", "mqtt.client", "clinic.link", "clinic.visit",
                   "clinic.one_shot"):
        seen = _probe(module)
        assert seen == {"dns_loaded": False, "have_dns": False, "resolver": "Resolver"}, module


def test_a_process_that_has_dnspython_already_keeps_it_for_paho() -> None:
    seen = _probe("mqtt.device", first="import dns.resolver")
    assert seen == {"dns_loaded": True, "have_dns": True, "resolver": "Resolver"}
