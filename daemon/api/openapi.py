"""The OpenAPI 3.1 document of every route; a test compares it with the router so it cannot drift."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from daemon.api import coursing_openapi
from daemon.api.openapi_hardware import bumpbar_paths, printer_paths
from daemon.api.schemas import components
from daemon.api.tables_openapi import tables_paths
from sync.openapi import SECURITY_SCHEME as PEER_SECURITY_SCHEME
from sync.openapi import paths as peer_paths

routes = web.RouteTableDef()

_INTEGRATOR_HEADERS = [
    {"name": "x-integration-token", "in": "header", "required": True, "schema": {"type": "string"}},
    {"name": "x-location-id", "in": "header", "required": True, "schema": {"type": "string"}},
    {
        "name": "x-device-ids",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "a device id, a comma-separated list, or 'all'",
    },
]
_STATION = {"name": "station_id", "in": "path", "required": True, "schema": {"type": "string"}}
_RULE = {"name": "rule_id", "in": "path", "required": True, "schema": {"type": "string"}}
_ORDER = {"name": "order_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _success(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["success", "data"],
        "properties": {"success": {"type": "boolean"}, "data": data},
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_ERRORS = {
    str(code): _json(_ref("Error"), text)
    for code, text in (
        (400, "invalid request; the message names the field"),
        (401, "missing or invalid credentials"),
        (403, "authenticated, but not allowed"),
        (404, "not found"),
        (409, "conflict with the current state"),
        (413, "body too large"),
    )
}


def _integrator(summary: str, body: str | None, ok: int, ok_schema: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "tags": ["integrator"],
        "summary": summary,
        "security": [{"integrationToken": []}],
        "parameters": _INTEGRATOR_HEADERS,
        "responses": {str(ok): _json(ok_schema, "success"), **_ERRORS},
    }
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return op


def _information(summary: str, ok_schema: dict[str, Any], parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "tags": ["integrator"],
        "summary": summary,
        "security": [{"integrationToken": []}],
        "parameters": [_INTEGRATOR_HEADERS[0], *parameters],
        "responses": {"200": _json(ok_schema, "success"), **_ERRORS},
    }


def _crud(
    tag: str,
    summary: str,
    body: str | None,
    ok: int,
    ok_schema: dict[str, Any] | None,
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    ok_response = _json(ok_schema, "success") if ok_schema else {"description": "done"}
    op: dict[str, Any] = {
        "tags": [tag],
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": parameters or [],
        "responses": {str(ok): ok_response, **_ERRORS},
    }
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return op


def _ticket_action(summary: str, body: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {
        "tags": ["tickets"],
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": [_STATION, _ORDER],
        "responses": {"200": _json(_ref("Ticket"), "the ticket after the action"), **_ERRORS},
    }
    if body:
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["priority"],
                        "properties": {"priority": {"enum": ["normal", "high", "urgent"]}},
                    }
                }
            },
        }
    return op


def _tickets_seen() -> dict[str, Any]:
    ids = {"type": "array", "items": {"type": "string"}}
    body = {
        "type": "object",
        "required": ["order_ids"],
        "properties": {
            "order_ids": {**ids, "minItems": 1, "maxItems": 500, "items": {"type": "string", "minLength": 1}},
            "screen_id": {"type": ["string", "null"], "maxLength": 255},
        },
    }
    answer = {
        "type": "object",
        "properties": {"seen": ids, "already_seen": ids, "not_found": ids},
    }
    return {
        "tags": ["tickets"],
        "summary": "A screen of the station displayed these orders: their tickets there become seen",
        "security": [{"bearer": []}],
        "parameters": [_STATION],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {"200": _json(answer, "which orders' tickets became seen"), **_ERRORS},
    }


def document() -> dict[str, Any]:
    active = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "deviceId": {"type": "string"},
                "deviceName": {"type": "string"},
                "orderCount": {"type": "integer"},
                "orders": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"orderId": {"type": "string"}, "orderName": {"type": "string"}},
                    },
                },
            },
        },
    }
    tickets_base = "/api/v1/kds/stations/{station_id}/orders/{order_id}/ticket"
    paths: dict[str, Any] = {
        "/healthz": {"get": {"tags": ["health"], "summary": "alive", "responses": {"200": {"description": "ok"}}}},
        "/readyz": {
            "get": {
                "tags": ["health"],
                "summary": "database open and migrated",
                "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}},
            }
        },
        "/health": {
            "get": {
                "tags": ["health"],
                "summary": "health as Fresh's integrations API answers it (status ok/error, database up/down)",
                "responses": {"200": {"description": "healthy"}, "503": {"description": "cannot store orders"}},
            }
        },
        "/integrators/kds-information": {
            "get": _information(
                "Locations the token reaches, each with its devices",
                {"type": "array", "items": _ref("KdsLocationWithDevices")},
                [],
            )
        },
        "/integrators/kds-information/locations": {
            "get": _information("Locations the token reaches", {"type": "array", "items": _ref("KdsLocation")}, [])
        },
        "/integrators/kds-information/locations/{locationId}/devices": {
            "get": _information(
                "Devices of a location",
                {"type": "array", "items": _ref("KdsDevice")},
                [{"name": "locationId", "in": "path", "required": True, "schema": {"type": "string"}}],
            )
        },
        "/integrators/kds-notifications/customer-arrived": {
            "post": _integrator(
                "Customer arrived: a banner on the order", "CustomerArrived", 200, _ref("DeliveryResult")
            )
        },
        "/integrators/kds-notifications/estimated-arrival-update": {
            "post": _integrator(
                "Minutes until the customer arrives", "EstimatedArrivalUpdate", 200, _ref("DeliveryResult")
            )
        },
        "/integrators/kds-notifications/send-message": {
            "post": _integrator("A pop-up message on the screens", "SendMessage", 200, _ref("DeliveryResult"))
        },
        "/openapi.json": {
            "get": {
                "tags": ["health"],
                "summary": "this document",
                "responses": {"200": {"description": "OpenAPI 3.1"}},
            }
        },
        "/integrators/kds-orders": {
            "post": _integrator("Create KDS order", "KdsOrder", 201, _ref("DeliveryResult")),
            "put": _integrator("Update KDS order (full payload)", "KdsOrder", 200, _ref("DeliveryResult")),
        },
        "/integrators/kds-orders/partial": {
            "put": _integrator("Partial update of a KDS order", "PartialKdsOrder", 200, _ref("DeliveryResult")),
        },
        "/integrators/kds-orders/cancel": {
            "put": _integrator("Cancel a KDS order", "CancelKdsOrder", 200, _ref("DeliveryResult")),
        },
        "/integrators/kds-orders/active": {"get": _integrator("Active orders per device", None, 200, active)},
        "/api/v1/kds/stations/{station_id}/tickets": {
            "get": {
                "tags": ["tickets"],
                "summary": "Tickets at a station",
                "security": [{"bearer": []}],
                "parameters": [
                    _STATION,
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"enum": ["completed", "all"]},
                        "description": "omit for active tickets",
                    },
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 50, "minimum": 1}},
                ],
                "responses": {"200": _json({"type": "array", "items": _ref("Ticket")}, "tickets"), **_ERRORS},
            }
        },
        f"{tickets_base}/start": {"post": _ticket_action("Start: pending → in_progress")},
        f"{tickets_base}/ready": {"post": _ticket_action("Ready: in_progress → ready")},
        f"{tickets_base}/bump": {"post": _ticket_action("Bump: → bumped (items ready)")},
        f"{tickets_base}/recall": {"post": _ticket_action("Recall: ready/bumped → recalled")},
        f"{tickets_base}/void": {"post": _ticket_action("Void (manager, owner, tenant_admin)")},
        f"{tickets_base}/priority": {"post": _ticket_action("Set priority", body=True)},
        "/api/v1/kds/stations/{station_id}/tickets/seen": {"post": _tickets_seen()},
        "/api/v1/kds/stations": {
            "get": _crud("stations", "List stations", None, 200, {"type": "array", "items": _ref("Station")}),
            "post": _crud("stations", "Create a station (managers)", "Station", 201, _ref("Station")),
        },
        "/api/v1/kds/stations/{station_id}": {
            "get": _crud("stations", "A station", None, 200, _ref("Station"), [_STATION]),
            "put": _crud("stations", "Replace a station (managers)", "Station", 200, _ref("Station"), [_STATION]),
            "delete": _crud("stations", "Remove a station and its rules (managers)", None, 204, None, [_STATION]),
        },
        "/api/v1/kds/routing-rules": {
            "get": _crud("stations", "List routing rules", None, 200, {"type": "array", "items": _ref("RoutingRule")}),
            "post": _crud("stations", "Create a routing rule (managers)", "RoutingRule", 201, _ref("RoutingRule")),
        },
        "/api/v1/upstream": {
            "get": _crud(
                "upstream",
                "Uploads to headquarters: state, pending, acked (manager, owner, tenant_admin)",
                None,
                200,
                {
                    "type": "object",
                    "required": ["state", "pending", "oldest_pending_age_s", "last_seq", "acked_seq", "dead_letter"],
                    "properties": {
                        "state": {"enum": ["ok", "retrying", "paused", "off"]},
                        "pending": {"type": "integer"},
                        "oldest_pending_age_s": {"type": ["number", "null"]},
                        "last_seq": {"type": "integer"},
                        "acked_seq": {"type": "integer"},
                        "dead_letter": {"type": "integer"},
                        "last_error": {"type": ["string", "null"]},
                    },
                },
            )
        },
        "/api/v1/kds/routing-rules/{rule_id}": {
            "put": _crud(
                "stations", "Replace a routing rule (managers)", "RoutingRule", 200, _ref("RoutingRule"), [_RULE]
            ),
            "delete": _crud("stations", "Remove a routing rule (managers)", None, 204, None, [_RULE]),
        },
        "/api/v1/ws": {
            "get": {
                "tags": ["live"],
                "summary": "WebSocket: subscribe to branch:{id}, branch:{id}:kitchen, session:{id}; see docs/api.md",
                "security": [{"bearer": []}],
                "parameters": [
                    {
                        "name": "access_token",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "the JWT, for clients that cannot set headers",
                    }
                ],
                "responses": {"101": {"description": "switching protocols"}, **_ERRORS},
            }
        },
        "/api/v1/kitchen/orders": {
            "get": {
                "tags": ["kitchen"],
                "summary": "Active orders with their items (orders:read)",
                "security": [{"bearer": []}],
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"enum": ["pending", "confirmed", "preparing", "ready"]},
                    }
                ],
                "responses": {
                    "200": _json(_success({"type": "array", "items": _ref("KitchenOrder")}), "orders"),
                    **_ERRORS,
                },
            }
        },
        "/api/v1/kitchen/items/{item_id}/status": {
            "patch": {
                "tags": ["kitchen"],
                "summary": "Move an item: pending → preparing → ready → served (orders:update_item_status)",
                "security": [{"bearer": []}],
                "parameters": [{"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["status"],
                                "properties": {"status": {"enum": ["pending", "preparing", "ready", "served"]}},
                            }
                        }
                    },
                },
                "responses": {"200": _json(_success(_ref("KitchenItem")), "the updated item"), **_ERRORS},
            }
        },
    }
    paths.update(peer_paths())
    paths.update(tables_paths())
    paths.update(bumpbar_paths())
    paths.update(printer_paths())
    paths.update(coursing_openapi.paths())
    return {
        "openapi": "3.1.0",
        "info": {"title": "Heard kitchen APIs", "version": "1.0.0"},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "integrationToken": {"type": "apiKey", "in": "header", "name": "x-integration-token"},
                "peerToken": PEER_SECURITY_SCHEME,
            },
            "schemas": {**components(), **coursing_openapi.schemas()},
        },
    }


@routes.get("/openapi.json")
async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(document())
