"""Events: the facts every state in Heard is folded from, and the order they are folded in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from daemon.domain.hlc import Stamp

SCHEMA_VERSION = 1


class Actor(msgspec.Struct, frozen=True, gc=False):
    """Who caused an event: a JWT subject with roles, an integration, or the device itself (timers)."""

    sub: str
    roles: tuple[str, ...] = ()
    kind: str = "user"  # user | integration | device

    def to_json(self) -> dict[str, Any]:
        return {"sub": self.sub, "roles": list(self.roles), "kind": self.kind}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Actor:
        if not data:
            return SYSTEM
        return cls(str(data.get("sub", "")), tuple(data.get("roles", ())), str(data.get("kind", "user")))


SYSTEM = Actor("heard", (), "device")


class Change(msgspec.Struct, frozen=True, gc=False):
    """What a command decides: an event not yet stamped with origin, seq and clock."""

    type: str
    aggregate: str
    aggregate_id: str
    payload: Mapping[str, Any] = msgspec.field(default_factory=dict)


class Event(msgspec.Struct, frozen=True, gc=False):
    """A fact in the log. Its id is (origin, seq); seq is gapless per origin device."""

    origin: str
    seq: int
    stamp: Stamp
    type: str
    aggregate: str
    aggregate_id: str
    payload: Mapping[str, Any]
    actor: Actor = SYSTEM
    schema: int = SCHEMA_VERSION

    @property
    def id(self) -> tuple[str, int]:
        return (self.origin, self.seq)

    @property
    def at_ms(self) -> int:
        """When it happened, by the clock of the device that made it (HLC physical part)."""
        return self.stamp.wall_ms

    @property
    def sort_key(self) -> tuple[int, int, str, int]:
        return (self.stamp.wall_ms, self.stamp.counter, self.stamp.origin, self.seq)


def in_fold_order(events: list[Event]) -> list[Event]:
    """Events without duplicates (same id), in the one order every device folds them: (hlc, origin)."""
    unique: dict[tuple[str, int], Event] = {}
    for event in events:
        unique.setdefault(event.id, event)
    return sorted(unique.values(), key=lambda e: e.sort_key)


class OrderEvents:
    """The event types of the order aggregate (an order with its items, tickets and courses)."""

    CREATED = "order.created"
    REPLACED = "order.replaced"  # integrator full update
    PATCHED = "order.patched"  # integrator partial update
    CANCELED = "order.canceled"
    ITEM_STATUS_SET = "item.status_set"
    TICKET_STARTED = "ticket.started"
    TICKET_READIED = "ticket.readied"
    TICKET_BUMPED = "ticket.bumped"
    TICKET_RECALLED = "ticket.recalled"
    TICKET_VOIDED = "ticket.voided"
    TICKET_PRIORITY_SET = "ticket.priority_set"
    TICKET_SEEN = "ticket.seen"  # a screen of the ticket's station displayed it
    COURSE_FIRED = "course.fired"
    COURSE_HELD = "course.held"
    COURSE_SKIPPED = "course.skipped"
    TABLE_ASSIGNED = "order.table_assigned"  # the tables API seated this order's party
    TABLE_CLEARED = "order.table_cleared"  # ...and they left: the order is no longer at a table
    COURSE_COMPLETED = "course.completed"
    COURSE_PROGRESSED = "course.progressed"
    COURSE_READIED = "course.readied"
    COURSE_SERVED = "course.served"
    COURSE_SCHEDULED = "course.scheduled"
    PACE_SET = "order.pace_set"
    CUSTOMER_ARRIVED = "order.customer_arrived"  # Fresh's customer-arrived notification (daemon.domain.notices)
    ARRIVAL_ESTIMATED = "order.arrival_estimated"  # Fresh's estimated-arrival-update


ORDER = "order"
