"""Configuration: one typed tree loaded from TOML, environment and flags, validated once at start.

With no file the daemon runs the embedded default: a demo location with a few stations, routing
rules and a printer emulated to a file, all under the data directory.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daemon.domain.routing import pattern_error
from daemon.membership import read_location
from daemon.security.jwt_tokens import JwksError, read_jwks
from daemon.timezones import system_timezone, zone_error


class ConfigError(ValueError):
    """One clear line naming the key that is wrong."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key


@dataclass(frozen=True)
class ServerConfig:
    host: str = "0.0.0.0"
    port: int = 8420
    max_body_bytes: int = 1_048_576
    max_connections: int = 1000  # client connections at once; lowered at start to fit the descriptor limit
    request_timeout_seconds: int = 10  # for a request's line and headers (from its first byte), and for its body
    keepalive_timeout_seconds: int = 75  # an idle keep-alive connection is closed after this
    front: bool = True  # order writes' HTTP in a second process, on a second core, under load (daemon/front)
    # Order writes a second that start the front (0: run it from the start). Below this the one process has
    # ample room (a kitchen sends a few a minute; the core takes ~2,000 a second) and the front would only
    # add a hop to every order's way (bench.live).
    front_start_rate: int = 500
    front_idle_seconds: int = 600  # the front stops after this long under that rate


@dataclass(frozen=True)
class StoreConfig:
    retention_hours: int = 24  # finished orders stay in memory (and in completed lists) this long


@dataclass(frozen=True)
class AddressConfig:
    """The location's postal address, as Fresh's information routes report it."""

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None


@dataclass(frozen=True)
class LocationConfig:
    tenant_id: str = "demo-tenant"
    location_id: str = "demo-location"
    name: str = "Demo Kitchen"
    # IANA name; local times without a zone are read in it. None: the system's (filled in at load).
    timezone: str | None = None
    number: str | None = None  # shown by the information routes (Fresh's "KDS Cloud Information")
    address: AddressConfig = field(default_factory=AddressConfig)


@dataclass(frozen=True)
class DeviceConfig:
    id: str | None = None  # None: generated on first start and kept in the data directory
    name: str = "Heard KDS"


MAX_LEEWAY_SECONDS = 300  # clock skew beyond five minutes is a broken clock, not skew: fix the clock


@dataclass(frozen=True)
class AuthConfig:
    issuer: str | None = None
    audience: str | None = None
    leeway_seconds: int = 30  # 0 to MAX_LEEWAY_SECONDS
    jwks_file: str | None = None
    hs256: bool = True  # accept tokens signed with the location secret (heardctl token)


@dataclass(frozen=True)
class StationConfig:
    id: str
    name: str
    kind: str = "prep"
    printers: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutingRuleConfig:
    station: str
    menu_item_id: str | None = None
    category: str | None = None
    name_pattern: str | None = None
    default: bool = False


@dataclass(frozen=True)
class PrinterConfig:
    id: str
    kind: str = "file"  # file | network | usb | serial
    path: str | None = None  # file (relative: in the data directory), usb (/dev/usb/lp0), serial (/dev/ttyUSB0)
    host: str | None = None
    port: int = 9100
    backup_for: str | None = None
    profile: str = "default"  # a python-escpos profile name: columns, cutter, second colour
    failover_after_seconds: int = 20  # how long a job waits on a dead printer before its backup takes it
    baudrate: int = 9600  # serial printers


@dataclass(frozen=True)
class PrintingConfig:
    # A ticket no screen of its station has seen within this prints (the safety net); 0 turns it off.
    unseen_after_seconds: int = 60
    # Where an unseen ticket prints when its station has no printer; None: this device's first printer.
    unseen_printer: str | None = None


@dataclass(frozen=True)
class BumpBarConfig:
    id: str
    station: str
    kind: str = "serial"  # keyboard | evdev | serial
    path: str | None = None  # evdev: /dev/input/by-id/…-event-kbd; serial: /dev/ttyUSB0
    baudrate: int = 9600
    layout: str = "10-key"  # the default key map: 10-key or 20-key (docs/bumpbars.md)
    keys: dict[str, str] = field(default_factory=dict)  # key spec → action, on top of the layout


