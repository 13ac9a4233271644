"""The kitchen's entities — orders, items, station tickets and courses — as immutable values.

State changes only by folding events (daemon.domain.fold); every value here is replaced, never
mutated, so a reader holding an old state is never surprised by a writer.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any

import msgspec


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    PREPARING = "preparing"
    READY = "ready"
    SERVED = "served"
    CANCELED = "canceled"


ACTIVE_ORDER_STATUSES = (OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.PREPARING, OrderStatus.READY)


class ItemStatus(StrEnum):
    PENDING = "pending"
    PREPARING = "preparing"
    READY = "ready"
    SERVED = "served"


# The kitchen-orders seed's table, exactly: each status has one successor.
ITEM_TRANSITIONS: dict[ItemStatus, frozenset[ItemStatus]] = {
    ItemStatus.PENDING: frozenset({ItemStatus.PREPARING}),
    ItemStatus.PREPARING: frozenset({ItemStatus.READY}),
    ItemStatus.READY: frozenset({ItemStatus.SERVED}),
    ItemStatus.SERVED: frozenset(),
}
ITEM_DONE = frozenset({ItemStatus.READY, ItemStatus.SERVED})


class ItemFlag(StrEnum):
    NONE = ""
    ADDED = "added"
    MODIFIED = "modified"
    DELETED = "deleted"
    VOIDED = "voided"


class TicketStatus(StrEnum):
    HELD = "held"
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    READY = "ready"
    BUMPED = "bumped"
    RECALLED = "recalled"
    VOIDED = "voided"


ACTIVE_TICKET_STATUSES = frozenset(
    {TicketStatus.HELD, TicketStatus.PENDING, TicketStatus.IN_PROGRESS, TicketStatus.READY, TicketStatus.RECALLED}
)
FINISHED_TICKET_STATUSES = frozenset({TicketStatus.BUMPED, TicketStatus.VOIDED})


class TicketAction(StrEnum):
    START = "start"
    READY = "ready"
    BUMP = "bump"
    RECALL = "recall"
    VOID = "void"


# The station-tickets seed's lifecycle. A recalled ticket is back on screen, so it can be worked again.
TICKET_TRANSITIONS: dict[TicketAction, tuple[frozenset[TicketStatus], TicketStatus]] = {
    TicketAction.START: (frozenset({TicketStatus.PENDING, TicketStatus.RECALLED}), TicketStatus.IN_PROGRESS),
    TicketAction.READY: (frozenset({TicketStatus.IN_PROGRESS, TicketStatus.RECALLED}), TicketStatus.READY),
    TicketAction.BUMP: (
        frozenset({TicketStatus.PENDING, TicketStatus.IN_PROGRESS, TicketStatus.READY, TicketStatus.RECALLED}),
        TicketStatus.BUMPED,
    ),
    TicketAction.RECALL: (frozenset({TicketStatus.READY, TicketStatus.BUMPED}), TicketStatus.RECALLED),
    TicketAction.VOID: (
        frozenset(
            {
                TicketStatus.HELD,
                TicketStatus.PENDING,
                TicketStatus.IN_PROGRESS,
                TicketStatus.READY,
                TicketStatus.RECALLED,
            }
        ),
        TicketStatus.VOIDED,
    ),
}


class TicketPriority(StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class CourseStatus(StrEnum):
    HELD = "held"
    FIRED = "fired"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    SKIPPED = "skipped"


class CourseHint(StrEnum):
    """The integrator's `courseStatus` of an item."""

    STRAIGHT_FIRE = "straightFire"
    HOLD = "hold"
    FIRE = "fire"
    PICKUP = "pickup"


class OrderMode(StrEnum):
    FOR_HERE = "For Here"
    TO_GO = "ToGo"
    PICKUP = "Pickup"
    DRIVE_THRU = "DriveThru"
    DELIVERY = "Delivery"
    CURBSIDE = "Curbside"


# The station-tickets seed speaks of order_channel in snake case.
CHANNEL_OF_MODE: dict[str, str] = {
    OrderMode.FOR_HERE: "dine_in",
    OrderMode.TO_GO: "takeout",
    OrderMode.PICKUP: "pickup",
    OrderMode.DRIVE_THRU: "drive_thru",
    OrderMode.DELIVERY: "delivery",
    OrderMode.CURBSIDE: "curbside",
}


class StationKind(StrEnum):
    PREP = "prep"
    EXPO = "expo"


class Modifier(msgspec.Struct, frozen=True, gc=False):
    name: str
    # At least 1 as msgspec reads it (codec.item_from_json): a stored 0 is read by the liberal path, as 1.
    qty: Annotated[int, msgspec.Meta(ge=1)] = 1
    id: str | None = None
    allergens: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "qty": self.qty, "allergens": list(self.allergens)}


class Item(msgspec.Struct, frozen=True, gc=False):
    """One order line. `id` is Heard's uuid; `line_id` is the integrator's key for updates."""

    id: str
    name: str
    qty: int
    course: int
    stations: tuple[str, ...]
    line_id: str | None = None
    menu_item_id: str | None = None
    price: str | None = None
    mods: tuple[Modifier, ...] = ()
    special_instructions: str | None = None
    seat: str | None = None
    course_label: str | None = None
    course_hint: str | None = None
    category: str | None = None
    allergens: tuple[str, ...] = ()
    status: ItemStatus = ItemStatus.PENDING
    flag: ItemFlag = ItemFlag.NONE
    extra: Mapping[str, Any] = msgspec.field(default_factory=dict)
    updated_ms: int = 0

    @property
    def is_done(self) -> bool:
        return self.status in ITEM_DONE

    @property
    def is_live(self) -> bool:
        """Deleted and voided items stay visible (struck through) but count for nothing."""
        return self.flag is not ItemFlag.DELETED and self.flag is not ItemFlag.VOIDED

    def same_content(self, other: Item) -> bool:
        """Whether an update changed what the kitchen must cook (status and flags aside)."""
        return (
            self.name == other.name
            and self.qty == other.qty
            and self.mods == other.mods
            and self.special_instructions == other.special_instructions
            and self.seat == other.seat
            and self.course == other.course
            and self.price == other.price
            and self.menu_item_id == other.menu_item_id
            and self.allergens == other.allergens
        )


