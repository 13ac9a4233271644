"""The live WebSocket at /api/v1/ws: subscribe to channels, receive every event with its cursor,
resume after a reconnect with the last cursor seen (exactly what was missed, in cursor order, once).

Resume protocol: `{"type": "subscribe", "channel": C, "cursor": N}` replays every event after N on C
from the durable log, then live ones; live events wait while the replay is sent. An event already
delivered through another channel of the same socket is not sent again. A cursor ahead of the log
(the device's database was replaced) is refused with `CURSOR_AHEAD`: the client reloads its state
over REST and subscribes again from the cursor the error carries.

The socket lives as long as the token that opened it: at its exp it is closed with 4001, and no event
goes out after exp. A client that falls behind by more than its backlog bound is closed with 4008 at
once, whatever its socket still holds. After any close the client reconnects (with a fresh token after
4001) and resumes from its last cursor.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from daemon.api.auth import require
from daemon.api.context import HUB, STORE
from daemon.connections import reset
from daemon.fanout import Client, Hub
from daemon.store.store import Store

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

HEARTBEAT_SECONDS = 15.0
# Application close codes; each tells the client what to do before it reconnects and resumes by cursor.
CLOSE_TOKEN_EXPIRED = 4001  # your token expired: get a fresh one
CLOSE_SLOW = 4008  # you fell behind: just reconnect
CLOSE_INTERNAL = int(WSCloseCode.INTERNAL_ERROR)  # 1011: we failed
CLOSE_GOING_AWAY = int(WSCloseCode.GOING_AWAY)  # 1001: the daemon is stopping
CLOSE_REASONS = {
    CLOSE_GOING_AWAY: b"the daemon is stopping; reconnect and resume from your last cursor",
    CLOSE_TOKEN_EXPIRED: b"token expired; reconnect with a fresh token and resume from your last cursor",
    CLOSE_SLOW: b"too slow; reconnect and resume from your last cursor",
    CLOSE_INTERNAL: b"internal error; reconnect and resume from your last cursor",
}
# How long a close may wait for the client's answer: a client that does not read never answers, and
# its socket would hold a descriptor and its unsent output until TCP gave up.
CLOSE_GRACE_SECONDS = 5.0
REPLAY_PAGE = 500


@dataclass(eq=False)
class Session:
    """One socket's life: its hub client, until when its token lets it receive events (loop time), and
    why it must close (a close code; the first reason wins)."""

    ws: web.WebSocketResponse
    hub: Hub
    client: Client
    expires: float
    closing: asyncio.Future[int]

    def may_send(self) -> bool:
        """Whether an event may still go out: the socket is not closing and its token has not expired."""
        return not self.closing.done() and asyncio.get_running_loop().time() < self.expires

    def close_with(self, code: int) -> None:
        if not self.closing.done():
            self.closing.set_result(code)


def _allowed(hub: Hub, channel: str) -> bool:
    branch = f"branch:{hub.branch_id}"
    if channel in (branch, f"{branch}:kitchen"):
        return True
    return (channel.startswith("session:") and len(channel) > 8) or (channel.startswith("device:") and len(channel) > 7)


class Sessions:
    """The open sockets, so that stopping the daemon closes each at once (1001) instead of waiting for its
    heartbeat to time out: aiohttp ignores a client's frames during shutdown, and systemd would kill us."""

    def __init__(self) -> None:
        self.open: set[Session] = set()

    async def close_all(self, app: web.Application) -> None:
        for session in list(self.open):
            session.close_with(CLOSE_GOING_AWAY)


SESSIONS = web.AppKey("ws_sessions", Sessions)


def add_shutdown(app: web.Application) -> None:
    app[SESSIONS] = Sessions()
    app.on_shutdown.append(app[SESSIONS].close_all)


