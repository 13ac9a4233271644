"""The upload's wire format: one event as JSON, as the device sends it and headquarters reads it.

Kept beside the uploader (the sender owns the format) and imported by `sync/hq`: both halves read and
write the same shape, `{"origin", "seq", "hlc": {"wall_ms", "counter"}, "type", "aggregate",
"aggregate_id", "payload", "actor", "schema"}`. Unknown fields are ignored by the reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
import orjson

from daemon.domain.events import Actor, Event
from daemon.domain.hlc import Stamp

MAX_TEXT = 200  # origins, types, aggregate kinds and ids are short names, not documents
MAX_WHOLE = 2**62


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


# ---- the fast path: a whole batch read in one pass -----------------------------------------------------
#
# Headquarters reads a batch with msgspec into these structs, keeping each payload and actor as the bytes the
# device sent (stored as they came: no parse and re-encode of every payload). The constraints are those of
# `event_from_wire`; a batch this path refuses is read again event by event with `event_from_wire`, whose
# errors name the event and the field.

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT)]


class WireHlc(msgspec.Struct):
    wall_ms: Annotated[int, msgspec.Meta(ge=0, le=MAX_WHOLE)]
    counter: Annotated[int, msgspec.Meta(ge=0, le=MAX_WHOLE)]


class WireEvent(msgspec.Struct, gc=False):
    """One event as it arrived; `payload` and `actor` are the raw JSON of objects."""

    origin: Text
    seq: Annotated[int, msgspec.Meta(ge=1, le=MAX_WHOLE)]
    hlc: WireHlc
    type: Text
    aggregate: Text
    aggregate_id: Text
    payload: msgspec.Raw
    actor: msgspec.Raw = msgspec.Raw(b"{}")
    schema: Annotated[int, msgspec.Meta(ge=1, le=MAX_WHOLE)] = 1

    @property
    def id(self) -> tuple[str, int]:
        return (self.origin, self.seq)

    def event(self) -> Event:
        """The domain's Event (payload parsed): only for the events headquarters folds."""
        actor = orjson.loads(memoryview(self.actor))
        return Event(
            origin=self.origin,
            seq=self.seq,
            stamp=Stamp(self.hlc.wall_ms, self.hlc.counter, self.origin),
            type=self.type,
            aggregate=self.aggregate,
            aggregate_id=self.aggregate_id,
            payload=orjson.loads(memoryview(self.payload)),
            actor=Actor.from_json(actor),
            schema=self.schema,
        )


class WireBatch(msgspec.Struct):
    location_id: str
    events: list[WireEvent]


_batch_decoder = msgspec.json.Decoder(WireBatch)


def _is_object(raw: msgspec.Raw) -> bool:
    return bytes(memoryview(raw)[:1]) == b"{"


def batch_from_wire(body: bytes) -> WireBatch | None:
    """The batch read in one pass, or None when anything in it is off (the caller reads it the slow way
    and names what is wrong)."""
    try:
        batch = _batch_decoder.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    for e in batch.events:
        if not (_is_object(e.payload) and _is_object(e.actor)):
            return None
    return batch


def wire_of_event(event: Event) -> WireEvent:
    """An Event read by `event_from_wire`, in the fast path's shape."""
    return WireEvent(
        origin=event.origin,
        seq=event.seq,
        hlc=WireHlc(event.stamp.wall_ms, event.stamp.counter),
        type=event.type,
        aggregate=event.aggregate,
        aggregate_id=event.aggregate_id,
        payload=msgspec.Raw(orjson.dumps(event.payload)),
        actor=msgspec.Raw(orjson.dumps(event.actor.to_json())),
        schema=event.schema,
    )