class Ticket(msgspec.Struct, frozen=True, gc=False):
    """What one station works on for one course of one order.

    A (station, course) has one ticket at a time that is not voided; work that arrives after its
    ticket was voided gets a new one. A voided ticket keeps `item_ids`, the items it showed when it
    was voided, so it still shows them; every other ticket shows its (station, course)'s items.
    """

    id: str
    station_id: str
    course: int
    status: TicketStatus
    created_ms: int
    priority: TicketPriority = TicketPriority.NORMAL
    started_ms: int | None = None
    ready_ms: int | None = None
    completed_ms: int | None = None
    updated_ms: int = 0
    estimated_prep_seconds: int | None = None
    item_ids: tuple[str, ...] | None = None
    # When a screen of the station first displayed it while it was to be worked (not held): the
    # kitchen's proof that a person could see it; the printers' safety net prints what stays unseen.
    seen_ms: int | None = None


class Course(msgspec.Struct, frozen=True, gc=False):
    number: int
    name: str
    status: CourseStatus
    fired_ms: int | None = None
    fired_by: str | None = None
    hold_reason: str | None = None
    ready_ms: int | None = None
    completed_ms: int | None = None
    served_ms: int | None = None
    updated_ms: int = 0
    # Coursing (ARCHITECTURE §4 rule 9): the template the course came from, the note given when it was
    # fired, when it is scheduled to fire (a stagger, or the clock's fire), and whether the kitchen
    # clock may fire it (a template's auto_fire; a person's hold takes that away).
    notes: str | None = None
    template_id: str | None = None
    fire_at_ms: int | None = None
    auto: bool = False


class MealPace(msgspec.Struct, frozen=True, gc=False):
    """How fast an order's courses follow each other (coursing seed, Meal Pacing)."""

    pace: str
    custom_gap_minutes: int | None = None
    set_by: str | None = None
    set_ms: int = 0


class Order(msgspec.Struct, frozen=True, gc=False):
    """An order with everything the kitchen hangs on it. `fields` keeps the whole integrator payload."""

    id: str
    fields: Mapping[str, Any]
    devices: tuple[str, ...]
    items: Mapping[str, Item]
    tickets: Mapping[str, Ticket]
    courses: Mapping[int, Course]
    created_ms: int
    updated_ms: int
    status: OrderStatus = OrderStatus.PENDING
    canceled: bool = False
    revision: int = 0
    table_id: str | None = None  # the table whose party this order is (tables API: assign / clear)
    table_number: str | None = None
    table_name: str | None = None
    pace: MealPace | None = None
    customer_arrived_ms: int | None = None  # the POS said the customer is here (a banner on the order)
    arrival_minutes: int | None = None  # the POS's latest estimate: minutes until the customer arrives…
    arrival_estimated_ms: int | None = None  # …counted from when it was sent

    @property
    def name(self) -> str:
        return str(self.fields.get("name") or "")

    @property
    def display_name(self) -> str:
        """The integrator seed: `checkNumber` is appended to the order name."""
        check = self.fields.get("checkNumber")
        return f"{self.name} {check}" if check else self.name

    @property
    def priority(self) -> bool:
        return bool(self.fields.get("priority"))

    @property
    def mode(self) -> str | None:
        mode = self.fields.get("mode")
        return str(mode) if mode is not None else None

    @property
    def on_screen(self) -> bool:
        """Some ticket is still to bump (a canceled order stays under its red banner until then)."""
        if not self.tickets:
            return not self.canceled
        return any(t.status in ACTIVE_TICKET_STATUSES for t in self.tickets.values())

    def items_of(self, ticket: Ticket) -> list[Item]:
        """A voided ticket's items are the ones it had; the others of its (station, course) are the
        rest — less what a voided ticket kept, unless that came back as new work (live, unfinished)."""
        if ticket.item_ids is not None:
            return [self.items[i] for i in ticket.item_ids if i in self.items]
        here = [i for i in self.items.values() if i.course == ticket.course and ticket.station_id in i.stations]
        kept = {
            i
            for t in self.tickets.values()
            if t.item_ids and t.station_id == ticket.station_id and t.course == ticket.course
            for i in t.item_ids
        }
        if not kept:
            return here
        return [i for i in here if i.id not in kept or (i.is_live and not i.is_done)]

    def tickets_at(self, station_id: str) -> list[Ticket]:
        """By course; a (station, course)'s voided tickets come before the one that followed them."""
        return sorted(
            (t for t in self.tickets.values() if t.station_id == station_id), key=lambda t: (t.course, t.created_ms)
        )


class Station(msgspec.Struct, frozen=True, gc=False):
    id: str
    name: str
    kind: StationKind = StationKind.PREP
    printers: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()


class RoutingRule(msgspec.Struct, frozen=True, gc=False):
    """Send matching items to a station. Exactly one of the match fields is set; `default` matches all."""

    station_id: str
    menu_item_id: str | None = None
    category: str | None = None
    name_pattern: str | None = None
    default: bool = False
    id: str = ""


class CourseTemplate(msgspec.Struct, frozen=True, gc=False):
    number: int
    name: str
    hold_by_default: bool = False
    auto_fire: bool = False
    default_delay_minutes: int | None = None
    id: str | None = None  # the coursing API's template id; None for the built-in defaults
