"""The application wiring: configuration in, an aiohttp application with every long-lived part out."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from zoneinfo import ZoneInfo

from aiohttp import web

from daemon.api import (
    bumpbars,
    coursing_config,
    coursing_orders,
    coursing_tables,
    coursing_templates,
    health,
    integrator,
    kds_information,
    kds_notifications,
    kitchen_orders,
    openapi,
    printers,
    stations,
    tables,
    tables_manage,
    tickets,
    upstream,
    webhooks,
    websocket,
)
from daemon.api.auth import INTEGRATION_TOKENS, integration_tokens_ctx, make_auth_middleware
from daemon.api.context import CONFIG, HUB, KITCHEN, STORE, Kitchen
from daemon.api.coursing_state import NOW_MS
from daemon.api.coursing_state import pacing as coursing_pacing
from daemon.api.errors import error_middleware
from daemon.api.messages import renderer
from daemon.api.records import READ_SKIPS, ReadSkips
from daemon.bumpbars.actions import BumpBarActions
from daemon.bumpbars.runtime import BUMPBARS, BumpBars, bumpbars_ctx, publish_selections
from daemon.config import Config
from daemon.domain.dining_demo import demo_dining_room
from daemon.domain.floor import FLOOR
from daemon.domain.model import RoutingRule, Station, StationKind
from daemon.domain.setup import SETUP, save_rule, save_station
from daemon.fanout import Hub
from daemon.fresh_lan import door as fresh_lan
from daemon.identity import load_or_create_device
from daemon.reactions.kitchen_clock import KITCHEN_CLOCK, KitchenClock, kitchen_clock_ctx
from daemon.reactions.notification_results import ResultSender, result_rule
from daemon.reactions.printing import PRINTING, Printing, printing_ctx
from daemon.reactions.safety_net import SAFETY_NET, SafetyNet, safety_net_ctx
from daemon.reactions.webhooks import WebhookDispatcher, WebhookSettings, webhook_rule
from daemon.security.integration_tokens import IntegrationTokenCache, IntegrationTokens
from daemon.security.jwt_tokens import JwtSettings, TokenVerifier, load_or_create_secret
from daemon.store.store import Store, wall_clock_ms
from sync.upstream.uploader import Uploader
from sync.wiring import add_peering

log = logging.getLogger(__name__)
NOTIFICATION_RESULTS = web.AppKey("notification_results", ResultSender)


def build_app(config: Config, *, now_ms: Callable[[], int] = wall_clock_ms) -> web.Application:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    device = load_or_create_device(config.data_dir, config.device.name, config.device.id)
    kitchen = Kitchen(
        config.location.tenant_id, config.location.location_id, device, ZoneInfo(config.location.timezone or "UTC")
    )
    secret = load_or_create_secret(config.secret_path) if config.auth.hs256 else None
    verifier = TokenVerifier(
        JwtSettings(
            secret=secret,
            location_id=kitchen.location_id,
            issuer=config.auth.issuer,
            audience=config.auth.audience,
            leeway_seconds=config.auth.leeway_seconds,
            jwks_file=config.auth.jwks_file,
        )
    )
    store = Store(config.database_path, device.id, now_ms, retention_ms=config.store.retention_hours * 3_600_000)
    tokens = IntegrationTokenCache(IntegrationTokens(store.connect_reader))
    app = web.Application(
        client_max_size=config.server.max_body_bytes,
        middlewares=[
            error_middleware,
            make_auth_middleware(verifier=verifier, integration_tokens=tokens, location_id=kitchen.location_id),
        ],
    )
    app[CONFIG] = config
    app[KITCHEN] = kitchen
    app[STORE] = store
    app[READ_SKIPS] = ReadSkips()
    app[INTEGRATION_TOKENS] = tokens
    hub = Hub(
        kitchen.location_id,
        renderer(kitchen.tenant_id, kitchen.location_id, lambda: coursing_pacing(store, kitchen.location_id)),
    )
    store.subscribe(hub.publish)
    store.add_rule(result_rule(device.id))
    app[NOTIFICATION_RESULTS] = ResultSender(store.journal, now_ms)
    app[HUB] = hub
    app[NOW_MS] = now_ms
    app[KITCHEN_CLOCK] = KitchenClock(store, kitchen.location_id, now_ms)
    app.cleanup_ctx.append(_store_ctx)
    # Webhook deliveries: the rule records them with the events; the dispatcher (after the store opened)
    # sends them. Registered before any write, so no event of this run goes unexamined.
    store.add_rule(webhook_rule(store, kitchen.tenant_id, kitchen.location_id))
    app.cleanup_ctx.append(_webhooks_ctx)
    app.cleanup_ctx.append(kitchen_clock_ctx)
    app.cleanup_ctx.append(integration_tokens_ctx)
    app[PRINTING] = Printing(config, store, kitchen.location_id, now_ms)
    app.cleanup_ctx.append(printing_ctx)
    app[SAFETY_NET] = SafetyNet(app[PRINTING], store, config.printing, now_ms)
    app.cleanup_ctx.append(safety_net_ctx)
    app[BUMPBARS] = BumpBars(config, BumpBarActions(store))
    publish_selections(app[BUMPBARS].actions, hub)
    app.cleanup_ctx.append(bumpbars_ctx)
    if config.upstream is not None:
        app[upstream.UPSTREAM] = Uploader(store, config.upstream.url, config.upstream.token, kitchen.location_id)
        app.cleanup_ctx.append(_upstream_ctx)
    app.cleanup_ctx.append(_notification_results_ctx)
    websocket.add_shutdown(app)
    for table in (
        health.routes,
        openapi.routes,
        tickets.routes,
        kitchen_orders.routes,
        websocket.routes,
        stations.routes,
        tables.routes,
        tables_manage.routes,
        webhooks.routes,
        bumpbars.routes,
        printers.routes,
        upstream.routes,
        coursing_orders.routes,
        coursing_templates.routes,
        coursing_tables.routes,
        coursing_config.routes,
    ):
        app.add_routes(table)
    integrator.add_routes(app)
    kds_information.add_routes(app)
    kds_notifications.add_routes(app)
    if config.fresh_lan.enabled:
        fresh_lan.add_door(app)  # after the store's context: the door's commands write through it
    add_peering(app)
    return app


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    store = app[STORE]
    await store.open()
    # What start-up loaded (the kitchen's live state) is long-lived: keep it out of every collection.
    gc.freeze()
    app[HUB].committed_pos = store.last_pos
    await seed_setup(app)
    await seed_dining_room(app)
    eviction = asyncio.create_task(_evict_periodically(store))
    yield
    eviction.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await eviction
    await store.close()


async def _upstream_ctx(app: web.Application) -> AsyncIterator[None]:
    """Uploads to headquarters, in the background, once the store is open (after _store_ctx)."""
    uploader = app[upstream.UPSTREAM]
    await uploader.start()
    yield
    await uploader.stop()


async def _webhooks_ctx(app: web.Application) -> AsyncIterator[None]:
    c = app[CONFIG].webhooks
    settings = WebhookSettings(c.timeout_seconds, c.retry_base_ms, c.retry_cap_ms, c.expire_hours * 3_600_000)
    dispatcher = WebhookDispatcher(app[STORE], app[KITCHEN].location_id, settings)
    await dispatcher.start()
    yield
    await dispatcher.stop()


async def _notification_results_ctx(app: web.Application) -> AsyncIterator[None]:
    sender = app[NOTIFICATION_RESULTS]
    await sender.start()
    yield
    await sender.close()


async def _evict_periodically(store: Store, every_seconds: float = 300.0) -> None:
    while True:
        await asyncio.sleep(every_seconds)  # a timer, not synchronisation
        store.evict()


async def seed_setup(app: web.Application) -> None:
    """On first start the configured stations and routing rules become the setup aggregate's first
    events; after that the setup API owns them (a later config edit does not silently undo a manager)."""
    store, config, location = app[STORE], app[CONFIG], app[KITCHEN].location_id
    if store.get(SETUP, location) is not None:
        return
    changes = [
        save_station(location, Station(s.id, s.name, StationKind(s.kind), tuple(s.printers))) for s in config.stations
    ]
    changes += [
        save_rule(
            location,
            RoutingRule(r.station, r.menu_item_id, r.category, r.name_pattern, r.default, id=f"rule-{i + 1}"),
        )
        for i, r in enumerate(config.routing)
    ]
    if changes:
        await store.execute(SETUP, location, lambda _: changes)
        log.info("setup seeded from configuration stations=%d rules=%d", len(config.stations), len(config.routing))


async def seed_dining_room(app: web.Application) -> None:
    """The embedded demo's dining room, once: like the setup, the floor belongs to the managers after."""
    store, location = app[STORE], app[KITCHEN].location_id
    if not app[CONFIG].demo_dining_room or store.get(FLOOR, location) is not None:
        return
    changes = demo_dining_room(location, store.now_ms())
    await store.execute(FLOOR, location, lambda _: changes)
    log.info("demo dining room seeded tables=%d", sum(c.type == "floor.table_saved" for c in changes))
