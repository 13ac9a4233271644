"""The component schemas of the OpenAPI document: the shapes of orders, items, tickets and errors.

The integrator payload's schemas (KdsOrder, KdsItem, Modifier, …) are built from daemon.domain.kds_order, the
definition the validator is compiled from, so what the document promises is what intake checks."""

from __future__ import annotations

from typing import Any

from daemon.domain import kds_notification
from daemon.domain import kds_order as k

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

_UNKNOWN = (
    f"Unknown properties are kept with the order and returned, up to {k.UNKNOWN_DEPTH_MAX} levels deep and "
    f"{k.UNKNOWN_VALUES_MAX} values in all per request."
)


def field_schema(spec: k.Field) -> dict[str, Any]:
    """The JSON Schema of one field of the integrator payload, from the definition intake checks it with."""
    if isinstance(spec, k.Text):
        text: dict[str, Any] = {"type": ["string", "number"] if spec.numbers else "string"}
        text.update(maxLength=spec.max_length, pattern=spec.pattern)
        if spec.non_blank:
            text["minLength"] = 1
        if spec.format:
            text["format"] = spec.format
        if spec.number_max is not None:
            text["x-number-maximum"] = spec.number_max
        return _described(text, spec.description)
    if isinstance(spec, k.Whole):
        whole: dict[str, Any] = {"type": "integer", "minimum": spec.minimum, "maximum": spec.maximum}
        if spec.default is not None:
            whole["default"] = spec.default
        return _described(whole, spec.description)
    if isinstance(spec, k.Flag):
        return _described({"type": "boolean"}, spec.description)
    if isinstance(spec, k.Choice):
        loose = "case, spaces, '-' and '_' do not count" if spec.loose else ""
        return _described({"type": "string", "enum": list(spec.values)}, spec.description or loose)
    if isinstance(spec, k.Instant):
        instant = {
            "type": "string",
            "format": "date-time",
            "maxLength": spec.max_length,
            "formatMinimum": f"{spec.earliest:%Y-%m-%dT%H:%M:%SZ}",
            "formatExclusiveMaximum": f"{spec.latest:%Y-%m-%dT%H:%M:%SZ}",
            "description": (
                "ISO 8601 with Z or an offset; without one, local time in the location's time zone "
                "(location.timezone); or epoch milliseconds as a string of 11 to 16 digits"
            ),
        }
        epoch_ms = {
            "type": "integer",
            "minimum": k.epoch_ms_of(spec.earliest),
            "maximum": k.epoch_ms_of(spec.latest) - 1,
            "description": "epoch milliseconds",
        }
        return _described({"anyOf": [instant, epoch_ms]}, spec.description)
    if isinstance(spec, k.Duration):
        duration = {
            "type": "string",
            "format": "duration",
            "maxLength": spec.max_length,
            "pattern": spec.pattern,
            "x-maximum-seconds": spec.max_seconds,
        }
        return _described(duration, spec.description)
    if isinstance(spec, k.Nested):
        return {"$ref": f"#/components/schemas/{spec.shape.name}"}
    array: dict[str, Any] = {"type": "array", "items": field_schema(spec.element), "maxItems": spec.max_items}
    if spec.unique:
        array["x-unique-by"] = spec.unique
    return _described(array, spec.description)


def _described(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {**schema, "description": description} if description else schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Null is accepted for every optional property: it means absent (or, in a partial update, "leave as is")."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    if "anyOf" in schema:
        return {**schema, "anyOf": [*schema["anyOf"], {"type": "null"}]}
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    out = {**schema, "type": [*types, "null"]}
    if "enum" in schema:
        out["enum"] = [*schema["enum"], None]
    return out


def object_schema(shape: k.Shape) -> dict[str, Any]:
    """The component schema of one object of the integrator payload."""
    properties = {
        name: field_schema(spec) if name in shape.required else _nullable(field_schema(spec))
        for name, spec in shape.fields.items()
    }
    schema: dict[str, Any] = {"type": "object", "additionalProperties": True, "properties": properties}
    if shape.required:
        schema["required"] = list(shape.required)
    unknown = ""
    if shape.keeps_unknown:
        schema["x-unknown-properties"] = {"maxDepth": k.UNKNOWN_DEPTH_MAX, "maxValuesPerRequest": k.UNKNOWN_VALUES_MAX}
        unknown = _UNKNOWN
    if shape.shorthand is None:
        schema["description"] = ". ".join(d for d in (shape.description, unknown) if d)
        return schema
    schema["description"] = unknown
    short = {**field_schema(shape.fields[shape.shorthand]), "type": "string"}  # the old form: a string only
    return {"oneOf": [short, schema], "description": shape.description}


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
            for k in ("created_at", "started_at", "ready_at", "completed_at", "updated_at", "seen_at")
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
        "flag": {"enum": ["added", "modified", "deleted", "voided", None]},
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


_NULLABLE_TEXT = {"type": ["string", "null"]}
KDS_DEVICE = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
}
_LOCATION_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string"},
    "number": _NULLABLE_TEXT,
    "name": {"type": "string"},
    "address": {
        "type": "object",
        "properties": {k: _NULLABLE_TEXT for k in ("zip", "city", "line1", "line2", "state")},
    },
    "timezone": {"type": "string", "description": "IANA time zone"},
}
_LOCATION_REQUIRED = ["id", "number", "name", "address", "timezone"]
KDS_LOCATION = {"type": "object", "required": _LOCATION_REQUIRED, "properties": _LOCATION_PROPERTIES}
KDS_LOCATION_WITH_DEVICES = {
    "type": "object",
    "required": [*_LOCATION_REQUIRED, "devices"],
    "properties": {
        **_LOCATION_PROPERTIES,
        "devices": {"type": "array", "items": {"$ref": "#/components/schemas/KdsDevice"}},
    },
}


def components() -> dict[str, Any]:
    """Every named schema, for `components.schemas`."""
    return {
        "Error": ERROR,
        **{shape.name: object_schema(shape) for shape in k.SHAPES},
        **{shape.name: object_schema(shape) for shape in kds_notification.SHAPES},
        "DeliveryResult": DELIVERY,
        "Ticket": TICKET,
        "KitchenItem": KITCHEN_ITEM,
        "KitchenOrder": KITCHEN_ORDER,
        "Station": STATION,
        "RoutingRule": ROUTING_RULE,
        "KdsDevice": KDS_DEVICE,
        "KdsLocation": KDS_LOCATION,
        "KdsLocationWithDevices": KDS_LOCATION_WITH_DEVICES,
    }
