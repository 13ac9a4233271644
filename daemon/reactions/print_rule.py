"""Which chits a write causes: the print rule of the effect journal.

It runs inside the write (Store.execute), sees the order before and after, and names each chit by its
cause, so a re-folded or replicated event finds its chit already in the journal:

| chit | when | effect id (`print:{printer}:` then) |
|---|---|---|
| ticket | a ticket reaches the kitchen unheld (a new order, a straight fire) | `ticket:{ticket}` |
| fire | a held ticket is released (its course fired) | `fire:{ticket}` |
| update | items of a ticket already sent were added, changed or deleted | `update:{ticket}:{origin}:{seq}` |
| void | a ticket already sent is voided | `void:{ticket}` |
| cancel | an order is canceled: each station it reached | `cancel:{order}:{station}` |

Only the printers this device owns (its configuration declares them) get effects: every device folds
the same events, and each prints on its own printers only. Held tickets print nothing until fired.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from daemon.domain.events import ORDER, Event, OrderEvents
from daemon.domain.model import Order, Ticket, TicketStatus
from daemon.reactions.chits import chit, item_chit
from daemon.store.journal import Effect

PRINT = "print"
PrintersOf = Callable[[str], tuple[Sequence[str], str]]  # station id → (this device's printers there, station name)


def effect(printer: str, cause: str, payload: dict[str, Any]) -> Effect:
    return Effect(f"print:{printer}:{cause}", PRINT, printer, payload)


def make_print_rule(printers_of: PrintersOf) -> Callable[[tuple[str, str], Any, Any, Sequence[Event]], list[Effect]]:
    def rule(key: tuple[str, str], before: Any, after: Any, events: Sequence[Event]) -> list[Effect]:
        if key[0] != ORDER or not isinstance(after, Order) or not events:
            return []
        return list(_chits(before if isinstance(before, Order) else None, after, events, printers_of))

    return rule


def _chits(before: Order | None, after: Order, events: Sequence[Event], printers_of: PrintersOf) -> Iterable[Effect]:
    last = events[-1]
    at = last.at_ms
    for ticket in after.tickets.values():
        if ticket.status is TicketStatus.HELD:
            continue
        printers, station = printers_of(ticket.station_id)
        if not printers:
            continue
        old = before.tickets.get(ticket.id) if before else None
        sent_before = old is not None and old.status is not TicketStatus.HELD
        if ticket.status is TicketStatus.VOIDED:
            if sent_before and old is not None and old.status is not TicketStatus.VOIDED:
                for p in printers:
                    yield effect(p, f"void:{ticket.id}", chit("void", after, ticket, station, at))
            continue
        if not sent_before:
            kind = "fire" if old is not None else "ticket"
            for p in printers:
                yield effect(p, f"{kind}:{ticket.id}", chit(kind, after, ticket, station, at))
            continue
        assert before is not None
        changed = _changed_items(before, after, ticket)
        if changed:
            cause = f"update:{ticket.id}:{last.origin}:{last.seq}"
            for p in printers:
                yield effect(p, cause, chit("update", after, ticket, station, at, items=changed))
    if after.canceled and not (before and before.canceled) and any(e.type == OrderEvents.CANCELED for e in events):
        yield from _cancel_chits(before, after, at, printers_of)


def _changed_items(before: Order, after: Order, ticket: Ticket) -> list[dict[str, Any]]:
    """Items of the ticket added, changed or deleted by this write (status moves are not changes)."""
    old_items = {i.id: i for i in before.items_of(before.tickets[ticket.id])} if ticket.id in before.tickets else {}
    changed: list[dict[str, Any]] = []
    for item in after.items_of(ticket):
        old = old_items.get(item.id) or before.items.get(item.id)
        if old is None:
            changed.append(item_chit(item, "added"))
        elif item.flag != old.flag and item.flag.value in ("deleted", "voided"):
            changed.append(item_chit(item, item.flag.value))
        elif not item.same_content(old):
            changed.append(item_chit(item, "modified"))
    return changed


def _cancel_chits(before: Order | None, after: Order, at: int, printers_of: PrintersOf) -> Iterable[Effect]:
    """One cancel notice per station that received the order (a ticket not held), on each of its printers."""
    reached: dict[str, Ticket] = {}
    for ticket in after.tickets.values():
        old = before.tickets.get(ticket.id) if before else None
        if old is not None and old.status is not TicketStatus.HELD:
            reached.setdefault(ticket.station_id, ticket)
    for station_id, ticket in sorted(reached.items()):
        printers, station = printers_of(station_id)
        for p in printers:
            yield effect(p, f"cancel:{after.id}:{station_id}", chit("cancel", after, ticket, station, at))
