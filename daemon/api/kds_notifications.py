"""Fresh's "KDS Cloud Notifications": customer arrived, estimated arrival, a message for the screens.

Same headers as the orders routes (token, location, x-device-ids). Each becomes an event (daemon.domain.
notices), so it reaches the targeted devices' screens as a live WebSocket event and, for the order-bound
ones, stays on the order for a screen that connects later.
"""

from __future__ import annotations

import logging

from aiohttp import web

from daemon.api.context import KITCHEN, STORE
from daemon.api.integrator import SlashTolerantResource, actor_of, delivery_statuses, target_devices
from daemon.api.responses import json_response, read_json
from daemon.domain import kds_notification as n
from daemon.domain import notices
from daemon.domain.events import ORDER

log = logging.getLogger(__name__)
BASE = "/integrators/kds-notifications"


async def customer_arrived(request: web.Request) -> web.Response:
    devices = target_devices(request)
    kitchen = request.app[KITCHEN]
    body = n.check(n.CUSTOMER_ARRIVED, await read_json(request), kitchen.zone)
    oid, retry = body["id"], body.get("retry")
    decide = lambda order: notices.customer_arrived(order, oid, devices, retry)  # noqa: E731
    await request.app[STORE].execute(ORDER, oid, decide, actor_of(request))
    log.info("customer arrived order=%s devices=%s", oid, ",".join(devices))
    return json_response({"orderId": oid, "deliveryStatuses": delivery_statuses(kitchen, devices)})


async def estimated_arrival(request: web.Request) -> web.Response:
    devices = target_devices(request)
    kitchen = request.app[KITCHEN]
    body = n.check(n.ESTIMATED_ARRIVAL, await read_json(request), kitchen.zone)
    oid, minutes, retry = body["id"], body["minutes"], body.get("retry")
    decide = lambda order: notices.arrival_estimated(order, oid, minutes, devices, retry)  # noqa: E731
    await request.app[STORE].execute(ORDER, oid, decide, actor_of(request))
    return json_response({"orderId": oid, "deliveryStatuses": delivery_statuses(kitchen, devices)})


async def send_message(request: web.Request) -> web.Response:
    devices = target_devices(request)
    kitchen = request.app[KITCHEN]
    body = n.check(n.SEND_MESSAGE, await read_json(request), kitchen.zone)
    change = notices.send_message(kitchen.location_id, body["message"], devices, body.get("retry"))
    await request.app[STORE].execute(notices.NOTICE, kitchen.location_id, lambda _: change, actor_of(request))
    return json_response({"deliveryStatuses": delivery_statuses(kitchen, devices)})


def add_routes(app: web.Application) -> None:
    for path, handler in (
        (f"{BASE}/customer-arrived", customer_arrived),
        (f"{BASE}/estimated-arrival-update", estimated_arrival),
        (f"{BASE}/send-message", send_message),
    ):
        resource = SlashTolerantResource(path)
        app.router.register_resource(resource)
        resource.add_route("POST", handler)
