"""The upload's wire format: one event as JSON, as the device sends it and headquarters reads it.

Kept beside the uploader (the sender owns the format) and imported by `sync/hq`: both halves read and
write the same shape, `{"origin", "seq", "hlc": {"wall_ms", "counter"}, "type", "aggregate",
"aggregate_id", "payload", "actor", "schema"}`. Unknown fields are ignored by the reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from daemon.domain.events import Actor, Event
from daemon.domain.hlc import Stamp

MAX_TEXT = 200  # origins, types, aggregate kinds and ids are short names, not documents


def event_to_wire(event: Event) -> dict[str, Any]:
    return {
        "origin": event.origin,
        "seq": event.seq,
        "hlc": {"wall_ms": event.stamp.wall_ms, "counter": event.stamp.counter},
        "type": event.type,
        "aggregate": event.aggregate,
        "aggregate_id": event.aggregate_id,
        "payload": event.payload,
        "actor": event.actor.to_json(),
        "schema": event.schema,
    }


class WireError(ValueError):
    """An event that cannot be read: names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _text(data: Mapping[str, Any], key: str, *, empty: bool = False) -> str:
    value = data.get(key)
    if not isinstance(value, str) or (not value and not empty) or len(value) > MAX_TEXT:
        raise WireError(key, f"must be a string of 1 to {MAX_TEXT} characters")
    return value


def _whole(data: Mapping[str, Any], key: str, field: str, minimum: int) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum or value > 2**62:
        raise WireError(field, f"must be a whole number of at least {minimum}")
    return value


def event_from_wire(data: Any) -> Event:
    """Read one event; raises WireError naming the first field that is wrong."""
    if not isinstance(data, Mapping):
        raise WireError("event", "must be an object")
    origin = _text(data, "origin")
    seq = _whole(data, "seq", "seq", 1)
    hlc = data.get("hlc")
    if not isinstance(hlc, Mapping):
        raise WireError("hlc", "must be an object with wall_ms and counter")
    stamp = Stamp(_whole(hlc, "wall_ms", "hlc.wall_ms", 0), _whole(hlc, "counter", "hlc.counter", 0), origin)
    payload = data.get("payload")
    if not isinstance(payload, Mapping):
        raise WireError("payload", "must be an object")
    actor = data.get("actor", {})
    if not isinstance(actor, Mapping):
        raise WireError("actor", "must be an object")
    schema = _whole(data, "schema", "schema", 1) if "schema" in data else 1
    return Event(
        origin=origin,
        seq=seq,
        stamp=stamp,
        type=_text(data, "type"),
        aggregate=_text(data, "aggregate"),
        aggregate_id=_text(data, "aggregate_id"),
        payload=dict(payload),
        actor=Actor.from_json(actor),
        schema=schema,
    )
