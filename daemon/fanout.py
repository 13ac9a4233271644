"""Live events for clients: every committed event becomes one message, serialized once, delivered to the
WebSocket clients subscribed to one of its channels, and replayable from the log by cursor."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from daemon.domain.events import Event, OrderEvents
from daemon.domain.floor import FLOOR
from daemon.domain.model import Order
from daemon.domain.notices import NoticeEvents
from daemon.domain.setup import SETUP
from daemon.domain.table_sync import SyncEvents
from daemon.domain.tables import TABLE
from daemon.domain.templates import TemplateEvents
from daemon.domain.timing_alerts import AlertEvents
from daemon.domain.timing_config import ConfigEvents
from daemon.domain.webhooks import WEBHOOKS

log = logging.getLogger(__name__)

# Settings and the front of house: the kitchen channel carries orders, items, tickets and courses only.
_BRANCH_ONLY = frozenset({SETUP, FLOOR, TABLE, WEBHOOKS})

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
    OrderEvents.COURSE_COMPLETED: "course:updated",
    OrderEvents.COURSE_PROGRESSED: "course:updated",
    OrderEvents.COURSE_READIED: "course:updated",
    OrderEvents.COURSE_SERVED: "course:updated",
    OrderEvents.COURSE_SCHEDULED: "course:updated",
    OrderEvents.PACE_SET: "pace:updated",
    AlertEvents.RAISED: "alert:new",
    AlertEvents.ACKNOWLEDGED: "alert:acknowledged",
    TemplateEvents.CREATED: "template:updated",
    TemplateEvents.UPDATED: "template:updated",
    TemplateEvents.DELETED: "template:updated",
    TemplateEvents.TIMING_SET: "template:updated",
    ConfigEvents.UPDATED: "coursing_config:updated",
    SyncEvents.CREATED: "table_sync:updated",
    SyncEvents.DELETED: "table_sync:updated",
    SyncEvents.ORDER_ADDED: "table_sync:updated",
    SyncEvents.ORDER_REMOVED: "table_sync:updated",
    SyncEvents.ADVANCED: "table_sync:updated",
    OrderEvents.CUSTOMER_ARRIVED: "notification:customer_arrived",
    OrderEvents.ARRIVAL_ESTIMATED: "notification:estimated_arrival",
    NoticeEvents.SENT: "notification:message",
}
# Notifications name the devices whose screens they are for: they also go to each one's `device:<id>` channel.
_TARGETED = frozenset({OrderEvents.CUSTOMER_ARRIVED, OrderEvents.ARRIVAL_ESTIMATED, NoticeEvents.SENT})

Render = Callable[[Event, Any], dict[str, Any]]
DEFAULT_QUEUE_MESSAGES = 2000
DEFAULT_QUEUE_BYTES = 4 * 1024 * 1024


@dataclass(eq=False)
class Client:
    """One connected client: its channels, each with the cursor after which it has been delivered, and a
    bounded backlog of serialized messages waiting for its socket."""

    channels: dict[str, int] = field(default_factory=dict)
    backlog: deque[str] = field(default_factory=deque)
    backlog_bytes: int = 0
    dropped: bool = False
    paused: bool = False  # while a replay is being sent, live messages wait in the backlog
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    # Told at once when the hub drops the client: its sender may be stuck on a full socket.
    on_drop: Callable[[], None] | None = None

    def wants(self, channels: list[str]) -> bool:
        return any(c in self.channels for c in channels)

    def next_message(self) -> str | None:
        """The next message to send, or None when there is nothing to send now."""
        if self.paused or not self.backlog:
            return None
        text = self.backlog.popleft()
        self.backlog_bytes -= len(text)
        return text


class Hub:
    """Fan-out of committed events. A client whose backlog passes its bound (in messages or bytes) is
    dropped and told to resume by cursor, so one stuck screen never costs unbounded memory or slows
    the others."""

    def __init__(
        self,
        branch_id: str,
        render: Render,
        queue_limit: int = DEFAULT_QUEUE_MESSAGES,
        queue_bytes: int = DEFAULT_QUEUE_BYTES,
    ) -> None:
        self.branch_id = branch_id
        self.queue_limit = queue_limit
        self.queue_bytes = queue_bytes
        self._render = render
        self._clients: set[Client] = set()
        self.committed_pos = 0
        self.render_failures = 0  # events that could not be rendered, skipped (shown by /readyz)

    def channels_of(self, event: Event, state: Any) -> list[str]:
        branch = f"branch:{self.branch_id}"
        if event.aggregate in _BRANCH_ONLY:
            return [branch]
        channels = [branch, f"{branch}:kitchen"]
        if event.type in _TARGETED:
            channels += [f"device:{d}" for d in event.payload.get("devices") or ()]
        if isinstance(state, Order) and state.fields.get("sessionId"):
            channels.append(f"session:{state.fields['sessionId']}")
        return channels

    def message(self, pos: int, event: Event, state: Any) -> tuple[str, list[str]] | None:
        """The serialized message of an event and its channels; None (logged, counted) if it cannot be
        rendered, so one bad record never stops the events around it."""
        channels = self.channels_of(event, state)
        name = MESSAGE_OF_EVENT.get(event.type, event.type.replace(".", ":"))
        try:
            body = {
                "type": "event",
                "event": name,
                "cursor": pos,
                "channels": channels,
                "source": {"type": event.type, "origin": event.origin, "seq": event.seq},
                "data": self._render(event, state),
            }
            return orjson.dumps(body).decode(), channels
        except Exception:
            self.render_failures += 1
            log.exception(
                "skipping an event that cannot be rendered pos=%d type=%s aggregate=%.80s",
                pos,
                event.type,
                event.aggregate_id,
            )
            return None

    def publish(self, positioned: list[tuple[int, Event]], states: Mapping[tuple[str, str], Any]) -> None:
        for pos, event in positioned:
            self.committed_pos = max(self.committed_pos, pos)
            if not self._clients:
                continue
            state = states.get((event.aggregate, event.aggregate_id))
            message = self.message(pos, event, state)
            if message is None:
                continue
            text, channels = message
            for client in list(self._clients):
                if client.wants(channels):
                    self.deliver(client, text)

    def send_transient(self, message: dict[str, Any], channel: str) -> None:
        """A message that is not an event of the log (no cursor, never replayed): what is true now and only
        now, such as a station's bump-bar selection. Sent to the clients subscribed to `channel`; a client
        that reconnects asks for the present state again instead of resuming it."""
        if not self._clients:
            return
        text = orjson.dumps({**message, "channel": channel}).decode()
        for client in list(self._clients):
            if channel in client.channels:
                self.deliver(client, text)

    def deliver(self, client: Client, text: str) -> None:
        if client.dropped:
            return
        if len(client.backlog) >= self.queue_limit or client.backlog_bytes + len(text) > self.queue_bytes:
            log.warning(
                "dropping slow websocket client queued=%d queued_bytes=%d", len(client.backlog), client.backlog_bytes
            )
            self.drop(client)
            return
        client.backlog.append(text)
        client.backlog_bytes += len(text)
        client.wake.set()

    def drop(self, client: Client) -> None:
        """Forget the client's backlog at once and tell its socket to close with 'resume by cursor'."""
        client.dropped = True
        client.backlog.clear()
        client.backlog_bytes = 0
        self._clients.discard(client)
        client.wake.set()
        if client.on_drop is not None:
            client.on_drop()

    def new_client(self) -> Client:
        return Client()

    def add(self, client: Client) -> None:
        if not client.dropped:
            self._clients.add(client)

    def remove(self, client: Client) -> None:
        self._clients.discard(client)

    @property
    def client_count(self) -> int:
        return len(self._clients)
