"""The live WebSocket at /api/v1/ws: subscribe to channels, receive every event with its cursor,
resume after a reconnect with the last cursor seen (exactly what was missed, in cursor order, once).

Resume protocol: `{"type": "subscribe", "channel": C, "cursor": N}` replays every event after N on C
from the durable log, then live ones; live events wait while the replay is sent. An event already
delivered through another channel of the same socket is not sent again. A cursor ahead of the log
(the device's database was replaced) is refused with `CURSOR_AHEAD`: the client reloads its state
over REST and subscribes again from the cursor the error carries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from daemon.api.auth import require
from daemon.api.context import HUB, STORE
from daemon.fanout import Client, Hub
from daemon.store.store import Store

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

HEARTBEAT_SECONDS = 15.0
CLOSE_SLOW = 4008  # application close code: you fell behind; reconnect and resume from your last cursor
CLOSE_INTERNAL = int(WSCloseCode.INTERNAL_ERROR)  # 1011: we failed; reconnect and resume from your last cursor
REPLAY_PAGE = 500


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
    sender = asyncio.create_task(_send_backlog(ws, client))
    try:
        await ws.send_json({"type": "welcome", "branch_id": hub.branch_id, "cursor": hub.committed_pos})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            await _handle(request, ws, hub, client, msg.data)
    except Exception:
        # The socket is upgraded: an HTTP error response can no longer be written into it.
        log.exception("websocket failed; closing it")
        await ws.close(code=CLOSE_INTERNAL, message=b"internal error; reconnect and resume from your last cursor")
    finally:
        hub.remove(client)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
    return ws


async def _handle(request: web.Request, ws: web.WebSocketResponse, hub: Hub, client: Client, text: str) -> None:
    try:
        msg: Any = orjson.loads(text)
        kind = msg.get("type")
    except (orjson.JSONDecodeError, AttributeError):
        await _error(ws, "MALFORMED_MESSAGE", "messages are JSON objects")
        return
    if kind == "ping":
        await ws.send_json({"type": "pong", "cursor": hub.committed_pos})
    elif kind == "subscribe":
        await _subscribe(request.app[STORE], ws, hub, client, msg)
    elif kind == "unsubscribe":
        client.channels.pop(str(msg.get("channel")), None)
        await ws.send_json({"type": "unsubscribed", "channel": msg.get("channel")})
    else:
        await _error(ws, "UNKNOWN_MESSAGE", f"unknown type {str(kind)[:64]!r}")


async def _error(ws: web.WebSocketResponse, code: str, message: str, **extra: Any) -> None:
    await ws.send_json({"type": "error", "code": code, "message": message, **extra})


def _cursor(msg: Any) -> int | None:
    cursor = msg.get("cursor")
    if isinstance(cursor, int) and not isinstance(cursor, bool) and cursor >= 0:
        return cursor
    return None


async def _subscribe(store: Store, ws: web.WebSocketResponse, hub: Hub, client: Client, msg: Any) -> None:
    channel = str(msg.get("channel"))
    if not _allowed(hub, channel):
        await _error(ws, "UNKNOWN_CHANNEL", f"no channel {channel[:128]!r}")
        return
    if msg.get("cursor") is not None and _cursor(msg) is None:
        await _error(ws, "INVALID_CURSOR", "cursor must be a whole number, 0 or more", channel=channel)
        return
    cursor = _cursor(msg)
    upto = hub.committed_pos
    if cursor is not None and cursor > upto:
        await _error(
            ws,
            "CURSOR_AHEAD",
            f"cursor {cursor} is ahead of this device's log ({upto}); reload your state and subscribe from {upto}",
            channel=channel,
            cursor=upto,
        )
        return
    start = upto if cursor is None else cursor
    before = dict(client.channels)
    # From here live events of this channel queue up behind the replay; `upto` and the channel are
    # taken in the same step of the loop, so nothing falls between the replay and the live stream.
    client.channels[channel] = min(start, before.get(channel, start))
    client.paused = True
    hub.add(client)
    try:
        await ws.send_json({"type": "subscribed", "channel": channel, "cursor": upto})
        if start < upto:
            await _replay(store, ws, hub, client, channel, before, start, upto)
    finally:
        client.paused = False
        client.wake.set()


def _delivered_before(pos: int, channels: list[str], before: dict[str, int]) -> bool:
    """Whether a channel the socket had already subscribed to has delivered (or will deliver) this event."""
    return any(pos > before[c] for c in channels if c in before)


async def _replay(
    store: Store,
    ws: web.WebSocketResponse,
    hub: Hub,
    client: Client,
    channel: str,
    before: dict[str, int],
    after: int,
    upto: int,
) -> None:
    """What the client missed on this channel, from the durable log, rendered from current state (read
    back from its projection if it left memory). Sent directly, with the socket's own backpressure,
    while live messages wait: a long backlog never overflows the live queue, and live follows replay."""
    while after < upto and not client.dropped:
        page = await asyncio.to_thread(store.read_log, after, REPLAY_PAGE)
        if not page:
            return
        states: dict[tuple[str, str], Any] = {}
        for pos, event in page:
            if pos > upto:
                return
            key = (event.aggregate, event.aggregate_id)
            if key not in states:
                states[key] = await store.load(*key)
            message = hub.message(pos, event, states[key])
            if message is None:
                continue
            text, channels = message
            if channel in channels and not _delivered_before(pos, channels, before):
                await ws.send_str(text)
        after = page[-1][0]


async def _send_backlog(ws: web.WebSocketResponse, client: Client) -> None:
    while True:
        if client.dropped:
            await ws.close(code=CLOSE_SLOW, message=b"too slow; reconnect and resume from your last cursor")
            return
        text = client.next_message()
        if text is None:
            client.wake.clear()
            await client.wake.wait()
            continue
        await ws.send_str(text)
