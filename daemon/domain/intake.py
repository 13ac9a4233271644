"""Validation of the integrator's KdsOrder payloads: strict on what is wrong or missing, liberal on
what is unknown (unknown fields are kept with the order and returned)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from daemon.domain.errors import ValidationFailed
from daemon.domain.model import CourseHint, OrderMode

_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_DURATION = re.compile(
    r"^P(?!$)(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
_MODES = {m.value.lower().replace(" ", ""): m.value for m in OrderMode}
_HINTS = {h.value for h in CourseHint}

# Order fields (besides id, name, time, mode, items) with the type check each must pass.
_STRING_FIELDS = (
    "deliveryAddress",
    "server",
    "terminal",
    "specialInstructions",
    "vehicleModel",
    "vehicleColor",
    "originSource",
    "checkNumber",
)
_BOOL_FIELDS = ("optInForSms", "deliveryHandoff", "priority")
_ITEM_STRINGS = ("id", "lineId", "price", "specialInstructions", "course", "seat", "category")
_COST_STRINGS = ("subtotal", "tax", "deliveryFee", "surcharge", "convenienceFee", "tip", "total")


def fail(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {reason}", field=field)


def parse_duration_seconds(text: str) -> float | None:
    """ISO 8601 duration (PT30M, P1DT2H) → seconds; None if it is not one. Years/months count 365/30 days."""
    m = _DURATION.match(text)
    if not m:
        return None
    y, mo, w, d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return ((((y * 365 + mo * 30 + w * 7 + d) * 24 + h) * 60 + mi) * 60) + s


def parse_instant(text: str) -> datetime | None:
    """ISO 8601 date-time with a zone ("Z" or an offset); a date-time without one is ambiguous."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _string(payload: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
    value = payload.get(key)
    if value is None:
        if required:
            raise fail(path, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise fail(path, "must be a string")
    text = str(value)
    if required and not text.strip():
        raise fail(path, "must not be empty")
    return text


def _check_instant(payload: Mapping[str, Any], key: str, *, required: bool = False) -> None:
    value = _string(payload, key, key, required=required)
    if value is not None and parse_instant(value) is None:
        raise fail(key, f"must be an ISO 8601 date-time with a zone, such as 2023-04-03T13:48:38.769Z; got {value!r}")


def _check_phone(value: Any, path: str) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not _E164.match(value):
        raise fail(path, f"must be an E.164 phone number such as +16155551234; got {value!r}")


def _check_mode(payload: Mapping[str, Any], *, required: bool) -> str | None:
    value = _string(payload, "mode", "mode", required=required)
    if value is None:
        return None
    canonical = _MODES.get(value.lower().replace(" ", "").replace("-", "").replace("_", ""))
    if canonical is None:
        allowed = ", ".join(m.value for m in OrderMode)
        raise fail("mode", f"must be one of {allowed}; got {value!r}")
    return canonical


def _check_costs(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise fail("costs", "must be an object")
    for key in _COST_STRINGS:
        _string(value, key, f"costs.{key}")
    for key, required_name in (("additionalFees", True), ("promoCodes", False)):
        entries = value.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise fail(f"costs.{key}", "must be an array")
        for i, entry in enumerate(entries):
            path = f"costs.{key}[{i}]"
            if not isinstance(entry, Mapping):
                raise fail(path, "must be an object")
            _string(entry, "name", f"{path}.name", required=required_name)
            _string(entry, "amount", f"{path}.amount", required=True)


def _check_delivery_service(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise fail("deliveryService", "must be an object")
    _string(value, "name", "deliveryService.name", required=True)
    _string(value, "orderId", "deliveryService.orderId", required=True)
    _check_phone(value.get("driverPhone"), "deliveryService.driverPhone")


def _check_optional_fields(payload: Mapping[str, Any]) -> None:
    for key in _STRING_FIELDS:
        value = payload.get(key)
        if value is not None and value.__class__ is not str:
            _string(payload, key, key)
    for key in _BOOL_FIELDS:
        if payload.get(key) is not None and not isinstance(payload[key], bool):
            raise fail(key, "must be true or false")
    _check_instant(payload, "pickupTime")
    _check_phone(payload.get("phoneNumber"), "phoneNumber")
    url = payload.get("customerArrivedUrl")
    if url is not None and (not isinstance(url, str) or not re.match(r"^https?://\S+$", url)):
        raise fail("customerArrivedUrl", "must be an http(s) URL")
    prep = payload.get("prepTimeDuration")
    if prep is not None and (not isinstance(prep, str) or parse_duration_seconds(prep) is None):
        raise fail("prepTimeDuration", f"must be an ISO 8601 duration such as PT30M; got {prep!r}")
    covers = payload.get("covers")
    if covers is not None and (isinstance(covers, bool) or not isinstance(covers, int) or covers < 0):
        raise fail("covers", "must be a whole number of guests, 0 or more")
    _check_costs(payload.get("costs"))
    _check_delivery_service(payload.get("deliveryService"))


def _check_mods(value: Any, path: str) -> list[dict[str, Any]]:
    if value is None:
        raise fail(path, "is required; send [] for an item without modifiers")
    if not isinstance(value, list):
        raise fail(path, "must be an array of modifiers")
    mods: list[dict[str, Any]] = []
    for i, mod in enumerate(value):
        here = f"{path}[{i}]"
        if isinstance(mod, str):  # the old form, still supported by the seed
            mods.append({"name": mod, "qty": 1})
            continue
        if not isinstance(mod, Mapping):
            raise fail(here, "must be a string or an object with a name")
        name = _string(mod, "name", f"{here}.name", required=True)
        qty = mod.get("qty", 1)
        if qty is None:
            qty = 1
        if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
            raise fail(f"{here}.qty", "must be a whole number, 1 or more")
        allergens = mod.get("allergens") or []
        mods.append({**mod, "name": name, "qty": qty, "allergens": [str(a) for a in allergens]})
    return mods


def check_item(item: Any, path: str) -> dict[str, Any]:
    """A KdsItem, validated; the returned dict has mods in object form and keeps unknown keys."""
    if not isinstance(item, Mapping):
        raise fail(path, "must be an object")
    _string(item, "name", f"{path}.name", required=True)
    qty = item.get("qty")
    if qty is None:
        raise fail(f"{path}.qty", "is required")
    if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
        raise fail(f"{path}.qty", "must be a whole number, 1 or more")
    for key in _ITEM_STRINGS:
        value = item.get(key)
        if value is not None and value.__class__ is not str:  # the common case costs one lookup
            _string(item, key, f"{path}.{key}")
    hint = item.get("courseStatus")
    if hint is not None and hint not in _HINTS:
        raise fail(f"{path}.courseStatus", f"must be one of {', '.join(sorted(_HINTS))}; got {hint!r}")
    return {**item, "mods": _check_mods(item.get("mods"), f"{path}.mods")}


def check_items(items: Any, path: str = "items", *, required: bool = True) -> list[dict[str, Any]]:
    if items is None:
        if required:
            raise fail(path, "is required")
        return []
    if not isinstance(items, list):
        raise fail(path, "must be an array of items")
    checked = [check_item(item, f"{path}[{i}]") for i, item in enumerate(items)]
    seen: set[str] = set()
    for i, item in enumerate(checked):
        line = item.get("lineId")
        if line is None:
            continue
        if str(line) in seen:
            raise fail(f"{path}[{i}].lineId", f"duplicates lineId {line!r}; lineId must be unique within the order")
        seen.add(str(line))
    return checked


def order_id(payload: Any) -> str:
    if not isinstance(payload, Mapping):
        raise ValidationFailed("the body must be a JSON object (a KDS order)")
    value = _string(payload, "id", "id", required=True)
    assert value is not None
    return value


def check_order(payload: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A whole KdsOrder (create and full update): its fields without items, and its checked items."""
    order_id(payload)
    _string(payload, "name", "name", required=True)
    _check_instant(payload, "time", required=True)
    mode = _check_mode(payload, required=True)
    _check_optional_fields(payload)
    items = check_items(payload.get("items"))
    fields = {k: v for k, v in payload.items() if k != "items"}
    fields["id"] = str(fields["id"])
    fields["mode"] = mode
    return fields, items


PARTIAL_ITEM_KEYS = ("itemsToAdd", "itemsToUpdate", "itemsToRemove")


def check_partial(payload: Any) -> dict[str, Any]:
    """A partial update: only `id` is required; null or absent properties leave the order as it is."""
    order_id(payload)
    present = {k: v for k, v in payload.items() if v is not None}
    if "name" in present:
        _string(present, "name", "name", required=True)
    if "mode" in present:
        present["mode"] = _check_mode(present, required=True)
    if "time" in present:
        _check_instant(present, "time")
    _check_optional_fields(present)
    add = check_items(present.get("itemsToAdd"), "itemsToAdd", required=False)
    update = check_items(present.get("itemsToUpdate"), "itemsToUpdate", required=False)
    remove = present.get("itemsToRemove") or []
    if not isinstance(remove, list) or not all(isinstance(x, (str, int)) for x in remove):
        raise fail("itemsToRemove", "must be an array of lineIds")
    fields = {k: v for k, v in present.items() if k not in PARTIAL_ITEM_KEYS and k != "id"}
    return {"fields": fields, "add": add, "update": update, "remove": [str(x) for x in remove]}
