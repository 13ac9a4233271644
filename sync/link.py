"""One peer link: say hello, pull what the peer holds and we lack in batches, then take its live stream;
on any failure wait (exponential backoff with jitter) and start again from our version vector.

Nothing is lost or taken twice across a crash of either side: where to resume is always read from the
store's version vector, and `Store.ingest` takes each origin's next seq only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

import aiohttp
import orjson

from daemon.domain.events import Event
from daemon.store.store import StoreUnavailable, wall_clock_ms
from daemon.tasks import cancel_and_wait, wait_event
from sync.credentials import mint_peer_token
from sync.intake import Gap, Intake
from sync.registry import Peers, PeerState
from sync.server import BATCH, PREFIX
from sync.wire import WireError, events_from_wire, versions_from_wire

log = logging.getLogger(__name__)

MIN_DELAY = 0.2
REFUSED_DELAY = 30.0  # a peer that refuses our credential: keep trying, but seldom
PING_SECONDS = 2.0


class Refused(Exception):
    """The peer turned our credential away (another location, or a secret it does not share)."""


class NotAPeer(Exception):
    """The URL is this device, or a device another link already streams from."""


class PeerLink:
    def __init__(self, peers: Peers, url: str) -> None:
        self.peers = peers
        self.url = url
        self.device_id: str | None = None
        self.streaming = False
        self.connects = 0
        self._poked = asyncio.Event()
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ack: dict[str, int] = {}  # durable here, not yet acknowledged to the peer
        self._acking: asyncio.Task[None] | None = None

    def poke(self) -> None:
        """The peer showed up (it connected to us): end the backoff wait and try at once."""
        if not self.streaming:
            self._poked.set()

    def _headers(self) -> dict[str, str]:
        p = self.peers
        return {
            "Authorization": f"Bearer {mint_peer_token(p.secret, p.location_id, p.device_id)}",
            "x-heard-device-name": p.device_name,
            "x-heard-port": str(p.port),
        }

    async def run(self) -> None:
        delay = MIN_DELAY
        while True:
            wait = delay
            try:
                await self._once()
            except asyncio.CancelledError:
                raise
            except NotAPeer as exc:
                log.info("not a peer url=%s: %s", self.url, exc)
                if self.device_id == self.peers.device_id:
                    self.peers.self_urls.add(self.url)
                    self.peers.forget_url(self.url)
                    return
                wait = REFUSED_DELAY
            except Refused as exc:
                log.warning("peer refused us url=%s: %s", self.url, exc)
                wait = REFUSED_DELAY
            except Gap as exc:
                log.info("peer stream resumes url=%s: %s", self.url, exc)
                wait = 0.0
            except (aiohttp.ClientError, OSError, TimeoutError, WireError, StoreUnavailable, ValueError) as exc:
                log.info("peer link down url=%s error=%s: %s", self.url, type(exc).__name__, exc)
            except Exception:
                log.exception("peer link failed url=%s", self.url)
            finally:
                if self.streaming:
                    delay = MIN_DELAY  # it was up: the next failure starts the backoff afresh
                    wait = min(wait, MIN_DELAY)
                self._set_streaming(False)
            self._poked.clear()
            await wait_event(self._poked, wait * random.uniform(0.8, 1.2))  # the backoff, cut short by a poke
            delay = min(delay * 2, self.peers.max_backoff)

    def _set_streaming(self, on: bool) -> None:
        self.streaming = on
        if self.device_id is not None and self.device_id in self.peers.by_device:
            self.peers.by_device[self.device_id].connected = on

    async def _once(self) -> None:
        session = self.peers.session
        assert session is not None
        state = await self._hello(session)
        intake = Intake(self.peers.store, on_taken=lambda tops: self._taken(state, tops), on_failed=self._abort)
        try:
            await self._catch_up(session, state, intake)
            async with session.ws_connect(
                self.url + PREFIX + "/stream", headers=self._headers(), heartbeat=5.0, max_msg_size=64 * 1024 * 1024
            ) as ws:
                self._ws = ws
                # The vector includes batches still committing: they are the store's already.
                await ws.send_str(
                    orjson.dumps({"type": "subscribe", "versions": self.peers.store.version_vector()}).decode()
                )
                self.connects += 1
                self._set_streaming(True)
                pinger = asyncio.create_task(self._ping(ws))
                try:
                    async for msg in ws:
                        if msg.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                            await self._handle(state, orjson.loads(msg.data), intake)
                        elif msg.type == aiohttp.WSMsgType.ERROR:
                            raise ConnectionError(f"stream error: {ws.exception()}")
                finally:
                    # Not `suppress(CancelledError)`: a stop landing as the stream ends would be lost here.
                    await cancel_and_wait(pinger)
            intake.check()  # the stream was closed because a batch failed: say why
        finally:
            self._ws = None
            await intake.close()
            if self._acking is not None:
                self._acking.cancel()

    def _abort(self, exc: BaseException) -> None:
        """A batch failed while the stream runs: close it, so the link starts again."""
        if self._ws is not None and not self._ws.closed:
            asyncio.ensure_future(self._ws.close())

    def _taken(self, state: PeerState, tops: dict[str, int]) -> None:
        """A batch from the peer is durable: tell it (once per loop turn at most), so it can answer a POS
        that the order reached this device (`deliveryStatuses: success`)."""
        state.last_contact_ms = wall_clock_ms()
        for origin, seq in tops.items():
            self._ack[origin] = max(self._ack.get(origin, 0), seq)
        if self._ws is not None and (self._acking is None or self._acking.done()):
            self._acking = asyncio.ensure_future(self._send_ack(self._ws))

    async def _send_ack(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        await asyncio.sleep(0)  # batches committed in the same turn go in one ack
        while self._ack and not ws.closed:  # and those committed while it was being sent, in the next
            versions, self._ack = self._ack, {}
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(orjson.dumps({"type": "ack", "versions": versions}).decode())

    async def _hello(self, session: aiohttp.ClientSession) -> PeerState:
        t0 = wall_clock_ms()
        async with session.get(self.url + PREFIX + "/hello", headers=self._headers()) as resp:
            if resp.status in (401, 403):
                raise Refused(f"{resp.status} {(await resp.text())[:200]}")
            resp.raise_for_status()
            body = await resp.json(loads=orjson.loads)
        t1 = wall_clock_ms()
        device_id = str(body.get("deviceId", ""))
        if not device_id:
            raise WireError("hello without a deviceId")
        self.device_id = device_id
        if device_id == self.peers.device_id:
            raise NotAPeer("it is this device")
        if body.get("locationId") != self.peers.location_id:
            raise Refused(f"it serves location {body.get('locationId')!r}")
        if not self.peers.claim(device_id, self):
            raise NotAPeer(f"device {device_id} is already linked by another URL")
        state = self.peers.state(device_id)
        state.name = str(body.get("name", ""))[:200]
        state.url = self.url
        self._heard(state, t0, t1, body.get("nowMs"), body.get("versions"))
        return state

    def _heard(self, state: PeerState, t0: int, t1: int, now_ms: Any, versions: Any) -> None:
        state.last_contact_ms = t1
        if isinstance(now_ms, int) and not isinstance(now_ms, bool):
            state.offset_ms = now_ms - (t0 + t1) / 2
        if versions is not None:
            state.versions = versions_from_wire(versions)

    async def _catch_up(self, session: aiohttp.ClientSession, state: PeerState, intake: Intake) -> None:
        """Pull, origin by origin, what the peer holds past our version vector, a batch at a time. The next
        batch is asked for before this one is merged, so the peer reads it while we fold."""
        for origin, top in state.versions.items():
            after = self.peers.store.version_vector().get(origin, 0)
            if after >= top:
                continue
            fetch: asyncio.Task[list[Event]] | None = asyncio.ensure_future(self._pull(session, origin, after))
            try:
                while fetch is not None:
                    events = await fetch
                    fetch = None
                    if not events:
                        break
                    after = events[-1].seq
                    if after < top:
                        fetch = asyncio.ensure_future(self._pull(session, origin, after))
                    await intake.put(events)
            finally:
                if fetch is not None:
                    await cancel_and_wait(fetch)

    async def _pull(self, session: aiohttp.ClientSession, origin: str, after: int) -> list[Event]:
        params = {"origin": origin, "after": str(after), "limit": str(BATCH)}
        async with session.get(self.url + PREFIX + "/events", params=params, headers=self._headers()) as resp:
            if resp.status in (401, 403):
                raise Refused(f"{resp.status} {(await resp.text())[:200]}")
            resp.raise_for_status()
            body = await resp.json(loads=orjson.loads)
        return events_from_wire(body.get("events"))

    async def _handle(self, state: PeerState, msg: Any, intake: Intake) -> None:
        if not isinstance(msg, dict):
            raise WireError("a stream message must be an object")
        kind = msg.get("type")
        if kind == "events":
            await intake.put(events_from_wire(msg.get("events")))
        elif kind == "pong":
            t0 = msg.get("t")
            if isinstance(t0, int):
                self._heard(state, t0, wall_clock_ms(), msg.get("nowMs"), msg.get("versions"))
        elif kind == "error":
            raise WireError(f"the peer says: {msg.get('code')} {str(msg.get('message'))[:200]}")

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while not ws.closed:
            await ws.send_str(orjson.dumps({"type": "ping", "t": wall_clock_ms()}).decode())
            await asyncio.sleep(PING_SECONDS)  # a timer: the clock and lag are measured this often
