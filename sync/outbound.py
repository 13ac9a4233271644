"""Committed events on their way to the peers streaming from this device.

One store listener encodes each committed event once (local writes and those taken from other peers
alike, so events travel on through a chain of devices) and hands it to every open peer stream. A stream
whose queue passes its bound is closed: the peer reconnects and pulls from its version vector, so a slow
peer costs a reconnect, never unbounded memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from daemon.domain.events import Event
from sync.wire import event_to_wire

log = logging.getLogger(__name__)

QUEUE_LIMIT = 10_000  # events waiting for one peer's socket


@dataclass(eq=False)
class Stream:
    """One peer's live stream: (origin, seq, encoded event) waiting to be sent."""

    peer_device: str
    queue: list[tuple[str, int, bytes]] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    overflowed: bool = False


class Outbound:
    def __init__(self) -> None:
        self._streams: set[Stream] = set()
        self.sockets: set[Any] = set()  # the peer streams' WebSockets, closed at shutdown

    def open(self, peer_device: str) -> Stream:
        stream = Stream(peer_device)
        self._streams.add(stream)
        return stream

    def close(self, stream: Stream) -> None:
        self._streams.discard(stream)

    def devices(self) -> set[str]:
        """The peers streaming from this device now."""
        return {s.peer_device for s in self._streams}

    @property
    def count(self) -> int:
        return len(self._streams)

    def publish(self, positioned: list[tuple[int, Event]], states: Mapping[tuple[str, str], Any]) -> None:
        if not self._streams:
            return
        encoded: dict[tuple[str, int], bytes] = {}  # each event encoded once, and only if a stream wants it
        for stream in list(self._streams):
            # A peer's own events never go back to it: it made them (a catch-up from that peer is all its own).
            mine = [
                (e.origin, e.seq, encoded.get(e.id) or encoded.setdefault(e.id, orjson.dumps(event_to_wire(e))))
                for _, e in positioned
                if e.origin != stream.peer_device
            ]
            if not mine:
                continue
            if len(stream.queue) + len(mine) > QUEUE_LIMIT:
                log.warning("closing a slow peer stream peer=%s queued=%d", stream.peer_device, len(stream.queue))
                stream.overflowed = True
                self._streams.discard(stream)
            else:
                stream.queue.extend(mine)
            stream.wake.set()


def events_message(encoded: list[bytes]) -> bytes:
    """A stream message of already-encoded events: `{"type": "events", "events": [...]}`."""
    return b'{"type":"events","events":[' + b",".join(encoded) + b"]}"
