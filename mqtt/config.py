"""Link configuration: ``rehab.toml`` in the data dir, overridden by command-line flags.

``rehab.toml``::

    broker = "mqtts://broker.example.org:8883"   # mqtt:// only to a loopback broker
    username = "dev-7f3a"                        # or in the URL: mqtts://user:pass@host
    password = "..."
    ca_file = "/etc/rehab/ca.pem"                # default: the system CAs
    client_cert = ""                              # client-certificate auth (optional)
    client_key = ""
    device = "dev-7f3a"
    clinic = "clinic-01"
    clinic_public_key = "base64 Ed25519 key from `rehab clinic keygen`"

Default data dir: ``$REHAB_DATA_DIR``, else systemd's ``$STATE_DIRECTORY``
(``/var/lib/rehab`` with ``StateDirectory=rehab``), else ``$XDG_DATA_HOME/rehab``
(``~/.local/share/rehab``).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import stat
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from mqtt.errors import ConfigError
from mqtt.topics import valid_id

log = logging.getLogger(__name__)

CONFIG_NAME = "rehab.toml"
DEFAULT_BROKER = "mqtt://127.0.0.1:1883"
# A kiosk with no clinic configured keeps its records under this id until one is.
OFFLINE_DEVICE_ID = "unpaired-kiosk"


def default_data_dir() -> Path:
    if env := os.environ.get("REHAB_DATA_DIR"):
        return Path(env)
    if env := os.environ.get("STATE_DIRECTORY"):
        return Path(env.split(":")[0])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rehab"


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    host: str
    port: int
    tls: bool
    username: str = ""
    password: str = field(default="", repr=False)  # never in a log line or an error
    ca_file: str = ""
    client_cert: str = ""
    client_key: str = ""

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class LinkConfig:
    data_dir: Path
    broker: BrokerConfig
    device: str
    clinic: str
    clinic_public_key: str = ""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redact_url(url: str) -> str:
    """``url`` with any password in it replaced by ``***`` (for messages and logs). Works on
    malformed URLs too: everything between ``scheme://`` and the last ``@`` of the
    authority is user information, of which only the user name is kept."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    at = rest.rfind("@")
    if at < 0:
        return url
    user = rest[:at].split(":", 1)[0]
    return f"{scheme}{sep}{user}:***{rest[at:]}"


def parse_broker_url(url: str, *, username: str = "", password: str = "") -> BrokerConfig:
    """``mqtt://[user[:pass]@]host[:port]`` or ``mqtts://...``; plain mqtt only to loopback.
    Error messages show the URL with its password redacted."""
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as exc:  # e.g. "Invalid IPv6 URL"
        raise ConfigError(f"broker URL {shown!r}: {exc}") from None
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ConfigError(f"broker URL {shown!r} must start with mqtt:// or mqtts://")
    if not hostname:
        raise ConfigError(f"broker URL {shown!r} has no host")
    tls = parts.scheme == "mqtts"
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError:  # its text may quote the URL's netloc: not shown
        raise ConfigError(f"broker URL {shown!r}: the port must be a number "
                          "0-65535") from None
    if not tls and not is_loopback(hostname):
        raise ConfigError(f"broker {hostname} is not on loopback: use mqtts:// (TLS)")
    return BrokerConfig(hostname, port, tls,
                        unquote(parts.username) if parts.username else username,
                        unquote(parts.password) if parts.password else password)


def _keep_private(path: Path) -> None:
    """A config holding the broker password is 0600: made so when others could read it."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        try:
            os.chmod(path, 0o600)
        except OSError as exc:
            log.warning("%s holds the broker password and others can read it (mode %o); "
                        "it could not be made 0600: %s", path, mode, exc.strerror)
        else:
            log.warning("%s holds the broker password and others could read it (mode %o): "
                        "made it 0600", path, mode)


def config_file(data_dir: Path) -> tuple[Path, dict[str, Any]]:
    """``rehab.toml`` of ``data_dir`` and its parsed table ({} when there is none);
    ConfigError names a file that cannot be read or is not TOML."""
    path = data_dir / CONFIG_NAME
    if not path.is_file():
        return path, {}
    try:
        return path, tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def load_config(data_dir: Path | str | None = None, *, broker: str | None = None,
                device: str | None = None, clinic: str | None = None,
                require_device: bool = True) -> LinkConfig:
    """Read ``rehab.toml`` (if present) and apply flag overrides (None = not given)."""
    ddir = Path(data_dir) if data_dir else default_data_dir()
    path, file = config_file(ddir)
    if file.get("password"):
        _keep_private(path)

    def get(key: str) -> str:
        value = file.get(key, "")
        if not isinstance(value, str):
            raise ConfigError(f"{path}: {key} must be a string")
        return value

    bcfg = parse_broker_url(broker or get("broker") or DEFAULT_BROKER,
                            username=get("username"), password=get("password"))
    bcfg = replace(bcfg, ca_file=get("ca_file"), client_cert=get("client_cert"),
                   client_key=get("client_key"))
    dev = device or get("device") or ("" if not require_device else "")
    cli = clinic or get("clinic") or "clinic"
    if require_device and not dev:
        raise ConfigError(f"no device id: pass --device or set device in {path}")
    for what, value in (("device", dev), ("clinic", cli)):
        if value and not valid_id(value):
            raise ConfigError(f"{what} id {value!r} must be 1-64 of A-Z a-z 0-9 _ . -")
    return LinkConfig(ddir, bcfg, dev, cli, get("clinic_public_key"))
