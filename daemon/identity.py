"""This device's identity: an id generated on first start and kept in the data directory."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Device:
    id: str
    name: str


def load_or_create_device(data_dir: Path, name: str, configured_id: str | None = None) -> Device:
    """The configured id wins; otherwise the id stored on first start, so restarts keep the same origin."""
    if configured_id:
        return Device(configured_id, name)
    path = data_dir / "device.json"
    if path.exists():
        return Device(str(json.loads(path.read_text())["device_id"]), name)
    data_dir.mkdir(parents=True, exist_ok=True)
    device_id = str(uuid.uuid4())
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"device_id": device_id}))
    os.replace(tmp, path)
    return Device(device_id, name)
