"""Timing alerts of a location (coursing seed, Timing Alerts): raised by the kitchen clock, listed and
acknowledged by people. One aggregate per location, folded from events.

An alert's id is derived from what it is about (order, course, level), so the same alert computed again
— after a restart, or by a second device — is the same fact: raising it again changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import msgspec

from daemon.domain.errors import InvalidEvent, NotFound
from daemon.domain.events import Change, Event
from daemon.domain.values import evolve, name_uuid

TIMING_ALERTS = "timing_alerts"
_ALERT_NS = uuid.UUID("3c9a7e52-1f0d-4b6a-9e2c-8d41f7a05b19")
# Alerts leave the aggregate a day after they were raised: the list is a shift's, not a year's.
KEEP_MS = 24 * 3600 * 1000


class AlertEvents:
    RAISED = "alert.raised"
    ACKNOWLEDGED = "alert.acknowledged"


class AlertNotFound(NotFound):
    code = "ALERT_NOT_FOUND"


class TimingAlert(msgspec.Struct, frozen=True, gc=False):
    id: str
    order_id: str
    course_number: int
    course_name: str
    alert_level: str
    message: str
    course_id: str | None = None
    table_name: str | None = None
    delay_minutes: int | None = None
    acknowledged: bool = False
    acknowledged_by: str | None = None
    acknowledged_ms: int | None = None
    created_ms: int = 0


class AlertBook(msgspec.Struct, frozen=True, gc=False):
    alerts: Mapping[str, TimingAlert] = msgspec.field(default_factory=dict)


EMPTY_ALERTS = AlertBook()


def alert_id(order_id: str, course_number: int, level: str) -> str:
    return name_uuid(_ALERT_NS, f"{order_id}\x1f{course_number}\x1f{level}")


def alerts_to_json(book: AlertBook) -> dict[str, Any]:
    return {"alerts": [msgspec.to_builtins(a) for a in book.alerts.values()]}


def alerts_from_json(data: Mapping[str, Any]) -> AlertBook:
    alerts = [msgspec.convert(a, TimingAlert) for a in data.get("alerts", ())]
    return AlertBook({a.id: a for a in alerts})


def apply_alerts(state: AlertBook | None, event: Event) -> AlertBook:
    book = state or EMPTY_ALERTS
    p = event.payload
    at = event.at_ms
    if event.type == AlertEvents.RAISED:
        alert = msgspec.convert({**p["alert"], "created_ms": at}, TimingAlert)
        if alert.id in book.alerts:
            return book  # the same alert computed again (a restart, another device): one alert
        kept = {k: a for k, a in book.alerts.items() if a.created_ms >= at - KEEP_MS}
        return AlertBook({**kept, alert.id: alert})
    if event.type == AlertEvents.ACKNOWLEDGED:
        aid = str(p["alert_id"])
        found = book.alerts.get(aid)
        if found is None:
            raise AlertNotFound(f"alert {aid} not found")
        if found.acknowledged:
            return book
        acked = evolve(found, acknowledged=True, acknowledged_by=p.get("by") or event.actor.sub, acknowledged_ms=at)
        return AlertBook({**book.alerts, aid: acked})
    raise InvalidEvent(f"unknown event type {event.type!r}", code="UNKNOWN_EVENT")


def raise_alert(book: AlertBook | None, location_id: str, alert: TimingAlert) -> Change | None:
    if alert.id in (book or EMPTY_ALERTS).alerts:
        return None
    fields = msgspec.to_builtins(alert)
    fields.pop("created_ms", None)
    return Change(AlertEvents.RAISED, TIMING_ALERTS, location_id, {"alert": fields})


def acknowledge(book: AlertBook | None, location_id: str, aid: str, by: str) -> Change | None:
    alert = (book or EMPTY_ALERTS).alerts.get(aid)
    if alert is None:
        raise AlertNotFound(f"alert {aid} not found")
    if alert.acknowledged:
        return None
    return Change(AlertEvents.ACKNOWLEDGED, TIMING_ALERTS, location_id, {"alert_id": aid, "by": by})
