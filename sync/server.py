"""The peer endpoints: what a device of the same location may read from this one (docs/replication.md).

`/peer/v1/hello` exchanges identities, version vectors and clocks; `/peer/v1/events` serves one origin's
events after a seq, in batches; `/peer/v1/stream` is a WebSocket that sends what the peer lacks and then
every event as it commits. All of them need the location credential (sync/credentials.py), and none
writes: a peer only ever takes, so a stranger can neither read nor write anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from daemon.api.context import KITCHEN, STORE
from daemon.api.responses import json_response
from daemon.domain.errors import ValidationFailed
from daemon.store.store import wall_clock_ms
from daemon.tasks import cancel_and_wait
from sync.credentials import verify_peer_token
from sync.outbound import Stream, events_message
from sync.registry import OUTBOUND, PEERS
from sync.wire import WireError, events_to_wire, versions_from_wire

log = logging.getLogger(__name__)

PREFIX = "/peer/v1"
API_VERSION = 1
BATCH = 1000
MAX_BATCH = 5000
HEARTBEAT_SECONDS = 5.0

routes = web.RouteTableDef()


def _authenticate(request: web.Request) -> str:
    peers = request.app[PEERS]
    device = verify_peer_token(peers.secret, peers.location_id, request.headers.get("Authorization", ""))
    peers.introduced(
        device,
        name=request.headers.get("x-heard-device-name", ""),
        host=request.remote or "",
        port=request.headers.get("x-heard-port", ""),
    )
    return device


def hello_body(request: web.Request) -> dict[str, Any]:
    kitchen, store = request.app[KITCHEN], request.app[STORE]
    return {
        "apiVersion": API_VERSION,
        "tenantId": kitchen.tenant_id,
        "locationId": kitchen.location_id,
        "deviceId": kitchen.device.id,
        "name": kitchen.device.name,
        "versions": store.version_vector(),
        "nowMs": wall_clock_ms(),
    }


@routes.get(PREFIX + "/hello")
async def hello(request: web.Request) -> web.Response:
    _authenticate(request)
    return json_response(hello_body(request))


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be a whole number", field=name) from None
    if not low <= value <= high:
        raise ValidationFailed(f"{name} must be between {low} and {high}", field=name)
    return value


@routes.get(PREFIX + "/events")
async def events(request: web.Request) -> web.Response:
    """One origin's events after a seq, in seq order: `{"events": [...], "more": bool}`."""
    _authenticate(request)
    origin = request.query.get("origin", "")
    if not origin:
        raise ValidationFailed("origin is required", field="origin")
    after = _int_param(request, "after", 0, 0, 2**62)
    limit = _int_param(request, "limit", BATCH, 1, MAX_BATCH)
    found = await asyncio.to_thread(request.app[STORE].events_of_origin, origin, after, limit)
    return json_response({"events": events_to_wire(found), "more": len(found) == limit})


@routes.get(PREFIX + "/stream")
async def stream(request: web.Request) -> web.WebSocketResponse:
    """Send the peer what it lacks, then every event as it commits; answer its pings with our clock and
    version vector (how it measures lag and clock offset)."""
    device = _authenticate(request)
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=1024 * 1024)
    await ws.prepare(request)
    outbound = request.app[OUTBOUND]
    live = outbound.open(device)
    outbound.sockets.add(ws)
    reader: asyncio.Task[None] | None = None
    try:
        first = await ws.receive(timeout=10)
        if first.type != WSMsgType.TEXT:
            return ws
        try:
            theirs = versions_from_wire(orjson.loads(first.data).get("versions"))
        except (orjson.JSONDecodeError, AttributeError, WireError) as exc:
            await ws.send_json({"type": "error", "code": "MALFORMED_MESSAGE", "message": str(exc)[:200]})
            return ws
        reader = asyncio.create_task(_answer_pings(request, ws, device))
        sent = await _send_backlog(request, ws, theirs)
        await ws.send_json({"type": "live"})
        await _send_live(ws, live, sent, reader)
    except (TimeoutError, ConnectionError):
        log.debug("peer stream ended peer=%s", device)
    finally:
        outbound.close(live)
        outbound.sockets.discard(ws)
        if reader is not None:
            await cancel_and_wait(reader)
        await ws.close()
    return ws


async def _send_backlog(request: web.Request, ws: web.WebSocketResponse, theirs: dict[str, int]) -> dict[str, int]:
    """Everything we hold past the peer's version vector, origin by origin, in batches."""
    store = request.app[STORE]
    sent = dict(theirs)
    for origin, top in store.version_vector().items():
        while sent.get(origin, 0) < top:
            batch = await asyncio.to_thread(store.events_of_origin, origin, sent.get(origin, 0), BATCH)
            if not batch:
                break
            await ws.send_bytes(events_message([orjson.dumps(e) for e in events_to_wire(batch)]))
            sent[origin] = batch[-1].seq
    return sent


async def _send_live(ws: web.WebSocketResponse, live: Stream, sent: dict[str, int], reader: asyncio.Task[None]) -> None:
    while not ws.closed and not reader.done():
        if live.overflowed:
            await ws.close(message=b"slow peer: pull again")
            return
        if not live.queue:
            live.wake.clear()
            waiter = asyncio.create_task(live.wake.wait())
            await asyncio.wait({waiter, reader}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            continue
        items, live.queue = live.queue, []
        fresh = []
        for origin, seq, data in items:
            if seq > sent.get(origin, 0):  # what the backlog already sent is not sent again
                fresh.append(data)
                sent[origin] = seq
        if fresh:
            await ws.send_bytes(events_message(fresh))


async def _answer_pings(request: web.Request, ws: web.WebSocketResponse, device: str) -> None:
    """The client's messages: pings (answered with our clock and vector) and acks (what it holds)."""
    store = request.app[STORE]
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            continue
        try:
            data = orjson.loads(msg.data)
        except orjson.JSONDecodeError:
            continue
        if isinstance(data, dict) and data.get("type") == "ack":
            with contextlib.suppress(WireError):
                request.app[PEERS].acked(device, versions_from_wire(data.get("versions")))
        elif isinstance(data, dict) and data.get("type") == "ping":
            await ws.send_json(
                {"type": "pong", "t": data.get("t"), "nowMs": wall_clock_ms(), "versions": store.version_vector()}
            )
