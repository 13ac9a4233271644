"""The live WebSocket at /api/v1/ws: subscribe to channels, receive every event with its cursor,
resume after a reconnect with the last cursor seen (exactly what was missed, nothing twice)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from daemon.api.auth import require
from daemon.api.context import HUB, STORE
from daemon.fanout import Client, Hub

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

HEARTBEAT_SECONDS = 15.0
CLOSE_SLOW = 4008  # application close code: you fell behind; reconnect and resume from your cursor
REPLAY_PAGE = 1000


def _allowed(hub: Hub, channel: str) -> bool:
    branch = f"branch:{hub.branch_id}"
    return channel in (branch, f"{branch}:kitchen") or (channel.startswith("session:") and len(channel) > 8)


@routes.get("/api/v1/ws")
async def websocket(request: web.Request) -> web.WebSocketResponse:
    require(request, "orders:read")
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=64 * 1024)
    await ws.prepare(request)
    hub = request.app[HUB]
    client = hub.new_client()
    sender = asyncio.create_task(_send_queued(ws, client))
    await ws.send_json({"type": "welcome", "branch_id": hub.branch_id, "cursor": hub.committed_pos})
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            await _handle(request, ws, hub, client, msg.data)
    finally:
        hub.remove(client)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
    return ws


async def _handle(request: web.Request, ws: web.WebSocketResponse, hub: Hub, client: Client, text: str) -> None:
    try:
        msg: Any = json.loads(text)
        kind = msg.get("type")
    except (json.JSONDecodeError, AttributeError):
        await ws.send_json({"type": "error", "code": "MALFORMED_MESSAGE", "message": "messages are JSON objects"})
        return
    if kind == "ping":
        await ws.send_json({"type": "pong", "cursor": hub.committed_pos})
    elif kind == "subscribe":
        await _subscribe(request, ws, hub, client, msg)
    elif kind == "unsubscribe":
        client.channels.discard(str(msg.get("channel")))
        await ws.send_json({"type": "unsubscribed", "channel": msg.get("channel")})
    else:
        await ws.send_json({"type": "error", "code": "UNKNOWN_MESSAGE", "message": f"unknown type {kind!r}"})


async def _subscribe(request: web.Request, ws: web.WebSocketResponse, hub: Hub, client: Client, msg: Any) -> None:
    channel = str(msg.get("channel"))
    if not _allowed(hub, channel):
        await ws.send_json({"type": "error", "code": "UNKNOWN_CHANNEL", "message": f"no channel {channel!r}"})
        return
    cursor = msg.get("cursor")
    upto = hub.committed_pos
    client.gate.clear()  # live events after `upto` wait in the queue until the replay is sent
    try:
        client.channels.add(channel)
        hub.add(client)
        await ws.send_json({"type": "subscribed", "channel": channel, "cursor": upto})
        if isinstance(cursor, int) and not isinstance(cursor, bool) and 0 <= cursor < upto:
            await _replay(request, ws, hub, channel, cursor, upto)
    finally:
        client.gate.set()


async def _replay(
    request: web.Request, ws: web.WebSocketResponse, hub: Hub, channel: str, after: int, upto: int
) -> None:
    """What the client missed on this channel, from the durable log, rendered from current state.

    Sent directly (with the socket's own backpressure) while the live queue is paused, so a long
    backlog never overflows the queue and live messages follow the replay."""
    store = request.app[STORE]
    while after < upto:
        page = await asyncio.to_thread(store.read_log, after, REPLAY_PAGE)
        if not page:
            return
        for pos, event in page:
            if pos > upto:
                return
            state = store.get(event.aggregate, event.aggregate_id)
            text, channels = hub.message(pos, event, state)
            if channel in channels:
                await ws.send_str(text)
        after = page[-1][0]


async def _send_queued(ws: web.WebSocketResponse, client: Client) -> None:
    while True:
        await client.gate.wait()
        text = await client.queue.get()
        if text is None:
            await ws.close(code=CLOSE_SLOW, message=b"too slow; reconnect and resume from your last cursor")
            return
        await ws.send_str(text)
