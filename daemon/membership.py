"""What joining leaves in a device's data directory: the location it belongs to and the peers it knows.

`location.json` (written by `heardctl join`) makes the device one of the location's: its tenant, id and
name win over the configuration's, because a device that took the location's secret and then served
another location id would be refused by every peer. `peers.json` lists peer URLs learned by joining and
from peers that introduced themselves; `peers.urls` in the configuration adds more.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

LOCATION_FILE = "location.json"
PEERS_FILE = "peers.json"


def _write_atomically(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


def read_location(data_dir: Path) -> dict[str, str] | None:
    """The joined location (tenant_id, location_id, name), or None on a device that never joined."""
    try:
        data = json.loads((data_dir / LOCATION_FILE).read_text())
    except FileNotFoundError:
        return None
    return {k: str(data[k]) for k in ("tenant_id", "location_id", "name") if k in data}


def write_location(data_dir: Path, tenant_id: str, location_id: str, name: str) -> None:
    _write_atomically(data_dir / LOCATION_FILE, {"tenant_id": tenant_id, "location_id": location_id, "name": name})


def read_peer_urls(data_dir: Path) -> list[str]:
    try:
        data = json.loads((data_dir / PEERS_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return []
    return [str(u) for u in data.get("urls", []) if isinstance(u, str)]


def add_peer_urls(data_dir: Path, urls: list[str]) -> list[str]:
    """Add URLs to peers.json (kept in order, no duplicates); the full list after."""
    known = read_peer_urls(data_dir)
    new = [u for u in (normalise_url(u) for u in urls) if u not in known]
    if new:
        known += new
        _write_atomically(data_dir / PEERS_FILE, {"urls": known})
    return known


def remove_peer_url(data_dir: Path, url: str) -> bool:
    known = read_peer_urls(data_dir)
    url = normalise_url(url)
    if url not in known:
        return False
    _write_atomically(data_dir / PEERS_FILE, {"urls": [u for u in known if u != url]})
    return True


def normalise_url(url: str) -> str:
    return url.strip().rstrip("/")
