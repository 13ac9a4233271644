"""The wire format of events between peers: one JSON object per event (docs/replication.md).

Strict in what it sends (every field, always), liberal in what it takes (unknown fields are ignored, an
absent actor is the device itself, an absent schema is 1); an event that cannot be read is refused whole
with the field named, never half-taken: a gapless log cannot skip a seq it could not read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from daemon.domain.events import SCHEMA_VERSION, Actor, Event
from daemon.domain.hlc import Stamp


class WireError(ValueError):
    """A peer sent something that is not an event: the link is dropped and pulled again."""


def event_to_wire(event: Event) -> dict[str, Any]:
    return {
        "origin": event.origin,
        "seq": event.seq,
        "hlc": [event.stamp.wall_ms, event.stamp.counter],
        "type": event.type,
        "aggregate": event.aggregate,
        "aggregateId": event.aggregate_id,
        "payload": dict(event.payload),
        "actor": event.actor.to_json(),
        "schema": event.schema,
    }


def events_to_wire(events: Iterable[Event]) -> list[dict[str, Any]]:
    return [event_to_wire(e) for e in events]


def _field(data: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise WireError(f"event.{name} is missing or not a {getattr(kind, '__name__', kind)}: {value!r:.80}")
    return value


def event_from_wire(data: Any) -> Event:
    if not isinstance(data, Mapping):
        raise WireError("an event must be a JSON object")
    origin = _field(data, "origin", str)
    seq = _field(data, "seq", int)
    if seq < 1 or not origin:
        raise WireError(f"event.seq must be positive and event.origin non-empty: {origin!r:.80}/{seq}")
    hlc = data.get("hlc")
    if (
        not isinstance(hlc, list)
        or len(hlc) != 2
        or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in hlc)
    ):
        raise WireError(f"event.hlc must be [wall_ms, counter]: {hlc!r:.80}")
    payload = data.get("payload", {})
    if not isinstance(payload, Mapping):
        raise WireError("event.payload must be an object")
    actor = data.get("actor")
    if actor is not None and not isinstance(actor, Mapping):
        raise WireError("event.actor must be an object")
    schema = data.get("schema", SCHEMA_VERSION)
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise WireError("event.schema must be a whole number")
    return Event(
        origin=origin,
        seq=seq,
        stamp=Stamp(hlc[0], hlc[1], origin),
        type=_field(data, "type", str),
        aggregate=_field(data, "aggregate", str),
        aggregate_id=_field(data, "aggregateId", str),
        payload=dict(payload),
        actor=Actor.from_json(actor),
        schema=schema,
    )


def events_from_wire(data: Any) -> list[Event]:
    if not isinstance(data, list):
        raise WireError("events must be a JSON array")
    return [event_from_wire(item) for item in data]


def versions_from_wire(data: Any) -> dict[str, int]:
    """A version vector {origin: highest seq}; anything else is refused."""
    if not isinstance(data, Mapping):
        raise WireError("versions must be an object of origin to seq")
    out: dict[str, int] = {}
    for origin, seq in data.items():
        if not isinstance(origin, str) or not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise WireError(f"versions[{origin!r:.80}] must be a whole number >= 0")
        out[origin] = seq
    return out
