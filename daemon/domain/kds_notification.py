"""The bodies of Fresh's notification routes, field by field, from the same field kinds as the KDS order:
one definition for the validator and the OpenAPI schemas."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, tzinfo
from typing import Any

from daemon.domain import kds_order as k
from daemon.domain.checks import Checker, Refused, checker
from daemon.domain.errors import ValidationFailed

MESSAGE_MAX_LENGTH = 1000
MINUTES_MAX = 1440  # a day: an estimate beyond that is a mistake, not an arrival

RETRY = k.Shape(
    "NotificationRetry",
    {
        "notificationUrl": k.URL,
        "expiration": k.Instant(description="when retries stop; Heard keeps the notification in its log"),
    },
    keeps_unknown=False,
    description="accepted and kept with the notification (see docs/fresh-compat.md)",
)
_RETRY = k.Nested(shape=RETRY)
CUSTOMER_ARRIVED = k.Shape("CustomerArrived", {"id": k.ID, "retry": _RETRY}, required=("id",), keeps_unknown=False)
ESTIMATED_ARRIVAL = k.Shape(
    "EstimatedArrivalUpdate",
    {"id": k.ID, "minutes": k.Whole(minimum=0, maximum=MINUTES_MAX), "retry": _RETRY},
    required=("id", "minutes"),
    keeps_unknown=False,
)
SEND_MESSAGE = k.Shape(
    "SendMessage",
    {"message": k.Text(max_length=MESSAGE_MAX_LENGTH, non_blank=True), "retry": _RETRY},
    required=("message",),
    keeps_unknown=False,
)
SHAPES = (CUSTOMER_ARRIVED, ESTIMATED_ARRIVAL, SEND_MESSAGE, RETRY)


_BY_NAME = {shape.name: shape for shape in SHAPES}


@functools.lru_cache(maxsize=16)
def _compiled(name: str, zone: tzinfo) -> Checker:
    return checker(_BY_NAME[name], zone)


def check(shape: k.Shape, payload: Any, zone: tzinfo = UTC) -> dict[str, Any]:
    """A notification body checked: its known fields as stored (unknown ones are ignored), or a
    ValidationFailed naming the field. `zone` reads a retry expiration sent without one."""
    if not isinstance(payload, Mapping):
        raise ValidationFailed("the body must be a JSON object")
    run = _compiled(shape.name, zone)
    try:
        out: dict[str, Any] = run(payload, [k.UNKNOWN_VALUES_MAX])
    except Refused as refused:
        where = refused.where.lstrip(".")
        raise ValidationFailed(f"{where}: {refused.reason}", field=where) from None
    return {name: out[name] for name in shape.fields if out.get(name) is not None}