@routes.get("/api/v1/ws")
async def websocket(request: web.Request) -> web.WebSocketResponse:
    expires_at = require(request, "orders:read").expires_at
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=64 * 1024)
    await ws.prepare(request)
    transport = request.transport
    hub = request.app[HUB]
    loop = asyncio.get_running_loop()
    # The token's exp is wall-clock time; the timer runs on the loop's monotonic clock.
    expires = loop.time() + (expires_at - time.time())
    session = Session(ws, hub, hub.new_client(), expires, loop.create_future())
    session.client.on_drop = lambda: session.close_with(CLOSE_SLOW)
    expiry = loop.call_at(expires, session.close_with, CLOSE_TOKEN_EXPIRED)
    reader = asyncio.create_task(_read(request, session))
    sender = asyncio.create_task(_send_backlog(session))
    sessions = request.app[SESSIONS].open
    sessions.add(session)
    try:
        code = await session.closing
    finally:
        sessions.discard(session)
        expiry.cancel()
        hub.remove(session.client)
        reader.cancel()
        sender.cancel()
        await asyncio.gather(reader, sender, return_exceptions=True)
    await _close(ws, transport, code)
    return ws


async def _read(request: web.Request, session: Session) -> None:
    """The client's messages, answered in order, until it closes or stops answering pings."""
    ws = session.ws
    try:
        await ws.send_json({"type": "welcome", "branch_id": session.hub.branch_id, "cursor": session.hub.committed_pos})
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await _handle(request, session, msg.data)
    except ConnectionError:
        log.debug("websocket client went away mid-send")
    except Exception:
        # The socket is upgraded: an HTTP error response can no longer be written into it.
        log.exception("websocket failed; closing it")
        session.close_with(CLOSE_INTERNAL)
    session.close_with(int(WSCloseCode.OK))


async def _close(ws: web.WebSocketResponse, transport: asyncio.Transport | None, code: int) -> None:
    """Send the close frame behind what the socket still holds, without waiting for it to drain; a client
    that has not answered within CLOSE_GRACE_SECONDS is reset, with whatever it had not read."""
    try:
        async with asyncio.timeout(CLOSE_GRACE_SECONDS):
            await ws.close(code=code, message=CLOSE_REASONS.get(code, b""), drain=False)
    except TimeoutError:
        if transport is not None:
            reset(transport)
        return
    if transport is not None and transport.get_write_buffer_size() > 0:
        reset(transport)  # closed earlier (a missed pong) while output was still waiting


async def _handle(request: web.Request, session: Session, text: str) -> None:
    ws, hub, client = session.ws, session.hub, session.client
    try:
        msg: Any = orjson.loads(text)
        kind = msg.get("type")
    except (orjson.JSONDecodeError, AttributeError):
        await _error(ws, "MALFORMED_MESSAGE", "messages are JSON objects")
        return
    if kind == "ping":
        await ws.send_json({"type": "pong", "cursor": hub.committed_pos})
    elif kind == "subscribe":
        await _subscribe(request.app[STORE], session, msg)
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


async def _subscribe(store: Store, session: Session, msg: Any) -> None:
    ws, hub, client = session.ws, session.hub, session.client
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
            await _replay(store, session, channel, before, start, upto)
    finally:
        client.paused = False
        client.wake.set()


def _delivered_before(pos: int, channels: list[str], before: dict[str, int]) -> bool:
    """Whether a channel the socket had already subscribed to has delivered (or will deliver) this event."""
    return any(pos > before[c] for c in channels if c in before)


async def _replay(
    store: Store,
    session: Session,
    channel: str,
    before: dict[str, int],
    after: int,
    upto: int,
) -> None:
    """What the client missed on this channel, from the durable log, rendered from current state (read
    back from its projection if it left memory). Sent directly, with the socket's own backpressure,
    while live messages wait: a long backlog never overflows the live queue, and live follows replay."""
    while after < upto and session.may_send():
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
            message = session.hub.message(pos, event, states[key])
            if message is None:
                continue
            text, channels = message
            if channel in channels and not _delivered_before(pos, channels, before):
                if not session.may_send():
                    return
                await session.ws.send_str(text)
        after = page[-1][0]


async def _send_backlog(session: Session) -> None:
    """Live events from the hub, with the socket's backpressure. It may be stuck on a full socket when the
    hub drops the client; the handler then cancels it rather than waiting for the socket to drain."""
    client = session.client
    try:
        while session.may_send():
            text = client.next_message()
            if text is None:
                client.wake.clear()
                await client.wake.wait()
                continue
            await session.ws.send_str(text)
    except ConnectionError:
        log.debug("websocket client went away mid-send")  # its reader sees the end too
    except Exception:
        log.exception("websocket sender failed; closing it")
        session.close_with(CLOSE_INTERNAL)
