"""The location's time zone: the system's by default, checked against the IANA database at start.

POS software often sends local times without a zone; they are read in this zone (location.timezone).
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Mapping
from pathlib import Path

_ZONEINFO_ROOTS = ("/usr/share/zoneinfo/", "/usr/lib/zoneinfo/", "/usr/share/lib/zoneinfo/")


def system_timezone(environ: Mapping[str, str] | None = None, etc: Path = Path("/etc")) -> str:
    """The IANA name of the system's zone: $TZ when it names one, else where /etc/localtime points, else
    /etc/timezone (Debian), else UTC. A name, not an offset: the offset changes twice a year."""
    environ = os.environ if environ is None else environ
    tz = environ.get("TZ", "").lstrip(":")
    if tz and is_zone(tz):
        return tz
    try:
        target = os.path.realpath(etc / "localtime")
    except OSError:
        target = ""
    for root in _ZONEINFO_ROOTS:
        if target.startswith(root) and is_zone(target[len(root) :]):
            return target[len(root) :]
    try:
        name = (etc / "timezone").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        name = ""
    return name if name and is_zone(name) else "UTC"


def is_zone(name: str) -> bool:
    return zone_error(name) is None


def zone_error(name: str) -> str | None:
    """Why `name` is not a time zone this machine knows, or None when it is one."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        return f"not a known IANA time zone such as Europe/Paris or America/Chicago ({exc})"
    return None
