"""Bump bar actions applied at a station: move the selection, or change the selected ticket through the
store like any other write (an event with the bar as its actor).

Actions are applied one at a time, in the order the keys were pressed, on the event loop: a cook who
presses next then bump bumps the next ticket, never the one before it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from daemon.bumpbars.selection import PAGE_SIZE, Selection, screen_order, selected_item
from daemon.domain import commands
from daemon.domain.errors import HeardError
from daemon.domain.events import ORDER, Actor, Change
from daemon.domain.model import ItemStatus, Order, TicketAction, TicketPriority, TicketStatus
from daemon.store.store import Store
from drivers.bumpbars.keymap import Action

log = logging.getLogger(__name__)
_MOVES: dict[Action, Callable[[int], int]] = {
    Action.NEXT: lambda i: i + 1,
    Action.PREVIOUS: lambda i: i - 1,
    Action.PAGE_NEXT: lambda i: (i // PAGE_SIZE + 1) * PAGE_SIZE,
    Action.PAGE_PREVIOUS: lambda i: (i // PAGE_SIZE - 1) * PAGE_SIZE,
    Action.HOME: lambda i: 0,
}


class BumpBarActions:
    """Each station's selection, and the one queue through which every bar's actions are applied."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._selections: dict[str, Selection] = {}
        self._queue: asyncio.Queue[tuple[str, str, Action, asyncio.Future[Selection] | None]] | None = None
        self._task: asyncio.Task[None] | None = None
        self.applied = 0
        # Told the station after each action, applied or refused (the screens draw the selection it left)
        self.listeners: list[Callable[[str], None]] = []

    # ---- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._apply_in_order())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    # ---- entry points ------------------------------------------------------------------------------
    def submit(self, source: str, station_id: str, action: Action) -> asyncio.Future[Selection]:
        """Queue an action (from the loop). The future is the selection after it."""
        assert self._queue is not None, "BumpBarActions.start() first"
        future: asyncio.Future[Selection] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((source, station_id, action, future))
        return future

    def submit_threadsafe(self, loop: asyncio.AbstractEventLoop, source: str, station_id: str, action: Action) -> None:
        """Queue an action from a reader thread."""
        assert self._queue is not None
        loop.call_soon_threadsafe(self._queue.put_nowait, (source, station_id, action, None))

    def selection(self, station_id: str) -> tuple[Selection, list[Any]]:
        tickets = screen_order(self._store.orders_at_station(station_id, active_only=True), station_id)
        current = self._selections.get(station_id, Selection(station_id)).resolve(tickets)
        self._selections[station_id] = current
        return current, tickets

    # ---- the one consumer --------------------------------------------------------------------------
    async def _apply_in_order(self) -> None:
        assert self._queue is not None
        while True:
            source, station_id, action, future = await self._queue.get()
            try:
                result = await self._apply(source, station_id, action)
            except Exception as exc:  # a bug must not stop the bars
                log.exception("bump bar action failed station=%s action=%s", station_id, action)
                if future is not None and not future.done():
                    future.set_exception(exc)
                continue
            self.applied += 1
            for listener in self.listeners:
                try:
                    listener(station_id)
                except Exception:  # a listener's bug must not stop the bars either
                    log.exception("bump bar selection listener failed station=%s", station_id)
            if future is not None and not future.done():
                future.set_result(result)

    async def _apply(self, source: str, station_id: str, action: Action) -> Selection:
        sel, tickets = self.selection(station_id)
        error: str | None = None
        try:
            sel = await self._act(source, sel, tickets, action)
        except HeardError as exc:
            error = f"{exc.code}: {exc}"
            log.info(
                "bump bar action refused source=%s station=%s action=%s error=%s", source, station_id, action, error
            )
        sel = replace(sel, version=sel.version + 1, last_action=action.value, last_error=error)
        self._selections[station_id] = sel
        resolved, _ = self.selection(station_id)
        return resolved

    async def _act(self, source: str, sel: Selection, tickets: list[Any], action: Action) -> Selection:
        if action in _MOVES:
            return sel.moved(tickets, _MOVES[action](sel.index))
        if action is Action.SUMMARY:
            return replace(sel, summary=not sel.summary)
        actor = Actor(f"bumpbar:{source}", ("chef",), "device")
        if action is Action.RECALL:
            return await self._recall(sel, actor)
        pair = sel.selected(tickets)
        if pair is None:
            raise HeardError("no ticket is selected at this station", code="NOTHING_SELECTED", status=409)
        order, ticket = pair
        if action in (Action.ITEM_UP, Action.ITEM_DOWN):
            count = len([i for i in order.items_of(ticket) if i.is_live])
            step = -1 if action is Action.ITEM_UP else 1
            index = 0 if sel.item_index is None else max(0, min(sel.item_index + step, count - 1))
            return replace(sel, item_index=index)
        if action is Action.ITEM_BUMP:
            item = selected_item(order, ticket, sel.item_index if sel.item_index is not None else 0)
            if item is None:
                raise HeardError("the selected ticket has no item to bump", code="NOTHING_SELECTED", status=409)
            await self._store.execute(ORDER, order.id, lambda o: _item_done(o, item.id), actor)
            return sel
        decide = _ticket_decision(sel.station_id, action, ticket.priority)
        await self._store.execute(ORDER, order.id, lambda o: decide(_exists(o, order.id)), actor)
        if action is Action.BUMP:
            return replace(sel, ticket_id=None, item_index=None)  # the next ticket slides into its place
        return sel

    async def _recall(self, sel: Selection, actor: Actor) -> Selection:
        """The station's most recently bumped ticket comes back, selected."""
        orders = self._store.orders_at_station(sel.station_id, active_only=False)
        bumped = [
            (t.completed_ms or t.updated_ms, o.id, t.id)
            for o in orders
            for t in o.tickets_at(sel.station_id)
            if t.status is TicketStatus.BUMPED
        ]
        if not bumped:
            raise HeardError("no bumped ticket to recall at this station", code="NOTHING_TO_RECALL", status=409)
        _, order_id, ticket_id = max(bumped)
        await self._store.execute(
            ORDER,
            order_id,
            lambda o: commands.ticket_action(_exists(o, order_id), sel.station_id, TicketAction.RECALL),
            actor,
        )
        return replace(sel, ticket_id=ticket_id, item_index=None)


def _exists(order: Order | None, order_id: str) -> Order:
    if order is None:
        raise HeardError(f"order {order_id} is gone", code="ORDER_NOT_FOUND", status=404)
    return order


def _ticket_decision(station_id: str, action: Action, priority: TicketPriority) -> Callable[[Order], Change]:
    if action is Action.PRIORITY:
        toggled = TicketPriority.NORMAL if priority is not TicketPriority.NORMAL else TicketPriority.HIGH
        return lambda o: commands.set_ticket_priority(o, station_id, toggled)
    verb = {Action.BUMP: TicketAction.BUMP, Action.START: TicketAction.START}[action]
    return lambda o: commands.ticket_action(o, station_id, verb)


def _item_done(order: Order | None, item_id: str) -> list[Change]:
    """Item bump: the item is done (ready), through each status it must pass (pending → preparing → ready)."""
    item = _exists(order, "?").items.get(item_id) if order else None
    if order is None or item is None:
        return []
    steps = {ItemStatus.PENDING: [ItemStatus.PREPARING, ItemStatus.READY], ItemStatus.PREPARING: [ItemStatus.READY]}
    return [commands.set_item_status(order, item_id, s) for s in steps.get(item.status, [])]
