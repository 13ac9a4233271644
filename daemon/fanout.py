"""Live events for clients: every committed event becomes one message, serialized once, delivered to the
WebSocket clients subscribed to one of its channels, and replayable from the log by cursor."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from daemon.domain.events import Event, OrderEvents
from daemon.domain.model import Order
from daemon.domain.setup import SETUP

log = logging.getLogger(__name__)

# Kitchen-orders seed names first; Heard's own for tickets and courses (documented in docs/api.md).
MESSAGE_OF_EVENT = {
    OrderEvents.CREATED: "order:new",
    OrderEvents.REPLACED: "order:updated",
    OrderEvents.PATCHED: "order:updated",
    OrderEvents.CANCELED: "order:updated",
    OrderEvents.ITEM_STATUS_SET: "order:item_status",
    OrderEvents.TICKET_STARTED: "ticket:updated",
    OrderEvents.TICKET_READIED: "ticket:updated",
    OrderEvents.TICKET_BUMPED: "ticket:updated",
    OrderEvents.TICKET_RECALLED: "ticket:updated",
    OrderEvents.TICKET_VOIDED: "ticket:updated",
    OrderEvents.TICKET_PRIORITY_SET: "ticket:updated",
    OrderEvents.COURSE_FIRED: "course:updated",
    OrderEvents.COURSE_HELD: "course:updated",
    OrderEvents.COURSE_SKIPPED: "course:updated",
}

Render = Callable[[Event, Any], dict[str, Any]]


@dataclass(eq=False)
class Client:
    """One connected client: its channels and a bounded queue of serialized messages."""

    queue: asyncio.Queue[str | None]
    channels: set[str] = field(default_factory=set)
    dropped: bool = False
    gate: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.gate.set()  # cleared only while a replay is being sent


class Hub:
    """Fan-out of committed events. A client whose queue fills up is dropped (it resumes by cursor),
    so one stuck screen never costs unbounded memory or slows the others."""

    def __init__(self, branch_id: str, render: Render, queue_limit: int = 2000) -> None:
        self.branch_id = branch_id
        self.queue_limit = queue_limit
        self._render = render
        self._clients: set[Client] = set()
        self.committed_pos = 0

    def channels_of(self, event: Event, state: Any) -> list[str]:
        branch = f"branch:{self.branch_id}"
        if event.aggregate == SETUP:
            return [branch]
        channels = [branch, f"{branch}:kitchen"]
        if isinstance(state, Order) and state.fields.get("sessionId"):
            channels.append(f"session:{state.fields['sessionId']}")
        return channels

    def message(self, pos: int, event: Event, state: Any) -> tuple[str, list[str]]:
        channels = self.channels_of(event, state)
        name = MESSAGE_OF_EVENT.get(event.type, event.type.replace(".", ":"))
        body = {
            "type": "event",
            "event": name,
            "cursor": pos,
            "channels": channels,
            "source": {"type": event.type, "origin": event.origin, "seq": event.seq},
            "data": self._render(event, state),
        }
        return orjson.dumps(body).decode(), channels

    def publish(self, positioned: list[tuple[int, Event]], states: Mapping[tuple[str, str], Any]) -> None:
        for pos, event in positioned:
            self.committed_pos = max(self.committed_pos, pos)
            if not self._clients:
                continue
            state = states.get((event.aggregate, event.aggregate_id))
            text, channels = self.message(pos, event, state)
            for client in list(self._clients):
                if client.channels.intersection(channels):
                    self.deliver(client, text)

    def deliver(self, client: Client, text: str) -> None:
        if client.dropped:
            return
        if client.queue.qsize() < self.queue_limit:
            client.queue.put_nowait(text)
        else:
            log.warning("dropping slow websocket client queued=%d", client.queue.qsize())
            client.dropped = True
            self._clients.discard(client)
            while not client.queue.empty():
                client.queue.get_nowait()
            client.queue.put_nowait(None)  # tells the sender to close with "resume by cursor"

    def new_client(self) -> Client:
        # One slot more than the limit, so the close marker always fits after the queue is cleared.
        return Client(asyncio.Queue(maxsize=self.queue_limit + 1))

    def add(self, client: Client) -> None:
        self._clients.add(client)

    def remove(self, client: Client) -> None:
        self._clients.discard(client)

    @property
    def client_count(self) -> int:
        return len(self._clients)
