"""A station's selection: the ticket (and item) a bump bar's keys act on, kept by position in the
station's screen order so that bumping a ticket selects the one that slides into its place.

The screen order is the tickets API's active list: priority first, then the order's priority flag,
then oldest first. Selection is not a fact of the kitchen (no event): it is where a cook's finger is,
it lives in memory, and a restart puts it back on the first ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from daemon.domain.model import ACTIVE_TICKET_STATUSES, Item, Order, Ticket, TicketPriority

PAGE_SIZE = 8  # tickets a page-next/page-previous key moves by; the screen issue may tell it per screen
_PRIORITY_RANK = {TicketPriority.URGENT: 0, TicketPriority.HIGH: 1, TicketPriority.NORMAL: 2}


def screen_order(orders: list[Order], station_id: str) -> list[tuple[Order, Ticket]]:
    """The station's active tickets in the order its screen (and GET …/tickets) shows them."""
    pairs = [(o, t) for o in orders for t in o.tickets_at(station_id) if t.status in ACTIVE_TICKET_STATUSES]
    pairs.sort(key=lambda p: (_PRIORITY_RANK[p[1].priority], not p[0].priority, p[1].created_ms, p[1].course))
    return pairs


@dataclass(frozen=True)
class Selection:
    station_id: str
    index: int = 0
    ticket_id: str | None = None
    item_index: int | None = None
    summary: bool = False
    version: int = 0
    last_action: str | None = None
    last_error: str | None = None

    def resolve(self, tickets: list[tuple[Order, Ticket]]) -> Selection:
        """Follow the selected ticket if it moved; else keep the position (clamped to the list)."""
        for i, (_, ticket) in enumerate(tickets):
            if ticket.id == self.ticket_id:
                return replace(self, index=i)
        index = max(0, min(self.index, len(tickets) - 1)) if tickets else 0
        ticket_id = tickets[index][1].id if tickets else None
        item = self.item_index if ticket_id == self.ticket_id else None
        return replace(self, index=index, ticket_id=ticket_id, item_index=item)

    def moved(self, tickets: list[tuple[Order, Ticket]], index: int) -> Selection:
        if not tickets:
            return replace(self, index=0, ticket_id=None, item_index=None)
        index = max(0, min(index, len(tickets) - 1))
        return replace(self, index=index, ticket_id=tickets[index][1].id, item_index=None)

    def selected(self, tickets: list[tuple[Order, Ticket]]) -> tuple[Order, Ticket] | None:
        for pair in tickets:
            if pair[1].id == self.ticket_id:
                return pair
        return None


def selected_item(order: Order, ticket: Ticket, item_index: int | None) -> Item | None:
    items = [i for i in order.items_of(ticket) if i.is_live]
    if item_index is None or not items:
        return None
    return items[max(0, min(item_index, len(items) - 1))]


def selection_json(selection: Selection, tickets: list[tuple[Order, Ticket]]) -> dict[str, Any]:
    pair = selection.selected(tickets)
    item = selected_item(*pair, selection.item_index) if pair else None
    return {
        "station_id": selection.station_id,
        "order_id": pair[0].id if pair else None,
        "ticket_id": selection.ticket_id,
        "position": selection.index if pair else None,
        "page": selection.index // PAGE_SIZE if pair else 0,
        "page_size": PAGE_SIZE,
        "item_id": item.id if item else None,
        "summary": selection.summary,
        "version": selection.version,
        "last_action": selection.last_action,
        "last_error": selection.last_error,
    }
