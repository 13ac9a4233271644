"""The OpenAPI description of the peer endpoints and of `GET /api/v1/devices` (docs/replication.md)."""

from __future__ import annotations

from typing import Any

_ERRORS = {
    "400": {"description": "a parameter is wrong (named)"},
    "401": {"description": "no peer token, or one not signed with this location's secret"},
    "403": {"description": "a peer token of another location"},
}
_PEER = {"security": [{"peerToken": []}], "tags": ["peers"]}
_VERSIONS = {"type": "object", "additionalProperties": {"type": "integer"}, "description": "highest seq per origin"}
_EVENT = {
    "type": "object",
    "required": ["origin", "seq", "hlc", "type", "aggregate", "aggregateId", "payload"],
    "properties": {
        "origin": {"type": "string"},
        "seq": {"type": "integer", "minimum": 1},
        "hlc": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
        "type": {"type": "string"},
        "aggregate": {"type": "string"},
        "aggregateId": {"type": "string"},
        "payload": {"type": "object"},
        "actor": {"type": "object"},
        "schema": {"type": "integer"},
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def paths() -> dict[str, Any]:
    device = {
        "type": "object",
        "properties": {
            "deviceId": {"type": "string"},
            "name": {"type": "string"},
            "self": {"type": "boolean"},
            "address": {"type": ["string", "null"]},
            "connected": {"type": "boolean"},
            "lastContactAt": {"type": ["string", "null"], "format": "date-time"},
            "replicationLag": {"type": "integer"},
            "clockOffsetMs": {"type": ["integer", "null"]},
            "clockWarning": {"type": "boolean"},
        },
    }
    devices = {"type": "object", "properties": {"devices": {"type": "array", "items": device}}}
    hello = {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "integer"},
            "tenantId": {"type": "string"},
            "locationId": {"type": "string"},
            "deviceId": {"type": "string"},
            "name": {"type": "string"},
            "versions": _VERSIONS,
            "nowMs": {"type": "integer"},
        },
    }
    batch = {
        "type": "object",
        "properties": {"events": {"type": "array", "items": _EVENT}, "more": {"type": "boolean"}},
    }
    query = [
        {"name": "origin", "in": "query", "required": True, "schema": {"type": "string"}},
        {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 5000}},
    ]
    return {
        "/api/v1/devices": {
            "get": {
                "tags": ["peers"],
                "summary": "The location's devices: name, address, last contact, lag, clock offset (tickets:read)",
                "security": [{"bearer": []}],
                "responses": {"200": _json(devices, "the devices, this one first"), "401": _ERRORS["401"]},
            }
        },
        "/peer/v1/join": {
            "post": {
                "tags": ["peers"],
                "summary": "Spend a pairing code (heardctl pairing-code): the location's identity, secret and peers",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["code"],
                                "properties": {
                                    "code": {"type": "string"},
                                    "deviceId": {"type": "string"},
                                    "name": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {"description": "the location (tenantId, locationId, locationName, secret, peers)"},
                    "400": _ERRORS["400"],
                    "403": {"description": "INVALID_PAIRING_CODE: wrong, spent or expired"},
                },
            }
        },
        "/peer/v1/hello": {
            "get": {
                **_PEER,
                "summary": "Identity, version vector and clock of this device",
                "responses": {"200": _json(hello, "hello"), **_ERRORS},
            }
        },
        "/peer/v1/events": {
            "get": {
                **_PEER,
                "summary": "One origin's events after a seq, in seq order",
                "parameters": query,
                "responses": {"200": _json(batch, "a batch"), **_ERRORS},
            }
        },
        "/peer/v1/stream": {
            "get": {
                **_PEER,
                "summary": "WebSocket: what the peer lacks past its version vector, then events as they commit",
                "responses": {"101": {"description": "switching protocols"}, **_ERRORS},
            }
        },
    }


SECURITY_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (audience heard-peer)"}
