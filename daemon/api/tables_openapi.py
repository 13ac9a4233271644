"""The OpenAPI paths of the tables family (the document's routes, the managers' floor API, webhooks)."""

from __future__ import annotations

from typing import Any

_ERR = {"$ref": "#/components/schemas/Error"}
_ERRORS = {
    str(code): {"description": text, "content": {"application/json": {"schema": _ERR}}}
    for code, text in (
        (400, "invalid request (missing_location_id, invalid_status, VALIDATION_ERROR; the field is named)"),
        (401, "missing or invalid credentials"),
        (403, "role not allowed, or another location"),
        (404, "table_not_found, ORDER_NOT_FOUND, section_not_found, fixture_not_found, NOT_FOUND"),
        (409, "table_occupied, table_blocked, section_in_use, floor_plan_in_use, …"),
    )
}
_POINT = {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}}}
_SIZE = {"type": "object", "properties": {"width": {"type": "number"}, "height": {"type": "number"}}}
_TABLE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "number": {"type": "string"},
        "name": {"type": "string"},
        "section": {"type": ["string", "null"]},
        "capacity": {"type": "integer"},
        "status": {"enum": ["available", "occupied", "reserved", "dirty", "blocked"]},
        "shape": {"type": "string"},
        "position": {"anyOf": [_POINT, {"type": "null"}]},
        "current_order_id": {"type": ["string", "null"]},
        "seated_at": {"type": "string", "format": "date-time"},
        "party_size": {"type": ["integer", "null"]},
        "server_id": {"type": ["string", "null"]},
        "server_name": {"type": ["string", "null"]},
    },
}
_TABLE_INPUT = {
    "type": "object",
    "required": ["number", "capacity"],
    "properties": {
        "id": {"type": "string"},
        "number": {"type": ["string", "integer"]},
        "name": {"type": "string"},
        "section_id": {"type": ["string", "null"]},
        "capacity": {"type": "integer", "minimum": 1, "maximum": 500},
        "min_capacity": {"type": ["integer", "null"]},
        "shape": {"enum": ["round", "square", "rectangle", "oval", "booth", "bar"]},
        "dimensions": _SIZE,
        "position": {**_POINT, "properties": {**_POINT["properties"], "rotation": {"type": "number"}}},
        "features": {"type": "array", "items": {"type": "string"}},
        "server_id": {"type": ["string", "null"]},
        "server_name": {"type": ["string", "null"]},
    },
}
_OBJECT = {"type": "object"}
_LOC = {"name": "location_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _op(
    tag: str,
    summary: str,
    params: list[dict[str, Any]],
    ok: int = 200,
    schema: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
    query: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    response: dict[str, Any] = {"description": "success"}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    op: dict[str, Any] = {
        "tags": [tag],
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": params + (query or []),
        "responses": {str(ok): response, **_ERRORS},
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def tables_paths() -> dict[str, Any]:
    t, loc = _param("table_id"), _LOC
    plan = "/api/v1/locations/{location_id}/floor-plan"
    period = [
        {"name": n, "in": "query", "schema": {"type": "string", "format": "date-time"}}
        for n in ("start_date", "end_date")
    ]
    listing = {"type": "object", "properties": {"data": {"type": "array", "items": _TABLE}}}
    return {
        "/api/v1/tables": {
            "get": _op(
                "tables",
                "List tables with ?location_id= (without it: 400 missing_location_id)",
                [],
                schema=listing,
                query=[{"name": "location_id", "in": "query", "schema": {"type": "string"}}],
            )
        },
        "/api/v1/tables/{table_id}": {
            "get": _op("tables", "This location's id: list its tables; a table's id: that table", [t], schema=_OBJECT),
            "patch": _op("tables", "Edit a table (managers)", [t], body=_TABLE_INPUT, schema=_OBJECT),
            "delete": _op("tables", "Remove a table (managers; 409 while seated)", [t], ok=204),
        },
        "/api/v1/tables/{table_id}/assign": {
            "put": _op(
                "tables",
                "Assign a table to an order",
                [t],
                body={
                    "type": "object",
                    "required": ["order_id"],
                    "properties": {"order_id": {"type": "string"}, "party_size": {"type": "integer", "minimum": 1}},
                },
                schema=_OBJECT,
            )
        },
        "/api/v1/tables/{table_id}/status": {
            "patch": _op(
                "tables",
                "Change a table's status",
                [t],
                body={
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": _TABLE["properties"]["status"]},
                },
                schema=_OBJECT,
            )
        },
        "/api/v1/tables/{table_id}/clear": {
            "post": _op("tables", "Clear: dirty, order unlinked, turn recorded", [t], 204)
        },
        "/api/v1/tables/{location_id}/assignments": {
            "get": _op("tables", "Current assignments with a summary", [loc], schema=_OBJECT)
        },
        "/api/v1/tables/{location_id}/turnover": {
            "get": _op("tables", "Turnover metrics for a period", [loc], schema=_OBJECT, query=period)
        },
        "/api/v1/locations/{location_id}/tables": {
            "post": _op("tables", "Create a table (managers)", [loc], 201, _OBJECT, _TABLE_INPUT)
        },
        plan: {
            "get": _op("tables", "The floor plan", [loc], schema=_OBJECT),
            "put": _op("tables", "Set the plan's dimensions (managers)", [loc], schema=_OBJECT, body=_OBJECT),
            "delete": _op(
                "tables", "Remove sections, fixtures, dimensions (managers; 409 while tables remain)", [loc], 204
            ),
        },
        plan + "/sections": {"post": _op("tables", "Create a section (managers)", [loc], 201, _OBJECT, _OBJECT)},
        plan + "/sections/{section_id}": {
            "patch": _op("tables", "Edit a section (managers)", [loc, _param("section_id")], 200, _OBJECT, _OBJECT),
            "delete": _op(
                "tables", "Remove a section (managers; 409 while it has tables)", [loc, _param("section_id")], 204
            ),
        },
        **_webhook_paths(),
        plan + "/fixtures": {"post": _op("tables", "Create a fixture (managers)", [loc], 201, _OBJECT, _OBJECT)},
        plan + "/fixtures/{fixture_id}": {
            "patch": _op("tables", "Edit a fixture (managers)", [loc, _param("fixture_id")], 200, _OBJECT, _OBJECT),
            "delete": _op("tables", "Remove a fixture (managers)", [loc, _param("fixture_id")], 204),
        },
    }


_SUBSCRIPTION = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "format": "uri", "description": "http:// or https://, called from the LAN"},
        "events": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "secret": {"type": "string", "description": "whsec_ + base64 (≥ 16 bytes); generated when absent"},
        "active": {"type": "boolean"},
        "description": {"type": ["string", "null"], "maxLength": 200},
    },
}


def _webhook_paths() -> dict[str, Any]:
    loc, sub = _LOC, _param("subscription_id")
    base = "/api/v1/locations/{location_id}/webhooks"
    status = [{"name": "status", "in": "query", "schema": {"enum": ["pending", "delivered", "failed", "dropped"]}}]
    limit = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}]
    return {
        base: {
            "get": _op("webhooks", "Webhook subscriptions (managers)", [loc], schema=_OBJECT),
            "post": _op(
                "webhooks",
                "Subscribe a URL (managers)",
                [loc],
                201,
                _OBJECT,
                {**_SUBSCRIPTION, "required": ["url", "events"]},
            ),
        },
        base + "/{subscription_id}": {
            "get": _op("webhooks", "A subscription, with its secret", [loc, sub], schema=_OBJECT),
            "patch": _op("webhooks", "Edit a subscription", [loc, sub], schema=_OBJECT, body=_SUBSCRIPTION),
            "delete": _op("webhooks", "Remove a subscription (pending deliveries dropped)", [loc, sub], 204),
        },
        base + "/{subscription_id}/deliveries": {
            "get": _op("webhooks", "Deliveries, newest first", [loc, sub], schema=_OBJECT, query=status + limit)
        },
    }
