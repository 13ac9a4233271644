"""Where the screen's daemon is and which token opens it: flags first, else the device's own data folder.

On the device the screen needs no flag: like heardctl it reads the daemon's configuration and data folder,
takes the URL the running daemon wrote there (daemon.json), and mints itself a short-lived token with the
location secret. A screen elsewhere is given --daemon and --token.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from daemon.config import Config, load_config
from daemon.runtime import read_runtime
from daemon.security.jwt_tokens import mint_token

SCREEN_ROLES = ["chef", "kitchen", "expo"]  # tickets, orders, coursing, tables; never void (a manager PIN)
# The status bar shows headquarters' sync lag, which GET /api/v1/upstream gives managers only: the screen's
# token is granted that one read permission by name, not a manager role (which would carry void).
SCREEN_PERMISSIONS = ["upstream:read"]
SCREEN_TOKEN_TTL = 24 * 3600


class ConnectionError_(RuntimeError):
    """The screen cannot tell where its daemon is or how to authenticate: one line saying what to pass."""


@dataclass(frozen=True)
class Endpoint:
    url: str
    token: str
    config: Config | None = None  # the device's configuration, when the screen runs beside its daemon


def locate(daemon: str | None, token: str | None, data_dir: Path | None) -> Endpoint:
    """The daemon URL and a token for it. --daemon/--token win; what they leave out comes from the data folder."""
    if daemon and token:
        return Endpoint(daemon.rstrip("/"), token)
    config = load_config(None, data_dir=data_dir)
    url = daemon or read_runtime(config.data_dir).get("url") or _configured_url(config)
    if token is None:
        token = device_token(config)
    return Endpoint(str(url).rstrip("/"), token, config)


def _configured_url(config: Config) -> str:
    host = "127.0.0.1" if config.server.host in ("0.0.0.0", "::") else config.server.host
    return f"http://{host}:{config.server.port}"


def device_token(config: Config) -> str:
    """A token minted with the location secret, as `heardctl token` does; the secret must already exist
    (the daemon creates it on first start): a screen never invents a location's identity."""
    if not config.secret_path.exists():
        raise ConnectionError_(
            f"no location secret at {config.secret_path}: start heard-daemon with this data folder first, "
            "or pass --daemon URL --token JWT"
        )
    secret = config.secret_path.read_bytes()
    return mint_token(
        secret,
        sub="heard-ui",
        roles=SCREEN_ROLES,
        permissions=SCREEN_PERMISSIONS,
        location_id=config.location.location_id,
        ttl_seconds=SCREEN_TOKEN_TTL,
        name="Kitchen screen",
        issuer=config.auth.issuer,
        audience=config.auth.audience,
    )
