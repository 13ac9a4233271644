"""Builders for domain tests: a kitchen, seed-shaped orders, and a device that stamps changes into events."""

from __future__ import annotations

import copy
from typing import Any

from daemon.domain import commands, intake
from daemon.domain.courses import DEFAULT_TEMPLATES
from daemon.domain.events import Actor, Change, Event
from daemon.domain.fold import apply
from daemon.domain.hlc import HybridClock
from daemon.domain.model import CourseTemplate, Order, RoutingRule, Station, StationKind, Ticket
from daemon.domain.routing import Routing
from tests.conftest import SEED_ORDER

STATIONS = {
    "grill": Station("grill", "Grill"),
    "fry": Station("fry", "Fry"),
    "cold": Station("cold", "Cold"),
    "expo": Station("expo", "Expo", StationKind.EXPO),
}
RULES = (
    RoutingRule("fry", menu_item_id="fries-1", id="r1"),
    RoutingRule("cold", category="desserts", id="r2"),
    RoutingRule("cold", name_pattern="shake|salad", id="r3"),
    RoutingRule("grill", default=True, id="r4"),
)
KITCHEN = commands.Kitchen(Routing(STATIONS, RULES), DEFAULT_TEMPLATES)

SEED_CREATE = SEED_ORDER  # the integrator seed's own example


def seed(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(SEED_CREATE)
    body.update(changes)
    return body


def kitchen_with(templates: tuple[CourseTemplate, ...]) -> commands.Kitchen:
    return commands.Kitchen(KITCHEN.routing, templates)


class Device:
    """Stamps changes as one device would: gapless seq, a hybrid clock, a wall clock moved by hand."""

    def __init__(self, origin: str = "dev-a", now_ms: int = 1_790_000_000_000) -> None:
        self.origin = origin
        self.clock = HybridClock(origin)
        self.seq = 0
        self.now_ms = now_ms
        self.log: list[Event] = []

    def stamp(self, change: Change, actor: Actor | None = None) -> Event:
        self.seq += 1
        self.now_ms += 1000
        event = Event(
            self.origin,
            self.seq,
            self.clock.tick(self.now_ms),
            change.type,
            change.aggregate,
            change.aggregate_id,
            change.payload,
            actor or Actor("tester", ("chef",)),
        )
        self.log.append(event)
        return event


class Kitchen:
    """A live order driven through commands and apply, as the store drives it."""

    def __init__(self, device: Device | None = None, kitchen: commands.Kitchen = KITCHEN) -> None:
        self.device = device or Device()
        self.kitchen = kitchen
        self.order: Order | None = None

    def do(self, change: Change | None) -> Order:
        if change is not None:
            self.order = apply(self.order, self.device.stamp(change))
        assert self.order is not None
        return self.order

    def create(self, body: dict[str, Any] | None = None, devices: tuple[str, ...] = ("dev-a",)) -> Order:
        fields, items = intake.check_order(body or seed())
        return self.do(commands.create_order(self.order, fields, items, list(devices), self.kitchen))

    def tickets(self, station: str, course: int) -> list[Ticket]:
        """Every ticket of a (station, course), oldest first: a voided one is followed by the next."""
        assert self.order is not None
        return [t for t in self.order.tickets_at(station) if t.course == course]

    def ticket(self, station: str, course: int) -> Any:
        """The newest ticket of a (station, course)."""
        return self.tickets(station, course)[-1]

    def add(self, *items: dict[str, Any]) -> Order:
        """A partial update adding items, as the POS sends it."""
        assert self.order is not None
        patch = intake.check_partial({"id": self.order.id, "itemsToAdd": list(items)})
        return self.do(commands.patch_order(self.order, self.order.id, patch, self.kitchen))

    def item(self, name: str) -> Any:
        assert self.order is not None
        return next(i for i in self.order.items.values() if i.name == name)
