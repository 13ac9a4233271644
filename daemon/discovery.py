"""mDNS: this device advertises itself, and finds the other devices of its location (docs/discovery.md).

Two services are registered, the same TXT on both: `_heard._tcp` (Heard's own type, what peers browse)
and `_http._tcp` (what generic tools and POS terminals list). TXT keys: `location_id`, `device_id`, `name`,
`api` (the API version), `stations` (comma-separated station ids) and `port`.

Addresses are read again every `recheck_seconds`: when they change (a new DHCP lease, a cable moved to
another interface) the responder is closed — its goodbye packets sent — and started again on the new
addresses, so the device follows the network without a restart. python-zeroconf's register and unregister
return a task that must itself be awaited, else no goodbye is sent (STACK.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import Callable

import ifaddr
from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

log = logging.getLogger(__name__)

SERVICE_TYPE = "_heard._tcp.local."
HTTP_TYPE = "_http._tcp.local."
API_VERSION = "1"
RESOLVE_MS = 3000


def local_addresses(host: str) -> list[str]:
    """The IPv4 addresses to advertise: the one the daemon listens on, or every non-loopback one when it
    listens on all (loopback only when there is nothing else, so a lone device still answers itself)."""
    if host not in ("0.0.0.0", "", "::"):
        try:
            return [str(ipaddress.IPv4Address(host))]
        except ValueError:
            return []
    found = sorted(
        {
            str(ip.ip)
            for adapter in ifaddr.get_adapters()
            for ip in adapter.ips
            if isinstance(ip.ip, str) and not ipaddress.IPv4Address(ip.ip).is_loopback
        }
    )
    return found or ["127.0.0.1"]


class Discovery:
    def __init__(
        self,
        *,
        location_id: str,
        device_id: str,
        name: str,
        port: Callable[[], int],
        stations: Callable[[], list[str]],
        found: Callable[[str], None],
        host: str = "0.0.0.0",
        recheck_seconds: float = 30.0,
    ) -> None:
        self.location_id = location_id
        self.device_id = device_id
        self.name = name
        self._port = port
        self._stations = stations
        self._found = found
        self._host = host
        self.recheck_seconds = recheck_seconds
        self._zc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._infos: list[AsyncServiceInfo] = []
        self.addresses: list[str] = []
        self.restarts = 0
        self._task: asyncio.Task[None] | None = None
        self._resolving: set[asyncio.Task[None]] = set()

    def txt(self) -> dict[str, str]:
        return {
            "location_id": self.location_id,
            "device_id": self.device_id,
            "name": self.name[:100],
            "api": API_VERSION,
            "stations": ",".join(self._stations())[:200],
            "port": str(self._port()),
        }

    def _service_infos(self, addresses: list[str]) -> list[AsyncServiceInfo]:
        # Instance names are at most 63 bytes: the name shortened, and the device id's first part to keep
        # two devices called "Grill" apart.
        instance = f"{self.name[:40]} {self.device_id[:8]}".replace(".", " ")
        packed = [socket.inet_aton(a) for a in addresses]
        return [
            AsyncServiceInfo(
                kind,
                f"{instance}.{kind}",
                port=self._port(),
                properties=self.txt(),
                addresses=packed,
                server=f"heard-{self.device_id[:8]}.local.",
            )
            for kind in (SERVICE_TYPE, HTTP_TYPE)
        ]

    async def start(self) -> None:
        await self._refresh()
        self._task = asyncio.create_task(self._follow(), name="mdns follow")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._resolving):
            task.cancel()
        await self._close()

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self.recheck_seconds)  # a timer: addresses are read again this often
            try:
                await self._refresh()
            except Exception:
                log.exception("mdns refresh failed")

    async def _refresh(self) -> None:
        addresses = await asyncio.to_thread(local_addresses, self._host)
        if addresses != self.addresses or self._zc is None:
            log.info("mdns advertising addresses=%s (was %s)", addresses, self.addresses)
            await self._close()
            await self._open(addresses)
        elif self._infos and self._infos[0].properties != self._service_infos(addresses)[0].properties:
            fresh = self._service_infos(addresses)
            await asyncio.gather(*[await self._zc.async_update_service(info) for info in fresh])
            self._infos = fresh

    async def _open(self, addresses: list[str]) -> None:
        self.addresses = addresses
        zc = AsyncZeroconf(interfaces=addresses, ip_version=IPVersion.V4Only)
        self._zc = zc
        self.restarts += 1
        self._infos = self._service_infos(addresses)
        # Each register returns a task that announces (about a second): both services announce at once.
        await asyncio.gather(*[await zc.async_register_service(info) for info in self._infos])
        self._browser = AsyncServiceBrowser(zc.zeroconf, [SERVICE_TYPE], handlers=[self._on_change])

    async def _close(self) -> None:
        zc, self._zc = self._zc, None
        if zc is None:
            return
        if self._browser is not None:
            await self._browser.async_cancel()
            self._browser = None
        with contextlib.suppress(Exception):  # the goodbyes: awaited, so peers forget us at once
            await asyncio.gather(*[await zc.async_unregister_service(info) for info in self._infos])
        self._infos = []
        await zc.async_close()

    def _on_change(self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        if state_change in (ServiceStateChange.Added, ServiceStateChange.Updated):
            task = asyncio.get_running_loop().create_task(self._resolve(service_type, name))
            self._resolving.add(task)
            task.add_done_callback(self._resolving.discard)

    async def _resolve(self, service_type: str, name: str) -> None:
        zc = self._zc
        if zc is None:
            return
        info = AsyncServiceInfo(service_type, name)
        if not await info.async_request(zc.zeroconf, RESOLVE_MS):
            return
        txt = {k.decode(errors="replace"): (v or b"").decode(errors="replace") for k, v in info.properties.items()}
        if txt.get("location_id") != self.location_id or txt.get("device_id") in (None, "", self.device_id):
            return  # another location's device, or this one
        for address in info.parsed_addresses(IPVersion.V4Only):
            if info.port:
                log.info("mdns found a peer device=%s url=http://%s:%d", txt.get("device_id"), address, info.port)
                self._found(f"http://{address}:{info.port}")
