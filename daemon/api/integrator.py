"""The integrator API (/integrators/kds-orders): how POS systems create, update and cancel orders.

Paths, bodies, status codes and messages follow shared/seeds/integrator-kds-orders-api.txt exactly.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from daemon.api import integrator_commands
from daemon.api.auth import INTEGRATION
from daemon.api.context import KITCHEN, STORE, Kitchen
from daemon.api.responses import json_response, read_json
from daemon.domain.errors import ValidationFailed
from daemon.domain.events import Actor

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


def target_devices(request: web.Request) -> list[str]:
    """x-device-ids: one id, a comma-separated list, or 'all'. Unknown ids are refused, not ignored:
    an order sent to a screen that does not exist would be an order nobody sees."""
    kitchen = request.app[KITCHEN]
    known = kitchen.known_devices()
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


def delivery_statuses(kitchen: Kitchen, devices: list[str]) -> list[dict[str, str]]:
    """One entry per targeted device. Every device here is this one until peers exist, and the order
    is durable in its log before we answer, so each is delivered."""
    return [{"device": d, "status": "success", "type": "heard"} for d in devices]


def _answer(request: web.Request, order_id: str, devices: list[str], status: int) -> web.Response:
    body = {"orderId": order_id, "deliveryStatuses": delivery_statuses(request.app[KITCHEN], devices)}
    return json_response(body, status=status)


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
    oid = await integrator_commands.create_order(store, kitchen, await read_json(request), devices, actor_of(request))
    log.debug("order created order=%s devices=%s", oid, ",".join(devices))
    return _answer(request, oid, devices, 201)


@routes.put("/integrators/kds-orders")
async def update_order(request: web.Request) -> web.Response:
    devices = target_devices(request)
    store, kitchen = request.app[STORE], request.app[KITCHEN]
    oid = await integrator_commands.update_order(store, kitchen, await read_json(request), devices, actor_of(request))
    return _answer(request, oid, devices, 200)


@routes.put("/integrators/kds-orders/partial")
async def partial_update_order(request: web.Request) -> web.Response:
    devices = target_devices(request)
    store, kitchen = request.app[STORE], request.app[KITCHEN]
    body = await read_json(request)
    oid = await integrator_commands.partial_update_order(store, kitchen, body, devices, actor_of(request))
    return _answer(request, oid, devices, 200)


@routes.put("/integrators/kds-orders/cancel")
async def cancel_order(request: web.Request) -> web.Response:
    devices = target_devices(request)
    store, kitchen = request.app[STORE], request.app[KITCHEN]
    oid = await integrator_commands.cancel_order(store, kitchen, await read_json(request), devices, actor_of(request))
    log.info("order canceled order=%s", oid)
    return _answer(request, oid, devices, 200)


@routes.get("/integrators/kds-orders/active")
async def active_orders(request: web.Request) -> web.Response:
    devices = target_devices(request)
    names = request.app[KITCHEN].known_devices()
    active = sorted(request.app[STORE].orders_on_screen(), key=lambda o: (not o.priority, o.created_ms))
    body: list[dict[str, Any]] = []
    for device in devices:
        orders = [{"orderId": o.id, "orderName": o.display_name} for o in active if device in o.devices]
        body.append({"deviceId": device, "deviceName": names[device], "orderCount": len(orders), "orders": orders})
    return json_response(body)
