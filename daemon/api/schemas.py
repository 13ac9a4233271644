"""The component schemas of the OpenAPI document: the shapes of orders, items, tickets and errors."""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}},
        },
        "message": {"type": "string", "description": "integrator routes only: the seed's own message"},
    },
}

MOD = {
    "oneOf": [
        {"type": "string"},
        {
            "type": "object",
            "required": ["name"],
            "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "qty": {"type": "integer"}},
        },
    ]
}

KDS_ITEM = {
    "type": "object",
    "required": ["name", "qty", "mods"],
    "additionalProperties": True,
    "properties": {
        "id": {"type": "string"},
        "lineId": {"type": "string"},
        "name": {"type": "string"},
        "qty": {"type": "integer", "minimum": 1},
        "price": {"type": "string"},
        "mods": {"type": "array", "items": {"$ref": "#/components/schemas/Modifier"}},
        "specialInstructions": {"type": "string"},
        "course": {"type": "string"},
        "courseStatus": {"enum": ["straightFire", "hold", "fire", "pickup"]},
        "seat": {"type": "string"},
    },
}

MONEY = {"type": "string"}
COSTS = {
    "type": "object",
    "properties": {
        **{k: MONEY for k in ("subtotal", "tax", "deliveryFee", "surcharge", "convenienceFee", "tip", "total")},
        "additionalFees": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "amount"],
                "properties": {"name": MONEY, "amount": MONEY},
            },
        },
        "promoCodes": {
            "type": "array",
            "items": {"type": "object", "required": ["amount"], "properties": {"name": MONEY, "amount": MONEY}},
        },
    },
}
DELIVERY_SERVICE = {
    "type": "object",
    "required": ["name", "orderId"],
    "properties": {"name": {"type": "string"}, "orderId": {"type": "string"}, "driverPhone": {"type": "string"}},
}
MODES = ["For Here", "ToGo", "Pickup", "DriveThru", "Delivery", "Curbside"]
_ORDER_FIELDS: dict[str, Any] = {
    "id": {"type": "string"},
    "name": {"type": "string"},
    "time": {"type": "string", "format": "date-time"},
    "pickupTime": {"type": "string", "format": "date-time"},
    "phoneNumber": {"type": "string", "pattern": r"^\+[1-9]\d{1,14}$"},
    "optInForSms": {"type": "boolean"},
    "deliveryAddress": {"type": "string"},
    "mode": {"enum": MODES},
    "deliveryHandoff": {"type": "boolean"},
    "server": {"type": "string"},
    "terminal": {"type": "string"},
    "specialInstructions": {"type": "string"},
    "customerArrivedUrl": {"type": "string", "format": "uri"},
    "vehicleModel": {"type": "string"},
    "vehicleColor": {"type": "string"},
    "costs": {"$ref": "#/components/schemas/Costs"},
    "deliveryService": {"$ref": "#/components/schemas/DeliveryService"},
    "originSource": {"type": "string"},
    "checkNumber": {"type": "string"},
    "priority": {"type": "boolean"},
    "prepTimeDuration": {"type": "string", "description": "ISO 8601 duration, e.g. PT30M"},
    "covers": {"type": "integer", "minimum": 0},
}
KDS_ORDER = {
    "type": "object",
    "required": ["id", "name", "time", "mode", "items"],
    "additionalProperties": True,
    "properties": {**_ORDER_FIELDS, "items": {"type": "array", "items": {"$ref": "#/components/schemas/KdsItem"}}},
}
PARTIAL = {
    "type": "object",
    "required": ["id"],
    "additionalProperties": True,
    "properties": {
        **{k: {**v, "nullable": True} if "type" in v else v for k, v in _ORDER_FIELDS.items()},
        "itemsToAdd": {"type": ["array", "null"], "items": {"$ref": "#/components/schemas/KdsItem"}},
        "itemsToUpdate": {"type": ["array", "null"], "items": {"$ref": "#/components/schemas/KdsItem"}},
        "itemsToRemove": {"type": ["array", "null"], "items": {"type": "string"}},
    },
}
DELIVERY = {
    "type": "object",
    "properties": {
        "orderId": {"type": "string"},
        "deliveryStatuses": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"device": {"type": "string"}, "status": {"type": "string"}, "type": {"type": "string"}},
            },
        },
    },
}
TICKET = {
    "type": "object",
    "properties": {
        **{
            k: {"type": "string"}
            for k in ("id", "tenant_id", "location_id", "order_id", "station_id", "order_reference")
        },
        "status": {"enum": ["held", "pending", "in_progress", "ready", "bumped", "recalled", "voided"]},
        "priority": {"enum": ["normal", "high", "urgent"]},
        "course_number": {"type": "integer"},
        "order_channel": {"type": ["string", "null"]},
        "customer_name": {"type": ["string", "null"]},
        "server_name": {"type": ["string", "null"]},
        "target_time": {"type": ["string", "null"], "format": "date-time"},
        "estimated_prep_time": {"type": ["integer", "null"]},
        "metadata": {"type": "object"},
        "items": {"type": "array", "items": {"type": "object"}},
        **{
            k: {"type": ["string", "null"], "format": "date-time"}
            for k in ("created_at", "started_at", "ready_at", "completed_at", "updated_at")
        },
    },
}

KITCHEN_ITEM = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "order_id": {"type": "string"},
        "name": {"type": "string"},
        "quantity": {"type": "integer"},
        "status": {"enum": ["pending", "preparing", "ready", "served"]},
        "modifiers": {"type": "array", "items": {"type": "object"}},
        "course": {"type": "integer"},
        "stations": {"type": "array", "items": {"type": "string"}},
        "flag": {"enum": ["added", "modified", "deleted", None]},
    },
}
KITCHEN_ORDER = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "branch_id": {"type": "string"},
        "display_name": {"type": "string"},
        "status": {"enum": ["pending", "confirmed", "preparing", "ready", "served", "canceled"]},
        "canceled": {"type": "boolean"},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/KitchenItem"}},
        "order": {"type": "object", "description": "the POS payload as sent, unknown fields included"},
    },
}

STATION = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "kind": {"enum": ["prep", "expo"]},
        "printers": {"type": "array", "items": {"type": "string"}},
    },
}
ROUTING_RULE = {
    "type": "object",
    "required": ["station_id"],
    "description": "exactly one of menu_item_id, category, name_pattern, default",
    "properties": {
        "id": {"type": "string"},
        "station_id": {"type": "string"},
        "menu_item_id": {"type": ["string", "null"]},
        "category": {"type": ["string", "null"]},
        "name_pattern": {"type": ["string", "null"]},
        "default": {"type": "boolean"},
    },
}


def components() -> dict[str, Any]:
    """Every named schema, for `components.schemas`."""
    return {
        "Error": ERROR,
        "Modifier": MOD,
        "KdsItem": KDS_ITEM,
        "KdsOrder": KDS_ORDER,
        "PartialKdsOrder": PARTIAL,
        "CancelKdsOrder": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
        "Costs": COSTS,
        "DeliveryService": DELIVERY_SERVICE,
        "DeliveryResult": DELIVERY,
        "Ticket": TICKET,
        "KitchenItem": KITCHEN_ITEM,
        "KitchenOrder": KITCHEN_ORDER,
        "Station": STATION,
        "RoutingRule": ROUTING_RULE,
    }
