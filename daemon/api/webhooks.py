"""Webhook subscriptions and their deliveries (managers): `/api/v1/locations/{location_id}/webhooks`.

Subscriptions live in the event log (daemon.domain.webhooks); deliveries are the effect journal's
`webhook` effects, shown as pending, delivered, failed or dropped with their last error (docs/webhooks.md).
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web
from yarl import URL

from daemon.api.auth import require
from daemon.api.context import KITCHEN, STORE
from daemon.api.responses import json_response, read_json
from daemon.api.tables import actor, location_of
from daemon.api.timestamps import iso
from daemon.domain.errors import ValidationFailed
from daemon.domain.webhooks import (
    ALL,
    ORDER_EVENTS,
    TABLE_EVENTS,
    WEBHOOKS,
    Subscription,
    Webhooks,
    remove_subscription,
    save_subscription,
)
from daemon.reactions.signature import new_secret, secret_key

routes = web.RouteTableDef()
BASE = "/api/v1/locations/{location_id}/webhooks"
PERMISSION = "webhooks:manage"
_FAMILIES = ("table.*", "order.*", "item.*", "ticket.*", "course.*")
# What the API shows → the journal's status.
DELIVERY_STATUS = {"pending": "pending", "delivered": "done", "failed": "failed", "dropped": "dropped"}
SHOWN_STATUS = {v: k for k, v in DELIVERY_STATUS.items()}


def _hooks(request: web.Request) -> Webhooks:
    state = request.app[STORE].get(WEBHOOKS, request.app[KITCHEN].location_id)
    return state if isinstance(state, Webhooks) else Webhooks()


def subscription_json(sub: Subscription, *, with_secret: bool) -> dict[str, Any]:
    return {
        "id": sub.id,
        "url": sub.url,
        "events": list(sub.events),
        "active": sub.active,
        "description": sub.description,
        "secret": sub.secret if with_secret else sub.secret[:10] + "…",
        "ended_reason": sub.ended_reason,
        "created_at": iso(sub.created_ms),
    }


def check_url(raw: Any) -> str:
    """http or https with a host: the daemon calls it from the restaurant's LAN (docs/webhooks.md)."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 2048:
        raise ValidationFailed("url must be an http or https URL of at most 2048 characters", field="url")
    try:
        url = URL(raw.strip())
    except ValueError:
        raise ValidationFailed("url is not a valid URL", field="url") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValidationFailed("url must be http:// or https:// with a host", field="url")
    return str(url)


def check_events(raw: Any) -> tuple[str, ...]:
    known = set(TABLE_EVENTS) | set(ORDER_EVENTS) | set(_FAMILIES) | {ALL}
    if not isinstance(raw, list) or not raw or not all(isinstance(e, str) for e in raw):
        raise ValidationFailed("events must be a non-empty list of event names", field="events")
    unknown = [e for e in raw if e not in known and not e.startswith("course.")]
    if unknown:
        raise ValidationFailed(
            f"unknown events {unknown[:5]}; known: {', '.join(sorted(known))} and course.*", field="events"
        )
    return tuple(dict.fromkeys(raw))


def _subscription(body: Any, sub_id: str, created_ms: int, old: Subscription | None = None) -> Subscription:
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object")
    merged = {
        **(
            {}
            if old is None
            else {
                "url": old.url,
                "events": list(old.events),
                "secret": old.secret,
                "active": old.active,
                "description": old.description,
            }
        ),
        **body,
    }
    secret = merged.get("secret") or new_secret()
    try:
        secret_key(str(secret))
    except ValueError as exc:
        raise ValidationFailed(f"secret: {exc}", field="secret") from None
    active = merged.get("active", True)
    if not isinstance(active, bool):
        raise ValidationFailed("active must be true or false", field="active")
    description = merged.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 200):
        raise ValidationFailed("description must be a string of at most 200 characters", field="description")
    ended = old.ended_reason if old is not None and not (active and not old.active) else None
    return Subscription(
        id=sub_id,
        url=check_url(merged.get("url")),
        events=check_events(merged.get("events")),
        secret=str(secret),
        active=active,
        description=description,
        created_ms=created_ms,
        ended_reason=ended,
    )