@dataclass(frozen=True)
class PeersConfig:
    urls: tuple[str, ...] = ()  # peers to replicate with, besides those joining recorded and mDNS finds
    mdns: bool = True  # advertise this device and find the location's other devices by mDNS


@dataclass(frozen=True)
class WebhooksConfig:
    timeout_seconds: int = 10  # a receiver that has not answered by then is retried later
    retry_base_ms: int = 1_000  # first retry within this (full jitter), doubling per attempt...
    retry_cap_ms: int = 600_000  # ...up to this: a receiver back from an outage is served within 10 min
    expire_hours: int = 72  # a delivery still failing after this is given up (failed, kept visible)


@dataclass(frozen=True)
class ScreenConfig:
    """The touchscreen (heard-ui) on this device: how it looks and when a ticket's timer changes colour."""

    theme: str = "dark"  # dark | high-contrast
    font_scale: float = 1.0
    language: str = "en"  # a file ui/locale/<language>.json
    warn_minutes: int = 5  # a ticket's timer turns amber (▲) at this age
    late_minutes: int = 10  # and red (■, LATE) at this one
    sound: str = "chime"  # chime | off: what a new ticket plays


@dataclass(frozen=True)
class UpstreamConfig:
    """Headquarters (heard-hq): where this device uploads its log. No [upstream] table: no upload."""

    url: str  # heard-hq's base URL, e.g. http://hq.example:8430
    token: str  # this location's device credential, printed by `heard-hq token --location ID`


@dataclass(frozen=True)
class FreshLanConfig:
    """The Fresh KDS local-network door (docs/fresh-compat.md). It carries no credentials: off by default."""

    enabled: bool = False
    discovery_port: int = 28000  # UDP: where this device's announcement goes every 2 s
    broadcast_to: tuple[str, ...] | None = None  # None: each IPv4 interface's broadcast address
    tcp_port: int = 9104  # TCP: where POS software sends its order commands
    allow: tuple[str, ...] | None = None  # addresses or networks; None: this device's own subnets


