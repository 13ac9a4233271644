"""The OpenAPI paths of the hardware routes (bump bars, printers): kept apart so the main document
grows by one line per family."""

from __future__ import annotations

from typing import Any

_STATION = {"name": "station_id", "in": "path", "required": True, "schema": {"type": "string"}}
_ERRORS = {
    str(code): {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for code, text in (
        (400, "invalid request; the message names the field"),
        (401, "missing or invalid credentials"),
        (403, "authenticated, but not allowed"),
        (404, "not found"),
        (409, "conflict"),
    )
}
ACTIONS = [
    "bump",
    "recall",
    "next",
    "previous",
    "page_next",
    "page_previous",
    "start",
    "item_up",
    "item_down",
    "item_bump",
    "summary",
    "priority",
    "home",
]
SELECTION: dict[str, Any] = {
    "type": "object",
    "properties": {
        "station_id": {"type": "string"},
        "order_id": {"type": ["string", "null"]},
        "ticket_id": {"type": ["string", "null"]},
        "position": {"type": ["integer", "null"]},
        "page": {"type": "integer"},
        "page_size": {"type": "integer"},
        "item_id": {"type": ["string", "null"]},
        "summary": {"type": "boolean"},
        "version": {"type": "integer"},
        "last_action": {"type": ["string", "null"]},
        "last_error": {"type": ["string", "null"]},
    },
}


def _op(
    tag: str, summary: str, ok: dict[str, Any], params: list[dict[str, Any]], body: dict[str, Any] | None = None
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "tags": [tag],
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": params,
        "responses": {"200": {"description": "success", "content": {"application/json": {"schema": ok}}}, **_ERRORS},
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def bumpbar_paths() -> dict[str, Any]:
    bar = {"name": "bar_id", "in": "path", "required": True, "schema": {"type": "string"}}
    bars = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "kind": {"enum": ["keyboard", "evdev", "serial"]},
                "station_id": {"type": "string"},
                "path": {"type": ["string", "null"]},
                "connected": {"type": ["boolean", "null"]},
                "last_error": {"type": ["string", "null"]},
            },
        },
    }
    key_body = {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}}}
    action_body = {
        "type": "object",
        "required": ["action"],
        "properties": {"action": {"type": "string", "examples": ACTIONS}},
    }
    key_answer = {
        "type": "object",
        "properties": {
            "bar_id": {"type": "string"},
            "key": {"type": "string"},
            "action": {"type": ["string", "null"]},
            "selection": SELECTION,
        },
    }
    return {
        "/api/v1/bumpbars": {
            "get": _op("bumpbars", "The configured bump bars and whether each is plugged in", bars, [])
        },
        "/api/v1/bumpbars/{bar_id}/keys": {
            "post": _op(
                "bumpbars",
                "A key of a keyboard-wedge bar, handed over by the screen (tickets:write)",
                key_answer,
                [bar],
                key_body,
            )
        },
        "/api/v1/kds/stations/{station_id}/selection": {
            "get": _op("bumpbars", "The ticket and item the station's bump bars act on", SELECTION, [_STATION])
        },
        "/api/v1/kds/stations/{station_id}/actions": {
            "post": _op(
                "bumpbars", "Apply a bump bar action at the station (tickets:write)", SELECTION, [_STATION], action_body
            )
        },
    }


def printer_paths() -> dict[str, Any]:
    printer = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "kind": {"enum": ["network", "usb", "serial", "file"]},
            "profile": {"type": "string"},
            "backup_for": {"type": ["string", "null"]},
            "online": {"type": ["boolean", "null"], "description": "null until the first status answer"},
            "paper": {"enum": ["ok", "near_end", "out", "unknown"]},
            "jobs_waiting": {"type": "integer"},
            "last_error": {"type": ["string", "null"]},
            "last_status_ms": {"type": ["integer", "null"]},
            "printed": {"type": "integer"},
            "dropped": {"type": "integer"},
        },
    }
    order = {"name": "order_id", "in": "path", "required": True, "schema": {"type": "string"}}
    reprint = _op(
        "printers",
        "Print the order's current ticket at the station again, marked REPRINT (tickets:write)",
        {
            "type": "object",
            "properties": {"ticket_id": {"type": "string"}, "jobs": {"type": "array", "items": {"type": "string"}}},
        },
        [_STATION, order],
    )
    reprint["responses"]["202"] = reprint["responses"].pop("200")
    return {
        "/api/v1/printers": {
            "get": _op(
                "printers",
                "This device's printers: online, paper, jobs waiting, last error",
                {"type": "array", "items": printer},
                [],
            )
        },
        "/api/v1/kds/stations/{station_id}/orders/{order_id}/ticket/reprint": {"post": reprint},
    }