async def _save(request: web.Request, sub: Subscription) -> None:
    location = request.app[KITCHEN].location_id
    await request.app[STORE].execute(WEBHOOKS, location, lambda _: save_subscription(location, sub), actor(request))


@routes.get(BASE)
async def list_subscriptions(request: web.Request) -> web.Response:
    require(request, PERMISSION)
    location_of(request)
    subs = _hooks(request).subscriptions.values()
    return json_response({"data": [subscription_json(s, with_secret=False) for s in subs]})


@routes.post(BASE)
async def create_subscription(request: web.Request) -> web.Response:
    """The secret is generated unless given (`whsec_` + base64); the answer shows it in full."""
    require(request, PERMISSION)
    location_of(request)
    sub = _subscription(await read_json(request), f"wh_{uuid.uuid4().hex[:16]}", request.app[STORE].now_ms())
    await _save(request, sub)
    return json_response(subscription_json(sub, with_secret=True), status=201)


@routes.get(BASE + "/{subscription_id}")
async def get_subscription(request: web.Request) -> web.Response:
    require(request, PERMISSION)
    location_of(request)
    sub = _hooks(request).get(request.match_info["subscription_id"])
    return json_response(subscription_json(sub, with_secret=True))


@routes.patch(BASE + "/{subscription_id}")
async def edit_subscription(request: web.Request) -> web.Response:
    """`active: true` brings back a subscription a 410 ended (its ended_reason is cleared)."""
    require(request, PERMISSION)
    location_of(request)
    old = _hooks(request).get(request.match_info["subscription_id"])
    sub = _subscription(await read_json(request), old.id, old.created_ms, old)
    await _save(request, sub)
    return json_response(subscription_json(sub, with_secret=False))


@routes.delete(BASE + "/{subscription_id}")
async def delete_subscription(request: web.Request) -> web.Response:
    """Its pending deliveries are dropped (the journal keeps them, marked dropped with the reason)."""
    require(request, PERMISSION)
    location = location_of(request)
    sub_id = request.match_info["subscription_id"]
    _hooks(request).get(sub_id)
    await request.app[STORE].execute(
        WEBHOOKS, location, lambda _: remove_subscription(location, sub_id), actor(request)
    )
    return web.Response(status=204)


@routes.get(BASE + "/{subscription_id}/deliveries")
async def list_deliveries(request: web.Request) -> web.Response:
    require(request, PERMISSION)
    location_of(request)
    sub_id = request.match_info["subscription_id"]
    _hooks(request).get(sub_id)
    shown = request.query.get("status")
    if shown is not None and shown not in DELIVERY_STATUS:
        raise ValidationFailed(f"status must be one of {', '.join(DELIVERY_STATUS)}", field="status")
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 1000:
        raise ValidationFailed("limit must be a whole number from 1 to 1000", field="limit")
    journal = request.app[STORE].journal
    records = await journal.list(
        kind="webhook", status=DELIVERY_STATUS[shown] if shown else None, target=sub_id, limit=limit
    )
    return json_response(
        {
            "data": [
                {
                    "id": r.effect.id,
                    "webhook_id": r.effect.payload.get("msg_id"),
                    "event": r.effect.payload.get("type"),
                    "status": SHOWN_STATUS.get(r.status, r.status),
                    "attempts": r.attempts,
                    "last_error": r.last_error or None,
                    "next_attempt_at": iso(r.next_attempt_ms) if r.status == "pending" else None,
                    "created_at": iso(r.created_ms),
                    "updated_at": iso(r.updated_ms),
                }
                for r in records
            ]
        }
    )
