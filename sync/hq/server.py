"""heard-hq's HTTP side: health, the ingest endpoint for devices, the reports API for managers.

The database is blocking (SQLAlchemy): every call to it runs in a worker thread, so one slow query never
stops the loop from answering the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.engine import Engine

from sync.hq import page, reports
from sync.hq.credentials import LOCATION, READER, Credential, Verifier
from sync.hq.ingest import MAX_BATCH, ingest
from sync.upstream.wire import WireError, WireEvent, batch_from_wire, event_from_wire, wire_of_event

log = logging.getLogger(__name__)

ENGINE = web.AppKey("engine", Engine)
VERIFIER = web.AppKey("verifier", Verifier)
CREDENTIAL = web.RequestKey("credential", Credential)
MAX_BODY = 16 * 1024 * 1024
DEFAULT_WINDOW = timedelta(days=7)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
routes = web.RouteTableDef()


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def _error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return _json({"error": {"code": code, "message": message}, **extra}, status)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return _error(exc.status, exc.code, exc.message, **exc.extra)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error(exc.status, "HTTP_ERROR" if exc.status != 404 else "NOT_FOUND", exc.reason)
    except sa.exc.OperationalError:
        log.exception("database unavailable path=%s", request.path)
        return _error(503, "DATABASE_UNAVAILABLE", "the database is not answering; try again")
    except Exception:
        log.exception("unhandled error path=%s", request.path)
        return _error(500, "INTERNAL_ERROR", "internal error; nothing was applied")


async def _credential(request: web.Request) -> Credential:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "TOKEN_MISSING", "an Authorization: Bearer <credential> header is required")
    found = await asyncio.to_thread(request.app[VERIFIER].verify, token.strip())
    if found is None:
        raise ApiError(401, "INVALID_TOKEN", "the credential is unknown or revoked")
    return found


async def reader(request: web.Request) -> Credential:
    cred = await _credential(request)
    if cred.kind != READER:
        raise ApiError(403, "READER_REQUIRED", "reports need a reader credential (heard-hq token --reader)")
    return cred


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]

    def ping() -> None:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    try:
        await asyncio.to_thread(ping)
    except sa.exc.SQLAlchemyError:
        return _json({"status": "unhealthy", "database": "unavailable"}, 503)
    return _json({"status": "ok", "database": "ok"})


@routes.post("/api/v1/events")
async def post_events(request: web.Request) -> web.Response:
    """A batch of one location's events: `{"location_id", "events": [...]}` → `{"acked": {origin: seq}}`.

    All or nothing: an event that cannot be read makes the batch a 422 naming each bad event (origin, seq,
    field), so the device can park those and send the rest again."""
    cred = await _credential(request)
    if cred.kind != LOCATION:
        raise ApiError(403, "DEVICE_CREDENTIAL_REQUIRED", "uploads need a device credential (token --location)")
    location_id, batch = await asyncio.to_thread(_read_batch, await request.read())
    if location_id != cred.location_id:
        raise ApiError(403, "LOCATION_MISMATCH", f"this credential uploads for {cred.location_id}, not {location_id}")
    acked = await asyncio.to_thread(ingest, request.app[ENGINE], location_id, batch)
    return _json({"acked": acked})


def _read_batch(raw_body: bytes) -> tuple[str, list[WireEvent]]:
    """The batch in one pass; else read event by event, naming every event that cannot be read. Off the
    loop: a batch of a thousand events is a megabyte of JSON."""
    fast = batch_from_wire(raw_body)
    if fast is not None and fast.location_id and len(fast.events) <= MAX_BATCH:
        return fast.location_id, fast.events
    try:
        body = orjson.loads(raw_body)
    except orjson.JSONDecodeError:
        raise ApiError(400, "INVALID_JSON", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "VALIDATION_ERROR", "the body must be an object", field="(body)")
    location_id = body.get("location_id")
    if not isinstance(location_id, str) or not location_id:
        raise ApiError(400, "VALIDATION_ERROR", "location_id is required", field="location_id")
    raw = body.get("events")
    if not isinstance(raw, list):
        raise ApiError(400, "VALIDATION_ERROR", "events must be a list", field="events")
    if len(raw) > MAX_BATCH:
        raise ApiError(413, "BATCH_TOO_LARGE", f"at most {MAX_BATCH} events per batch")
    batch: list[WireEvent] = []
    invalid: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        try:
            batch.append(wire_of_event(event_from_wire(item)))
        except WireError as exc:
            where = item if isinstance(item, dict) else {}
            invalid.append(
                {
                    "index": i,
                    "origin": where.get("origin"),
                    "seq": where.get("seq"),
                    "field": exc.field,
                    "message": exc.message,
                }
            )
    if invalid:
        raise ApiError(
            422, "INVALID_EVENTS", f"{len(invalid)} event(s) cannot be read; nothing was stored", invalid=invalid
        )
    return location_id, batch


def _instant(request: web.Request, name: str, default: datetime) -> int:
    text = request.query.get(name)
    if text is None or text == "":
        return int(default.timestamp() * 1000)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise ApiError(400, "VALIDATION_ERROR", f"{name} must be an ISO 8601 instant", field=name) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def window(request: web.Request) -> tuple[int, int]:
    now = datetime.now(UTC)
    from_ms = _instant(request, "from", now - DEFAULT_WINDOW)
    to_ms = _instant(request, "to", now)
    if to_ms < from_ms:
        raise ApiError(400, "VALIDATION_ERROR", "to is before from", field="to")
    return from_ms, to_ms


@routes.get("/api/v1/locations")
async def get_locations(request: web.Request) -> web.Response:
    await reader(request)
    return _json(await asyncio.to_thread(reports.locations, request.app[ENGINE]))


@routes.get("/api/v1/locations/{location_id}/speed")
async def get_speed(request: web.Request) -> web.Response:
    await reader(request)
    from_ms, to_ms = window(request)
    by = request.query.get("by", "station")
    if by not in reports.GROUPINGS:
        raise ApiError(400, "VALIDATION_ERROR", "by must be station, hour or channel", field="by")
    location_id = request.match_info["location_id"]
    return _json(await asyncio.to_thread(reports.speed, request.app[ENGINE], location_id, from_ms, to_ms, by))


@routes.get("/api/v1/locations/{location_id}/summary")
async def get_summary(request: web.Request) -> web.Response:
    await reader(request)
    from_ms, to_ms = window(request)
    location_id = request.match_info["location_id"]
    return _json(await asyncio.to_thread(reports.summary, request.app[ENGINE], location_id, from_ms, to_ms))


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


@routes.get("/reports/{location_id}")
async def report_page(request: web.Request) -> web.Response:
    """The reader credential as a Bearer header, or once as ?token= (kept in an HttpOnly cookie, and the
    address shown without it), or from that cookie; with none a 401 page that says how to get one."""
    verifier = request.app[VERIFIER]
    token = request.query.get("token")
    if token is not None:
        found = await asyncio.to_thread(verifier.verify, token)
        if found is None or found.kind != READER:
            return _html(page.unauthorized("That credential is unknown, revoked, or not a reader credential."), 401)
        target = request.rel_url.with_query({k: v for k, v in request.query.items() if k != "token"})
        resp = web.Response(status=303, headers={"Location": str(target)})
        resp.set_cookie(
            page.COOKIE,
            token,
            httponly=True,
            samesite="Strict",
            path="/reports",
            secure=request.secure,
            max_age=30 * 24 * 3600,
        )
        return resp
    scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
    presented = bearer.strip() if scheme.lower() == "bearer" else request.cookies.get(page.COOKIE, "")
    if not presented:
        return _html(page.unauthorized("This page needs a reader credential."), 401)
    found = await asyncio.to_thread(verifier.verify, presented)
    if found is None:
        return _html(page.unauthorized("That credential is unknown or revoked."), 401)
    if found.kind != READER:
        return _html(page.unauthorized("A device credential cannot read reports."), 403)
    from_ms, to_ms = window(request)
    location_id = request.match_info["location_id"]
    engine = request.app[ENGINE]

    def gather() -> str:
        return page.page(
            location_id,
            (reports.iso(from_ms) or "", reports.iso(to_ms) or ""),
            reports.summary(engine, location_id, from_ms, to_ms),
            reports.speed(engine, location_id, from_ms, to_ms, "hour"),
            reports.speed(engine, location_id, from_ms, to_ms, "station"),
            page.slowest(engine, location_id, from_ms, to_ms),
        )

    return _html(await asyncio.to_thread(gather))


def build_app(engine: Engine) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY, middlewares=[errors])
    app[ENGINE] = engine
    app[VERIFIER] = Verifier(engine)
    app.add_routes(routes)
    return app
