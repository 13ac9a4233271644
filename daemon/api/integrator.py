"""The integrator API (/integrators/kds-orders): how POS systems create, update and cancel orders.

Paths, bodies, status codes and messages follow shared/seeds/integrator-kds-orders-api.txt exactly.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from daemon.api import integrator_commands
from daemon.api.auth import INTEGRATION
from daemon.api.context import KITCHEN, ORDER_WRITE_SEEN, STORE, Kitchen
from daemon.api.responses import json_response, read_json
from daemon.domain.errors import ValidationFailed
from daemon.domain.events import Actor
from sync.registry import PEERS, Peers

log = logging.getLogger(__name__)
# A forwarded order write's body, already checked by the front process (daemon/front/dispatch.py).
CHECKED_ORDER = web.RequestKey("checked_order", tuple)
routes = web.RouteTableDef()


def target_devices(request: web.Request) -> list[str]:
    """x-device-ids: one id, a comma-separated list, or 'all'. Unknown ids are refused, not ignored:
    an order sent to a screen that does not exist would be an order nobody sees."""
    known = known_devices(request)
    header = request.headers.get("x-device-ids", "").strip()
    if not header:
        raise ValidationFailed("x-device-ids header is required: a device id, a list, or 'all'", code="MISSING_HEADER")
    if header.lower() == "all":
        return list(known)
    wanted = list(dict.fromkeys(d.strip() for d in header.split(",") if d.strip()))
    if not wanted:  # "," or " , ": a list that names nobody would make an order no screen shows
        raise ValidationFailed(
            "x-device-ids names no device: send a device id, a comma-separated list, or 'all'",
            code="MISSING_HEADER",
            field="x-device-ids",
        )
    unknown = [d for d in wanted if d not in known]
    if unknown:
        raise ValidationFailed(
            f"x-device-ids names unknown device(s): {', '.join(unknown)}; known: {', '.join(known)}",
            code="UNKNOWN_DEVICE",
            field="x-device-ids",
        )
    return wanted


def actor_of(request: web.Request) -> Actor:
    token = request.get(INTEGRATION)
    name = getattr(token, "name", None) or "integration"
    return Actor(f"integration:{name}", (), "integration")


def known_devices(request: web.Request) -> dict[str, str]:
    """Device id → name: this device and every peer of the location it knows (sync/registry.py)."""
    peers = request.app.get(PEERS)
    return {**request.app[KITCHEN].known_devices(), **(peers.known_devices() if peers is not None else {})}


def delivery_statuses(
    kitchen: Kitchen, devices: list[str], peers: Peers | None = None, seq: int | None = None
) -> list[dict[str, str]]:
    """One entry per targeted device. This device has the order (durable in its log before we answer);
    a peer has it (`success`) once it said it holds this device's events up to `seq` (without a `seq`:
    once we are streaming with it); one that does not yet gets it when it is back, with nothing for the
    POS to do (`queued`)."""

    def delivered(d: str) -> bool:
        if d == kitchen.device.id:
            return True
        if peers is None:
            return False
        return peers.holds(d, seq) if seq is not None else peers.reachable(d)

    return [{"device": d, "status": "success" if delivered(d) else "queued", "type": "heard"} for d in devices]


async def _answer(request: web.Request, order_id: str, devices: list[str], status: int) -> web.Response:
    peers, store = request.app.get(PEERS), request.app[STORE]
    seq = None
    if peers is not None and any(d != request.app[KITCHEN].device.id for d in devices):
        # Every event of this device up to now, the write just made among them: a peer that holds them
        # holds the order. Reachable peers get a moment to say so (sync/registry.py).
        seq = store.version_vector().get(store.origin, 0)
        await peers.wait_held(devices, seq)
    statuses = delivery_statuses(request.app[KITCHEN], devices, peers, seq)
    body = {"orderId": order_id, "deliveryStatuses": statuses}
    response = json_response(body, status=status)
    seen = request.app.get(ORDER_WRITE_SEEN)
    if seen is not None and seen(request.protocol is not None):  # the front is up (daemon/front/link.py)
        response.force_close()  # the client's next connection goes to the front
    return response


class SlashTolerantResource(web.PlainResource):
    """Real POS code posts to `/integrators/kds-orders/`: every integrator route answers the same with
    and without a trailing slash (no redirect: a POS that POSTs rarely follows one)."""

    def _match(self, path: str) -> dict[str, str] | None:
        return super()._match(path[:-1] if len(path) > 1 and path.endswith("/") else path)


def add_routes(app: web.Application) -> None:
    """The integrator's routes, each on a resource that also takes the path with a trailing slash."""
    resources: dict[str, SlashTolerantResource] = {}
    for route in routes:
        assert isinstance(route, web.RouteDef)
        resource = resources.get(route.path)
        if resource is None:
            resource = resources[route.path] = SlashTolerantResource(route.path)
            app.router.register_resource(resource)
        resource.add_route(route.method, route.handler)


@routes.post("/integrators/kds-orders")
async def create_order(request: web.Request) -> web.Response:
    devices = target_devices(request)
    store, kitchen = request.app[STORE], request.app[KITCHEN]
    checked = request.get(CHECKED_ORDER)  # the front process's check of the body (daemon/front)
    body = None if checked is not None else await read_json(request)
    oid = await integrator_commands.create_order(store, kitchen, body, devices, actor_of(request), checked)
    log.debug("order created order=%s devices=%s", oid, ",".join(devices))
    return await _answer(request, oid, devices, 201)


@routes.put("/integrators/kds-orders")
async def update_order(request: web.Request) -> web.Response:
    devices = target_devices(request)
    store, kitchen = request.app[STORE], request.app[KITCHEN]
    checked = request.get(CHECKED_ORDER)
    body = None if checked is not None else await read_json(request)
    oid = await integrator_commands.update_order(store, kitchen, body, devices, actor_of(request), checked)
    return await _answer(request, oid, devices, 200)


@routes.put("/integrators/kds-orders/partial")
async def partial_update_order(request: web.Request) -> web.Response:
    devices = target_devices(request)
    store, kitchen = request.app[STORE], request.app[KITCHEN]
    body = await read_json(request)
    oid = await integrator_commands.partial_update_order(store, kitchen, body, devices, actor_of(request))
    return await _answer(request, oid, devices, 200)


@routes.put("/integrators/kds-orders/cancel")
async def cancel_order(request: web.Request) -> web.Response:
    devices = target_devices(request)
    store, kitchen = request.app[STORE], request.app[KITCHEN]
    oid = await integrator_commands.cancel_order(store, kitchen, await read_json(request), devices, actor_of(request))
    log.info("order canceled order=%s", oid)
    return await _answer(request, oid, devices, 200)


@routes.get("/integrators/kds-orders/active")
async def active_orders(request: web.Request) -> web.Response:
    devices = target_devices(request)
    names = known_devices(request)
    active = sorted(request.app[STORE].orders_on_screen(), key=lambda o: (not o.priority, o.created_ms))
    body: list[dict[str, Any]] = []
    for device in devices:
        orders = [{"orderId": o.id, "orderName": o.display_name} for o in active if device in o.devices]
        body.append({"deviceId": device, "deviceName": names[device], "orderCount": len(orders), "orders": orders})
    return json_response(body)
