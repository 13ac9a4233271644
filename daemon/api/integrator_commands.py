"""The integrator's four order commands, whichever door a POS came in by: the HTTP integrator API
(daemon.api.integrator) and the Fresh KDS LAN protocol (daemon.fresh_lan) run exactly this code, so an order
is validated, made idempotent, logged and shown the same way whatever carried it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from daemon.api.context import Kitchen
from daemon.api.coursing_state import kitchen_of
from daemon.domain import commands, intake
from daemon.domain.events import ORDER, Actor
from daemon.store.store import Store

CheckedOrder = tuple[dict[str, Any], list[dict[str, Any]]]  # intake.check_order's answer

Command = Callable[[Store, Kitchen, Any, Sequence[str], Actor], Awaitable[str]]


async def create_order(
    store: Store, kitchen: Kitchen, body: Any, devices: Sequence[str], actor: Actor, checked: CheckedOrder | None = None
) -> str:
    """POST /integrators/kds-orders: a new order on `devices`; a repeated id is OrderExists (409). `checked`
    is the body as intake.check_order returns it, when the front process checked it already."""
    fields, items = checked if checked is not None else intake.check_order(body, kitchen.zone)
    setup = kitchen_of(store, kitchen.location_id)  # routing, and the coursing templates (rule 2)
    oid: str = fields["id"]
    targets = list(devices)
    await store.execute(ORDER, oid, lambda s: commands.create_order(s, fields, items, targets, setup), actor)
    return oid


async def update_order(
    store: Store, kitchen: Kitchen, body: Any, devices: Sequence[str], actor: Actor, checked: CheckedOrder | None = None
) -> str:
    """PUT /integrators/kds-orders: the whole order again; items matched by lineId."""
    fields, items = checked if checked is not None else intake.check_order(body, kitchen.zone)
    setup = kitchen_of(store, kitchen.location_id)  # routing, and the coursing templates (rule 2)
    oid: str = fields["id"]
    await store.execute(ORDER, oid, lambda s: commands.replace_order(s, fields, items, setup), actor)
    return oid


async def partial_update_order(store: Store, kitchen: Kitchen, body: Any, devices: Sequence[str], actor: Actor) -> str:
    """PUT /integrators/kds-orders/partial: only what was sent changes."""
    oid = intake.order_id(body)
    patch = intake.check_partial(body, kitchen.zone)
    setup = kitchen_of(store, kitchen.location_id)  # routing, and the coursing templates (rule 2)
    await store.execute(ORDER, oid, lambda s: commands.patch_order(s, oid, patch, setup), actor)
    return oid


async def cancel_order(store: Store, kitchen: Kitchen, body: Any, devices: Sequence[str], actor: Actor) -> str:
    """PUT /integrators/kds-orders/cancel: a repeated cancel is a success."""
    oid = intake.order_id(body)
    await store.execute(ORDER, oid, lambda s: commands.cancel_order(s, oid), actor)
    return oid


# The Fresh LAN protocol's command names.
BY_NAME: dict[str, Command] = {
    "create-order": create_order,
    "update-order": update_order,
    "partial-update-order": partial_update_order,
    "cancel-order": cancel_order,
}
