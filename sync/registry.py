"""The peers this device knows: one link (a task pulling and streaming from it) per peer URL, and what each
peer last said about itself (name, address, versions, clock) for `GET /api/v1/devices`.

Peers come from joining (`peers.json`), the configuration (`peers.urls`), mDNS, and from peers that
introduce themselves by connecting here (their address and the port they name): so a device that joined
through A is pulled from by A as soon as it first pulls from A.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from daemon.membership import add_peer_urls, normalise_url
from daemon.store.store import Store, wall_clock_ms
from daemon.tasks import cancel_and_wait, wait_event
from sync.outbound import Outbound

if TYPE_CHECKING:
    from sync.link import PeerLink

log = logging.getLogger(__name__)

CLOCK_WARNING_MS = 2000  # ARCHITECTURE §5: an offset to a peer over 2 s is shown as a warning
MAX_BACKOFF = 5.0  # the longest a link waits before trying a peer again (docs/replication.md)
# How long an integrator's write waits for the peers it targets, that are reachable, to say they hold it
# (their answer is `queued` past it; they still get it, with nothing for the POS to do).
ACK_WAIT_SECONDS = 0.5


@dataclass
class PeerState:
    """What is known of one peer device."""

    device_id: str
    name: str = ""
    url: str = ""
    last_contact_ms: int = 0
    versions: dict[str, int] = field(default_factory=dict)
    offset_ms: float | None = None  # its wall clock minus ours, measured over a round trip
    connected: bool = False  # our link is streaming from it now


class Peers:
    def __init__(
        self,
        store: Store,
        *,
        location_id: str,
        device_id: str,
        device_name: str,
        secret: bytes,
        data_dir: Path | None,
        urls: list[str],
        port: int,
    ) -> None:
        self.store = store
        self.location_id = location_id
        self.device_id = device_id
        self.device_name = device_name
        self.secret = secret
        self.data_dir = data_dir
        self.port = port  # the port peers reach us on (told to them so they can pull from us)
        self._initial = [normalise_url(u) for u in urls]
        self.links: dict[str, PeerLink] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.by_device: dict[str, PeerState] = {}
        self.self_urls: set[str] = set()
        self.session: aiohttp.ClientSession | None = None
        self.outbound: Outbound | None = None  # the streams peers pull from us (set by the wiring)
        self.max_backoff = MAX_BACKOFF
        self._acked = asyncio.Event()  # set (and replaced) whenever a peer says what it holds

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=3, sock_read=30))
        for url in self._initial:
            self.add_url(url)

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            await cancel_and_wait(task)
        self._tasks.clear()
        if self.session is not None:
            await self.session.close()
            self.session = None

    def add_url(self, url: str, persist: bool = False) -> None:
        """Start pulling from a peer URL, unless it is known already (or is this device)."""
        from sync.link import PeerLink

        url = normalise_url(url)
        if url in self.links or url in self.self_urls or self.session is None:
            return
        link = PeerLink(self, url)
        self.links[url] = link
        self._tasks[url] = asyncio.create_task(link.run(), name=f"peer {url}")
        log.info("peer link started url=%s", url)
        if persist and self.data_dir is not None:
            try:
                add_peer_urls(self.data_dir, [url])
            except OSError as exc:
                log.warning("could not record peer url=%s error=%s", url, exc)

    def forget_url(self, url: str) -> None:
        """A URL that turned out to be this device, or a duplicate of another link: stop its task."""
        self.links.pop(url, None)
        task = self._tasks.pop(url, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    # ---- what peers say -------------------------------------------------------------------

    def state(self, device_id: str) -> PeerState:
        if device_id not in self.by_device:
            self.by_device[device_id] = PeerState(device_id)
        return self.by_device[device_id]

    def introduced(self, device_id: str, *, name: str, host: str, port: str) -> None:
        """A peer connected here with the location credential: note the contact, and pull from it too."""
        if device_id == self.device_id:
            return
        state = self.state(device_id)
        state.last_contact_ms = wall_clock_ms()
        if name:
            state.name = name[:200]
        if host and port.isdigit() and 0 < int(port) < 65536:
            address = f"[{host}]" if ":" in host else host
            url = f"http://{address}:{int(port)}"
            if not state.url:
                state.url = url
            linked = [link for link in self.links.values() if link.device_id == device_id or link.url == url]
            for link in linked:
                link.poke()
            if not linked:
                self.add_url(url, persist=True)

    def acked(self, device_id: str, versions: dict[str, int]) -> None:
        """A peer streaming from us says which events it holds, durably (after each of its commits)."""
        if device_id == self.device_id:
            return
        state = self.state(device_id)
        state.last_contact_ms = wall_clock_ms()
        for origin, seq in versions.items():
            if seq > state.versions.get(origin, 0):
                state.versions[origin] = seq
        self._acked.set()
        self._acked = asyncio.Event()

    def holds(self, device_id: str, seq: int) -> bool:
        """Whether the peer said it holds this device's events up to `seq`."""
        state = self.by_device.get(device_id)
        return state is not None and state.versions.get(self.device_id, 0) >= seq

    async def wait_held(self, devices: list[str], seq: int, timeout: float = ACK_WAIT_SECONDS) -> None:
        """Wait (at most `timeout`) until every reachable device of `devices` holds our events up to `seq`.
        One that is unreachable is not waited for: it is `queued`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            waiting = [d for d in devices if d != self.device_id and self.reachable(d) and not self.holds(d, seq)]
            left = deadline - loop.time()
            if not waiting or left <= 0:
                return
            await wait_event(self._acked, left)

    def claim(self, device_id: str, link: PeerLink) -> bool:
        """Only one link streams from a device (it may be known by several URLs)."""
        return not any(
            other.device_id == device_id and other.streaming for other in self.links.values() if other is not link
        )

    def known_devices(self) -> dict[str, str]:
        """Peer device id → name, for the integrator's x-device-ids."""
        return {d: s.name or d for d, s in self.by_device.items()}

    def reachable(self, device_id: str) -> bool:
        """Whether an event committed now reaches the device at once: one of the two links is up (ours
        pulling from it, or its stream from us)."""
        state = self.by_device.get(device_id)
        return state is not None and (state.connected or device_id in self.streaming_to())

    def streaming_to(self) -> set[str]:
        return self.outbound.devices() if self.outbound is not None else set()

    # ---- what GET /api/v1/devices shows ---------------------------------------------------

    def lag(self, state: PeerState) -> int:
        """Events the peer holds (as of its last word) that this device does not."""
        local = self.store.version_vector()
        return sum(max(0, top - local.get(origin, 0)) for origin, top in state.versions.items())

    def devices(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = [
            {
                "deviceId": self.device_id,
                "name": self.device_name,
                "self": True,
                "address": None,
                "connected": True,
                "lastContactAt": None,
                "replicationLag": 0,
                "clockOffsetMs": 0,
                "clockWarning": False,
            }
        ]
        for state in sorted(self.by_device.values(), key=lambda s: s.name or s.device_id):
            offset = None if state.offset_ms is None else round(state.offset_ms)
            rows.append(
                {
                    "deviceId": state.device_id,
                    "name": state.name,
                    "self": False,
                    "address": state.url or None,
                    "connected": state.connected,
                    "lastContactAt": _iso(state.last_contact_ms) if state.last_contact_ms else None,
                    "replicationLag": self.lag(state),
                    "clockOffsetMs": offset,
                    "clockWarning": offset is not None and abs(offset) > CLOCK_WARNING_MS,
                }
            )
        return rows


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


PEERS = web.AppKey("peers", Peers)
OUTBOUND = web.AppKey("outbound", Outbound)
