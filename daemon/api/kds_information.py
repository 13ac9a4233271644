"""Fresh's "KDS Cloud Information" routes: which locations an integration token reaches and their devices.

POS software calls these to learn the device ids it then names in x-device-ids. A Heard device serves one
location, so the token reaches exactly that one. These routes take x-integration-token only (no
x-location-id), as Fresh's do; the auth middleware knows them by INFORMATION_PREFIX.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from daemon.api.auth import INFORMATION_PREFIX
from daemon.api.context import CONFIG, KITCHEN
from daemon.api.integrator import SlashTolerantResource
from daemon.api.responses import json_response
from daemon.config import LocationConfig
from daemon.domain.errors import NotFound


def location_json(location: LocationConfig) -> dict[str, Any]:
    """A location as Fresh writes it: id, number, name, address (zip, city, line1, line2, state), timezone."""
    address = location.address
    return {
        "id": location.location_id,
        "number": location.number,
        "name": location.name,
        "address": {
            "zip": address.zip,
            "city": address.city,
            "line1": address.line1,
            "line2": address.line2,
            "state": address.state,
        },
        "timezone": location.timezone,
    }


def devices_json(request: web.Request) -> list[dict[str, str]]:
    return [{"id": i, "name": name} for i, name in request.app[KITCHEN].known_devices().items()]


async def information(request: web.Request) -> web.Response:
    """Every location the token reaches, each with its devices."""
    body = {**location_json(request.app[CONFIG].location), "devices": devices_json(request)}
    return json_response([body])


async def locations(request: web.Request) -> web.Response:
    return json_response([location_json(request.app[CONFIG].location)])


async def location_devices(request: web.Request) -> web.Response:
    wanted = request.match_info["locationId"]
    if wanted != request.app[KITCHEN].location_id:
        raise NotFound(f"no location {wanted[:64]!r} for this integration token", code="LOCATION_NOT_FOUND")
    return json_response(devices_json(request))


class _SlashTolerantDynamic(web.DynamicResource):
    """A path with a variable that also takes a trailing slash, as every integrator route does."""

    def _match(self, path: str) -> dict[str, str] | None:
        return super()._match(path[:-1] if len(path) > 1 and path.endswith("/") else path)


def add_routes(app: web.Application) -> None:
    """Each route also answers with a trailing slash, like the orders routes (POS code writes both)."""
    plain = (INFORMATION_PREFIX, information), (f"{INFORMATION_PREFIX}/locations", locations)
    for path, handler in plain:
        resource: web.Resource = SlashTolerantResource(path)
        app.router.register_resource(resource)
        resource.add_route("GET", handler)
    resource = _SlashTolerantDynamic(f"{INFORMATION_PREFIX}/locations/{{locationId}}/devices")
    app.router.register_resource(resource)
    resource.add_route("GET", location_devices)
