"""Notifications from the POS (Fresh's "KDS Cloud Notifications"): a customer arrived, an arrival estimate,
a message for the screens.

The order-bound two are events of the order, so a screen that connects later still shows the banner or the
estimate (they are part of the order's state). A message belongs to no order: it is an event of the
location's `notice` aggregate, whose state keeps the latest few, so it reaches screens live and by cursor
replay like every other event.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from daemon.domain.errors import InvalidEvent, OrderNotFound
from daemon.domain.events import ORDER, Change, Event, OrderEvents
from daemon.domain.model import Order
from daemon.domain.values import evolve, name_uuid

NOTICE = "notice"
_NOTICE_NS = uuid.UUID("5d0c6f3e-2b7a-4c1e-9f4d-8a6b2e1c7d90")
RECENT_MAX = 50  # messages kept in the notice aggregate's state: a screen shows the newest few


class NoticeEvents:
    SENT = "notice.sent"


class Notice(msgspec.Struct, frozen=True, gc=False):
    """One message for the screens of `devices`."""

    id: str
    message: str
    devices: tuple[str, ...]
    at_ms: int
    retry: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Notices:
    recent: tuple[Notice, ...] = field(default_factory=tuple)


def _order(order: Order | None, oid: str) -> Order:
    if order is None:
        raise OrderNotFound(f"Could not send notification. No order {oid[:64]!r} found")
    return order


def customer_arrived(order: Order | None, oid: str, devices: Sequence[str], retry: Any = None) -> Change:
    _order(order, oid)
    payload = {"devices": list(devices), "retry": retry}
    return Change(OrderEvents.CUSTOMER_ARRIVED, ORDER, oid, payload)


def arrival_estimated(order: Order | None, oid: str, minutes: int, devices: Sequence[str], retry: Any = None) -> Change:
    _order(order, oid)
    payload = {"minutes": int(minutes), "devices": list(devices), "retry": retry}
    return Change(OrderEvents.ARRIVAL_ESTIMATED, ORDER, oid, payload)


def send_message(location_id: str, message: str, devices: Sequence[str], retry: Any = None) -> Change:
    """A message's id is derived from its event by the fold, so it is the same on every device."""
    payload = {"message": message, "devices": list(devices), "retry": retry}
    return Change(NoticeEvents.SENT, NOTICE, location_id, payload)


def apply_customer_arrived(order: Order, event: Event) -> Order:
    return evolve(order, customer_arrived_ms=event.at_ms)


def apply_arrival_estimated(order: Order, event: Event) -> Order:
    minutes = event.payload.get("minutes")
    if minutes.__class__ is not int or minutes < 0:
        raise InvalidEvent(f"an arrival estimate needs whole minutes, not {minutes!r}", code="INVALID_EVENT")
    return evolve(order, arrival_minutes=minutes, arrival_estimated_ms=event.at_ms)


def notice_id(event: Event) -> str:
    """A message's id: derived from the event that sent it, the same on every device."""
    return name_uuid(_NOTICE_NS, f"{event.origin}\x1f{event.seq}")


def apply_notice(state: Notices | None, event: Event) -> Notices:
    if event.type != NoticeEvents.SENT:
        raise InvalidEvent(f"unknown event type {event.type!r}", code="UNKNOWN_EVENT")
    p = event.payload
    notice = Notice(notice_id(event), str(p["message"]), tuple(p.get("devices") or ()), event.at_ms, p.get("retry"))
    recent = (state or Notices()).recent
    return Notices((*recent, notice)[-RECENT_MAX:])


def notice_to_json(n: Notice) -> dict[str, Any]:
    return {"id": n.id, "message": n.message, "devices": list(n.devices), "at_ms": n.at_ms, "retry": n.retry}


def notices_to_json(state: Notices) -> dict[str, Any]:
    return {"recent": [notice_to_json(n) for n in state.recent]}


def notices_from_json(d: Mapping[str, Any]) -> Notices:
    return Notices(
        tuple(
            Notice(str(n["id"]), str(n["message"]), tuple(n.get("devices") or ()), int(n["at_ms"]), n.get("retry"))
            for n in d.get("recent") or ()
        )
    )
