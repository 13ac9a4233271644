"""What the coursing handlers read: the location's templates, timing config, table syncs and alerts, the
pacing built from them, the clock, and the Kitchen (routing + templates) intake numbers courses by."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from daemon.api.auth import PRINCIPAL, require
from daemon.api.context import KITCHEN
from daemon.domain.commands import Kitchen as CommandKitchen
from daemon.domain.errors import Forbidden, ValidationFailed
from daemon.domain.events import Actor
from daemon.domain.pacing import Pacing
from daemon.domain.table_sync import EMPTY_SYNCS, TABLE_SYNCS, SyncBook
from daemon.domain.templates import EMPTY_BOOK, TEMPLATES, TemplateBook
from daemon.domain.timing_alerts import EMPTY_ALERTS, TIMING_ALERTS, AlertBook
from daemon.domain.timing_config import DEFAULT_CONFIG, TIMING_CONFIG, TimingConfig
from daemon.store.store import Store

NOW_MS = web.AppKey("now_ms", Callable[[], int])  # type: ignore[arg-type]
USE = "coursing"  # the seed's roles
MANAGE = "coursing:manage"  # templates and timing config: managers and owners


def templates(store: Store, location_id: str) -> TemplateBook:
    book: TemplateBook | None = store.get(TEMPLATES, location_id)
    return book or EMPTY_BOOK


def timing_config(store: Store, location_id: str) -> TimingConfig:
    config: TimingConfig | None = store.get(TIMING_CONFIG, location_id)
    return config or DEFAULT_CONFIG


def syncs(store: Store, location_id: str) -> SyncBook:
    book: SyncBook | None = store.get(TABLE_SYNCS, location_id)
    return book or EMPTY_SYNCS


def alerts(store: Store, location_id: str) -> AlertBook:
    book: AlertBook | None = store.get(TIMING_ALERTS, location_id)
    return book or EMPTY_ALERTS


def pacing(store: Store, location_id: str) -> Pacing:
    return Pacing(templates(store, location_id), timing_config(store, location_id))


_kitchens: dict[str, tuple[Any, Any, CommandKitchen]] = {}


def kitchen_of(store: Store, location_id: str) -> CommandKitchen:
    """The Kitchen orders are built with: the setup's routing, and the coursing templates (rule 2) when
    the location has any. Kept while neither value changes (both are immutable, replaced on change)."""
    setup = store.setup(location_id)
    book: TemplateBook | None = store.get(TEMPLATES, location_id)
    if book is None:
        return setup.kitchen
    cached = _kitchens.get(location_id)
    if cached is not None and cached[0] is setup and cached[1] is book:
        return cached[2]
    kitchen = CommandKitchen(setup.kitchen.routing, book.course_templates)
    _kitchens[location_id] = (setup, book, kitchen)
    return kitchen


def now_ms(request: web.Request) -> int:
    return request.app[NOW_MS]()


def location(request: web.Request) -> str:
    return request.app[KITCHEN].location_id


def check_location(request: web.Request, given: Any, field: str = "location_id", required: bool = True) -> str:
    """A location named in a request must be this device's: requests for another location are refused."""
    mine = location(request)
    if given is None or given == "":
        if required:
            raise ValidationFailed(f"{field} is required", field=field)
        return mine
    if not isinstance(given, str):
        raise ValidationFailed(f"{field} must be a string", field=field)
    if given != mine:
        raise Forbidden(f"this device serves location {mine}, not {given}", code="LOCATION_MISMATCH")
    return mine


def actor(request: web.Request, permission: str = USE) -> Actor:
    principal = require(request, permission)
    return Actor(principal.sub, tuple(sorted(principal.roles)), "user")


def sub(request: web.Request) -> str:
    return request[PRINCIPAL].sub


def query_bool(request: web.Request, name: str, default: bool) -> bool:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValidationFailed(f"{name} must be true or false", field=name)


def body_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationFailed("the request body must be a JSON object", field="body")
    return body
