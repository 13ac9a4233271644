"""Webhook subscriptions as an aggregate (kind `webhooks`, id = the location), and which events each wants.

A subscription is a manager's setting like a station, so it lives in the log and every device of the
location knows it: each device signs and sends what it made itself (only the event's origin delivers).
A 410 from the receiver ends a subscription: that too is an event, so every device stops.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from daemon.domain.errors import HeardError, InvalidEvent, NotFound
from daemon.domain.events import Change, Event
from daemon.domain.values import evolve

WEBHOOKS = "webhooks"

# The tables document's events, then the kitchen's (their log names), for integrators who want them.
TABLE_EVENTS = ("table.status_changed", "table.assigned", "table.cleared", "table.reserved")
ORDER_EVENTS = (
    "order.created",
    "order.replaced",
    "order.patched",
    "order.canceled",
    "order.table_assigned",
    "order.table_cleared",
    "item.status_set",
    "ticket.started",
    "ticket.readied",
    "ticket.bumped",
    "ticket.recalled",
    "ticket.voided",
    "ticket.priority_set",
    "ticket.seen",
)
ALL = "*"


class WebhookEvents:
    SAVED = "webhook.saved"
    REMOVED = "webhook.removed"
    ENDED = "webhook.ended"  # the receiver answered 410 Gone


class SubscriptionNotFound(NotFound):
    code = "webhook_not_found"


class Subscription(msgspec.Struct, frozen=True):
    id: str
    url: str
    events: tuple[str, ...]
    secret: str
    active: bool = True
    description: str | None = None
    created_ms: int = 0
    ended_reason: str | None = None

    def wants(self, name: str) -> bool:
        """Course events of coursing (course.*) arrive by prefix, so new ones need no list change here."""
        if not self.active:
            return False
        return ALL in self.events or name in self.events or (f"{name.split('.')[0]}.*" in self.events)


class Webhooks(msgspec.Struct, frozen=True):
    subscriptions: dict[str, Subscription] = msgspec.field(default_factory=dict)

    def get(self, sub_id: str) -> Subscription:
        sub = self.subscriptions.get(sub_id)
        if sub is None:
            raise SubscriptionNotFound(f"webhook subscription {sub_id} does not exist")
        return sub


def webhooks_from_json(d: Mapping[str, Any]) -> Webhooks:
    return msgspec.convert(d, Webhooks)


def webhooks_to_json(w: Webhooks) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(w)
    return out


def apply_webhooks(state: Webhooks | None, event: Event) -> Webhooks:
    hooks = state or Webhooks()
    p = event.payload
    try:
        if event.type == WebhookEvents.SAVED:
            sub = msgspec.convert(p["subscription"], Subscription)
            old = hooks.subscriptions.get(sub.id)
            if old is not None:
                sub = evolve(sub, created_ms=old.created_ms)
            return evolve(hooks, subscriptions={**hooks.subscriptions, sub.id: sub})
        if event.type == WebhookEvents.REMOVED:
            sid = str(p["subscription_id"])
            hooks.get(sid)
            return evolve(hooks, subscriptions={k: v for k, v in hooks.subscriptions.items() if k != sid})
        if event.type == WebhookEvents.ENDED:
            sid = str(p["subscription_id"])
            ended = evolve(hooks.get(sid), active=False, ended_reason=str(p.get("reason") or "ended"))
            return evolve(hooks, subscriptions={**hooks.subscriptions, sid: ended})
    except HeardError:
        raise
    except (msgspec.ValidationError, KeyError, TypeError, ValueError) as exc:
        raise InvalidEvent(f"malformed {event.type} event: {exc}", code="MALFORMED_EVENT") from None
    raise InvalidEvent(f"unknown event type {event.type!r}", code="UNKNOWN_EVENT")


def save_subscription(location_id: str, sub: Subscription) -> Change:
    return Change(WebhookEvents.SAVED, WEBHOOKS, location_id, {"subscription": msgspec.to_builtins(sub)})


def remove_subscription(location_id: str, sub_id: str) -> Change:
    return Change(WebhookEvents.REMOVED, WEBHOOKS, location_id, {"subscription_id": sub_id})


def end_subscription(location_id: str, sub_id: str, reason: str) -> Change:
    return Change(WebhookEvents.ENDED, WEBHOOKS, location_id, {"subscription_id": sub_id, "reason": reason})


def webhook_names(event: Event, after: Any) -> list[str]:
    """The webhook event names one logged event is published as: its own type for the table and order
    families, and `table.reserved` besides `table.status_changed` when a table is reserved."""
    kind = event.type
    if kind.startswith("table."):
        names = [kind]
        if kind == "table.status_changed" and event.payload.get("status") == "reserved":
            names.append("table.reserved")
        return names
    if kind.startswith(("order.", "item.", "ticket.", "course.")):
        return [kind]
    return []
