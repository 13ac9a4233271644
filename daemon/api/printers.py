"""Printers over HTTP: their state (GET /api/v1/printers) and reprints of a ticket.

POST /api/v1/kds/stations/{station_id}/orders/{order_id}/ticket/reprint prints the order's current
ticket at the station again (the same current-ticket rule as bump; a bumped ticket is still the
current one when nothing newer is active), marked REPRINT, on each of the station's printers on this
device: 202 with the jobs recorded, 409 NO_PRINTER when the station has none here.
"""

from __future__ import annotations

from aiohttp import web

from daemon.api.auth import require
from daemon.api.context import KITCHEN, STORE
from daemon.api.responses import json_response
from daemon.domain import commands
from daemon.domain.errors import Conflict, OrderNotFound, StationNotFound
from daemon.domain.events import ORDER
from daemon.domain.model import Order
from daemon.reactions.printing import PRINTING

routes = web.RouteTableDef()


@routes.get("/api/v1/printers")
async def list_printers(request: web.Request) -> web.Response:
    require(request, "tickets:read")
    return json_response(request.app[PRINTING].status())


@routes.post("/api/v1/kds/stations/{station_id}/orders/{order_id}/ticket/reprint")
async def reprint(request: web.Request) -> web.Response:
    require(request, "tickets:write")
    station_id, order_id = request.match_info["station_id"], request.match_info["order_id"]
    if station_id not in request.app[STORE].setup(request.app[KITCHEN].location_id).stations:
        raise StationNotFound(f"station {station_id} not found")
    order = await request.app[STORE].load(ORDER, order_id)
    if not isinstance(order, Order):
        raise OrderNotFound(f"order {order_id} not found")
    ticket = commands.current_ticket(order, station_id, None)
    jobs = await request.app[PRINTING].reprint(order, ticket)
    if not jobs:
        raise Conflict(f"station {station_id} has no printer on this device", code="NO_PRINTER")
    return json_response({"ticket_id": ticket.id, "jobs": jobs}, status=202)