@dataclass(frozen=True)
class Config:
    data_dir: Path = Path(".heard")
    log_level: str = "INFO"
    server: ServerConfig = field(default_factory=ServerConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    location: LocationConfig = field(default_factory=LocationConfig)
    device: DeviceConfig = field(default_factory=DeviceConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    stations: tuple[StationConfig, ...] = ()
    routing: tuple[RoutingRuleConfig, ...] = ()
    printers: tuple[PrinterConfig, ...] = ()
    peers: PeersConfig = field(default_factory=PeersConfig)
    webhooks: WebhooksConfig = field(default_factory=WebhooksConfig)
    demo_dining_room: bool = False  # the embedded demo seeds a small dining room (tables API) on first start
    screen: ScreenConfig = field(default_factory=ScreenConfig)
    printing: PrintingConfig = field(default_factory=PrintingConfig)
    bumpbars: tuple[BumpBarConfig, ...] = ()
    upstream: UpstreamConfig | None = None
    fresh_lan: FreshLanConfig = field(default_factory=FreshLanConfig)

    @property
    def database_path(self) -> Path:
        return self.data_dir / "heard.db"

    @property
    def secret_path(self) -> Path:
        return self.data_dir / "location.secret"


DEMO: dict[str, Any] = {
    "stations": [
        {"id": "grill", "name": "Grill", "printers": ["kitchen-printer"]},
        {"id": "fry", "name": "Fry"},
        {"id": "cold", "name": "Cold / Pantry"},
        {"id": "bar", "name": "Bar"},
        {"id": "expo", "name": "Expo", "kind": "expo", "printers": ["kitchen-printer"]},
    ],
    "routing": [
        {"station": "grill", "name_pattern": r"burger|steak|ribeye|chicken|grill"},
        {"station": "fry", "name_pattern": r"fries|rings|tenders|fried"},
        {"station": "cold", "name_pattern": r"salad|shake|dessert|cake|ice cream"},
        {"station": "bar", "category": "drinks"},
        {"station": "grill", "default": True},
    ],
    "printers": [{"id": "kitchen-printer", "kind": "file", "path": "printer-kitchen.bin"}],
    "demo_dining_room": True,
}

_ENV = {
    "HEARD_HOST": ("server", "host"),
    "HEARD_PORT": ("server", "port"),
    "HEARD_TENANT_ID": ("location", "tenant_id"),
    "HEARD_LOCATION_ID": ("location", "location_id"),
    "HEARD_DEVICE_NAME": ("device", "name"),
    "HEARD_LOG_LEVEL": (None, "log_level"),
    "HEARD_MDNS": ("peers", "mdns"),
    "HEARD_FRONT": ("server", "front"),
    "HEARD_FRONT_START_RATE": ("server", "front_start_rate"),
}


def load_config(
    path: Path | None = None,
    *,
    data_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """File, then environment (HEARD_*), then flags; the embedded demo when there is no file.

    The file is `path` (the --config flag), else $HEARD_CONFIG (the systemd unit sets it); an empty
    HEARD_CONFIG counts as unset, so /etc/default/heard can switch a device back to the demo.
    """
    environ = os.environ if environ is None else environ
    source = "--config"
    if path is None and environ.get("HEARD_CONFIG"):
        path, source = Path(environ["HEARD_CONFIG"]), "HEARD_CONFIG"
    raw: dict[str, Any] = dict(DEMO) if path is None else _read(path, source)
    for var, (section, key) in _ENV.items():
        if var in environ:
            _put(raw, section, key, environ[var])
    if "HEARD_DATA_DIR" in environ:
        raw["data_dir"] = environ["HEARD_DATA_DIR"]
    if environ.get("HEARD_PEER_URLS"):  # comma- or space-separated: a systemd drop-in or a test can add peers
        urls = [u for u in re.split(r"[,\s]+", environ["HEARD_PEER_URLS"]) if u]
        raw["peers"] = {**raw.get("peers", {}), "urls": urls}
    for dotted, value in (overrides or {}).items():
        if value is not None:
            section, _, key = dotted.rpartition(".")
            _put(raw, section or None, key, value)
    if data_dir is not None:
        raw["data_dir"] = str(data_dir)
    config = _build(Config, raw, "")
    if config.location.timezone is None:
        location = dataclasses.replace(config.location, timezone=system_timezone(environ))
        config = dataclasses.replace(config, location=location)
    config = _joined(config)
    _check(config)
    return config


def _joined(config: Config) -> Config:
    """A device that joined a location (heardctl join) serves that location, whatever the file says."""
    joined = read_location(config.data_dir)
    if not joined:
        return config
    location = dataclasses.replace(config.location, **joined)
    return dataclasses.replace(config, location=location)


def _read(path: Path, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(source, f"{path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(source, f"{path} is a directory, not a file") from None
    except PermissionError:
        raise ConfigError(source, f"{path} is not readable by this user") from None
    except UnicodeDecodeError:
        raise ConfigError(source, f"{path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from None


def _put(raw: dict[str, Any], section: str | None, key: str, value: Any) -> None:
    if section is None:
        raw[key] = value
    else:
        raw[section] = {**raw.get(section, {}), key: value}


def _build(cls: type[Any], data: Any, prefix: str) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(prefix.rstrip(".") or "(top)", "must be a table")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in names:
            raise ConfigError(f"{prefix}{key}", f"unknown key; known keys: {', '.join(sorted(names))}")
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(key, "is required")
            continue
        values[f.name] = _coerce(hints[f.name], data[f.name], key)
    return cls(**values)


def _coerce(hint: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return None if value is None else _coerce(options[0], value, key)
    if origin is tuple:
        (inner, _) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(key, "must be a list")
        return tuple(_coerce(inner, v, f"{key}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, f"{key}.")
    if hint is bool:
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "0", "false", "no"):
            return value.lower() in ("1", "true", "yes")
        if not isinstance(value, bool):
            raise ConfigError(key, f"must be true or false, not {value!r}")
        return value
    if hint is int:
        try:
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(key, f"must be a whole number, not {value!r}") from None
    if hint is float:
        try:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(key, f"must be a number, not {value!r}") from None
    if hint is Path:
        return Path(str(value))
    if hint is str:
        if not isinstance(value, (str, int)):
            raise ConfigError(key, f"must be a string, not {value!r}")
        return str(value)
    return value


def _check(config: Config) -> None:
    if not 0 <= config.server.port <= 65535:
        raise ConfigError("server.port", f"must be between 0 and 65535, not {config.server.port}")
    if config.store.retention_hours < 1:
        raise ConfigError("store.retention_hours", "must be at least 1")
    if config.server.max_body_bytes < 1024:
        raise ConfigError("server.max_body_bytes", "must be at least 1024")
    for key in ("max_connections", "request_timeout_seconds", "keepalive_timeout_seconds", "front_idle_seconds"):
        if getattr(config.server, key) < 1:
            raise ConfigError(f"server.{key}", "must be at least 1")
    if config.server.front_start_rate < 0:
        raise ConfigError("server.front_start_rate", "must be 0 (from the start) or more order writes a second")
    if config.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("log_level", "must be one of DEBUG, INFO, WARNING, ERROR")
    for key in ("tenant_id", "location_id"):
        if not getattr(config.location, key).strip():
            raise ConfigError(f"location.{key}", "must not be empty")
    if config.location.timezone is not None and (error := zone_error(config.location.timezone)):
        raise ConfigError("location.timezone", error)
    _check_auth(config.auth)
    for key in ("timeout_seconds", "retry_base_ms", "retry_cap_ms", "expire_hours"):
        if getattr(config.webhooks, key) < 1:
            raise ConfigError(f"webhooks.{key}", "must be at least 1")
    _check_screen(config.screen)
    if config.upstream is not None:
        if not config.upstream.url.startswith(("http://", "https://")):
            raise ConfigError("upstream.url", f"must be an http:// or https:// URL, not {config.upstream.url!r}")
        if not config.upstream.token.strip():
            raise ConfigError("upstream.token", "must not be empty (heard-hq token --location LOCATION_ID)")
    _check_fresh_lan(config.fresh_lan)
    ids = [s.id for s in config.stations]
    printers = {p.id for p in config.printers}
    for i, station in enumerate(config.stations):
        if ids.count(station.id) > 1:
            raise ConfigError(f"stations[{i}].id", f"duplicate station id {station.id!r}")
        if station.kind not in ("prep", "expo"):
            raise ConfigError(f"stations[{i}].kind", "must be prep or expo")
        for printer in station.printers:
            if printer not in printers:
                raise ConfigError(f"stations[{i}].printers", f"no printer with id {printer!r}")
    # No stations at all is allowed: nothing is seeded, and the stations API (or the location's other
    # devices) provide them. Stations without a prep station would seed a kitchen where nothing is cooked
    # and where an item no rule claims, which goes to the first prep station, goes nowhere.
    if config.stations and not any(s.kind == "prep" for s in config.stations):
        raise ConfigError("stations", 'needs at least one prep station (kind = "prep"), not only expo')
    for i, rule in enumerate(config.routing):
        if rule.station not in ids:
            raise ConfigError(f"routing[{i}].station", f"no station with id {rule.station!r}")
        matches = [rule.menu_item_id, rule.category, rule.name_pattern]
        if sum(m is not None for m in matches) + int(rule.default) != 1:
            raise ConfigError(f"routing[{i}]", "needs exactly one of menu_item_id, category, name_pattern, default")
        if rule.name_pattern is not None and (error := pattern_error(rule.name_pattern)):
            raise ConfigError(f"routing[{i}].name_pattern", f"not a valid pattern: {error}")
    for i, url in enumerate(config.peers.urls):
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"peers.urls[{i}]", f"must be an http:// or https:// URL, not {url!r}")
    _check_printers(config)
    _check_bumpbars(config, ids)


def _check_printers(config: Config) -> None:
    from drivers.printers.escpos_lib import profile_known

    ids = [p.id for p in config.printers]
    for i, printer in enumerate(config.printers):
        key = f"printers[{i}]"
        if ids.count(printer.id) > 1:
            raise ConfigError(f"{key}.id", f"duplicate printer id {printer.id!r}")
        if printer.kind not in ("file", "network", "usb", "serial"):
            raise ConfigError(f"{key}.kind", "must be file, network, usb or serial")
        if printer.kind == "network" and not printer.host:
            raise ConfigError(f"{key}.host", "a network printer needs a host")
        if printer.kind != "network" and not printer.path:
            raise ConfigError(f"{key}.path", f"a {printer.kind} printer needs a path")
        if printer.backup_for is not None and (printer.backup_for not in ids or printer.backup_for == printer.id):
            raise ConfigError(f"{key}.backup_for", f"no other printer with id {printer.backup_for!r}")
        if not profile_known(printer.profile):
            raise ConfigError(f"{key}.profile", f"python-escpos knows no profile {printer.profile!r}")
        if printer.failover_after_seconds < 1:
            raise ConfigError(f"{key}.failover_after_seconds", "must be at least 1")
    if config.printing.unseen_after_seconds < 0:
        raise ConfigError("printing.unseen_after_seconds", "must be 0 (off) or more")
    unseen = config.printing.unseen_printer
    if unseen is not None and unseen not in ids:
        raise ConfigError("printing.unseen_printer", f"no printer with id {unseen!r}")


def _check_bumpbars(config: Config, stations: list[str]) -> None:
    from drivers.bumpbars.keymap import KeyMap, KeyMapError, default_keymap

    ids = [b.id for b in config.bumpbars]
    for i, bar in enumerate(config.bumpbars):
        key = f"bumpbars[{i}]"
        if ids.count(bar.id) > 1:
            raise ConfigError(f"{key}.id", f"duplicate bump bar id {bar.id!r}")
        if bar.kind not in ("keyboard", "evdev", "serial"):
            raise ConfigError(f"{key}.kind", "must be keyboard, evdev or serial")
        if bar.kind != "keyboard" and not bar.path:
            raise ConfigError(f"{key}.path", f"a {bar.kind} bar needs a path")
        if stations and bar.station not in stations:
            raise ConfigError(f"{key}.station", f"no station with id {bar.station!r}")
        if not isinstance(bar.keys, dict) or not all(isinstance(v, str) for v in bar.keys.values()):
            raise ConfigError(f"{key}.keys", 'must be a table of key = "action"')
        try:
            KeyMap.from_specs(bar.keys, default_keymap(bar.layout))
        except KeyMapError as exc:
            where = "keys" if bar.layout in ("10-key", "20-key") else "layout"
            raise ConfigError(f"{key}.{where}", str(exc)) from None


def _check_screen(screen: ScreenConfig) -> None:
    if screen.theme not in ("dark", "high-contrast"):
        raise ConfigError("screen.theme", "must be dark or high-contrast")
    if not 0.5 <= screen.font_scale <= 3.0:
        raise ConfigError("screen.font_scale", "must be between 0.5 and 3.0")
    if not 1 <= screen.warn_minutes < screen.late_minutes:
        raise ConfigError("screen.late_minutes", "must be greater than screen.warn_minutes, which must be at least 1")
    if screen.sound not in ("chime", "off"):
        raise ConfigError("screen.sound", "must be chime or off")


def _check_fresh_lan(lan: FreshLanConfig) -> None:
    for key in ("discovery_port", "tcp_port"):
        port = getattr(lan, key)
        if not 0 <= port <= 65535:
            raise ConfigError(f"fresh_lan.{key}", f"must be between 0 and 65535, not {port}")
    for i, address in enumerate(lan.broadcast_to or ()):
        try:
            ipaddress.IPv4Address(address)
        except ValueError:
            raise ConfigError(f"fresh_lan.broadcast_to[{i}]", f"not an IPv4 address: {address!r}") from None
    for i, network in enumerate(lan.allow or ()):
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(f"fresh_lan.allow[{i}]", f"not an address or network: {network!r}") from None


def _check_auth(auth: AuthConfig) -> None:
    """Refuse a door that could never open, or one whose keys are missing: both would turn every
    token away at service time with nothing in the log but 401s."""
    if not 0 <= auth.leeway_seconds <= MAX_LEEWAY_SECONDS:
        raise ConfigError(
            "auth.leeway_seconds", f"must be between 0 and {MAX_LEEWAY_SECONDS}, not {auth.leeway_seconds}"
        )
    if auth.jwks_file is None:
        if not auth.hs256:
            raise ConfigError("auth.hs256", "is false and there is no auth.jwks_file: no token could be accepted")
        return
    try:
        jwks = read_jwks(auth.jwks_file)
    except JwksError as exc:
        raise ConfigError("auth.jwks_file", str(exc)) from None
    if not jwks.by_kid and not auth.hs256:
        message = f"{auth.jwks_file} has no EdDSA or ES256 key and auth.hs256 is false: no token could be accepted"
        raise ConfigError("auth.jwks_file", message)
