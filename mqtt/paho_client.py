"""paho-mqtt's client module, imported without dnspython: ``from mqtt.paho_client import paho``.

paho imports ``dns.resolver`` when dnspython is installed, for one method, ``connect_srv``
(the broker found by a DNS SRV record), which this project never calls: brokers are named
by host and port in ``rehab.toml``. dnspython is on a kiosk with the ``visit`` extra (aiortc's
ICE library needs it), and paho's import of it costs the kiosk 5.7 MB resident and 100
modules for as long as it runs (measured: ``import dns.resolver`` after ``urllib.request``),
a camera set being the kiosk's tightest memory budget. So the client module is imported with
``dns.resolver`` marked missing, and paho takes the branch it has for a machine without
dnspython. A process that loaded dnspython already (a visit's peer) is left as it is. The
mark is removed at once: dnspython stays importable for whoever needs it
(``tests/mqtt/test_paho_without_dns.py``).
"""

from __future__ import annotations

import sys

_DNS = "dns.resolver"
_hide_dns = _DNS not in sys.modules and "paho.mqtt.client" not in sys.modules
if _hide_dns:
    sys.modules[_DNS] = None  # type: ignore[assignment]  # the import system's "not there"
try:
    import paho.mqtt.client as paho
finally:
    if _hide_dns and sys.modules.get(_DNS, 0) is None:
        del sys.modules[_DNS]

__all__ = ["paho"]
