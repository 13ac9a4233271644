"""Validation of the integrator's payloads (create, full and partial update, cancel): strict on what is wrong,
missing or out of range, and liberal on form (numbers for strings, mods as strings, null for absent) and on what
is unknown (kept with the order, within the unknown-field limits, and returned). The checks are compiled from
the payload's definition (kds_order), which the OpenAPI schemas come from too."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, tzinfo
from typing import Any

from daemon.domain import kds_order as k
from daemon.domain.checks import Checker, Refused, checker
from daemon.domain.errors import ValidationFailed
from daemon.domain.kds_order import parse_duration_seconds, parse_instant

__all__ = ["check_order", "check_partial", "order_id", "parse_duration_seconds", "parse_instant"]


def fail(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {reason}", field=field)


def _run(check: Checker, payload: Any) -> dict[str, Any]:
    """One request's check: a fresh budget for unknown values, and a refusal named by its path."""
    if payload.__class__ is not dict and not isinstance(payload, Mapping):
        raise ValidationFailed("the body must be a JSON object (a KDS order)")
    try:
        out: dict[str, Any] = check(payload, [k.UNKNOWN_VALUES_MAX])
    except Refused as refused:
        raise fail(refused.where.lstrip("."), refused.reason) from None
    return out


_CANCEL = checker(k.CANCEL_KDS_ORDER)


@functools.lru_cache(maxsize=8)
def _compiled(zone: tzinfo) -> tuple[Checker, Checker]:
    """The order and partial-update checks for one time zone, compiled once: a location has one zone, so
    this is one lookup per request."""
    return checker(k.KDS_ORDER, zone), checker(k.PARTIAL_KDS_ORDER, zone)


def order_id(payload: Any) -> str:
    """The order id of any integrator body: present, printable, bounded; nothing else of the body is read."""
    return str(_run(_CANCEL, {"id": payload.get("id")} if isinstance(payload, Mapping) else payload)["id"])


def check_order(payload: Any, zone: tzinfo = UTC) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A whole KdsOrder (create and full update): its fields without items, and its checked items
    (mods in object form, unknown keys kept). A date-time without a zone is read in `zone`."""
    fields = _run(_compiled(zone)[0], payload)
    items: list[dict[str, Any]] = fields.pop("items")
    return fields, items


def check_partial(payload: Any, zone: tzinfo = UTC) -> dict[str, Any]:
    """A partial update: only `id` is required; null or absent properties leave the order as it is."""
    fields = _run(_compiled(zone)[1], payload)
    del fields["id"]
    # `items` is not a partial property: the order's items change only through itemsTo*, and the key must
    # not be stored over the order's own fields either (it would show in the order's echo).
    fields.pop("items", None)
    add = fields.pop("itemsToAdd", [])
    update = fields.pop("itemsToUpdate", [])
    remove = fields.pop("itemsToRemove", [])
    return {"fields": fields, "add": add, "update": update, "remove": remove}
