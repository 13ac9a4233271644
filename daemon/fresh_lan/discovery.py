"""Fresh KDS LAN discovery: every 2 seconds each device announces itself by UDP broadcast, so POS software
written for Fresh finds its screens (and their addresses) without configuration.

The datagram is exactly 102 bytes of fixed fields, ASCII, each zero-padded on the right:

    offset  size  field
         0    12  application name, "FreshKDS"
        12     8  SDK version, "1.0"
        20    10  the sending interface's IPv4 address as 4 raw bytes, then 6 zero bytes
        30    20  the screen identifier: Heard's device id, letters and digits, upper case, first 20
        50    52  the screen name, at most 20 characters used
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import logging
import re
import socket
from collections.abc import Callable, Sequence

from daemon.fresh_lan.interfaces import broadcast_addresses

log = logging.getLogger(__name__)

APP_NAME = "FreshKDS"
SDK_VERSION = "1.0"
EVERY_SECONDS = 2.0
SIZE = 102
_FIELDS = (("name", 12), ("version", 8), ("address", 10), ("identifier", 20), ("screen", 52))
NAME_USED = 20
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


def _padded(text: bytes, size: int) -> bytes:
    return text[:size].ljust(size, b"\0")


def screen_identifier(device_id: str) -> str:
    """Heard's device id shortened to the 20 bytes Fresh gives it: its letters and digits, upper case (a uuid's
    first 20 hex digits), so it is the same after every restart. An id with no ASCII letter or digit is hashed."""
    kept = _NOT_ALNUM.sub("", device_id.encode("ascii", "ignore").decode()).upper()
    return (kept or hashlib.sha1(device_id.encode()).hexdigest().upper())[:20]


def screen_name(name: str) -> bytes:
    """The device name as Fresh shows it: printable ASCII ('?' for anything else), at most 20 characters."""
    text = "".join(c if " " <= c <= "~" else "?" for c in name[:NAME_USED])
    return text.encode("ascii")


def announcement(address: str, identifier: str, name: str) -> bytes:
    """The 102-byte datagram for one interface."""
    datagram = (
        _padded(APP_NAME.encode(), 12)
        + _padded(SDK_VERSION.encode(), 8)
        + ipaddress.IPv4Address(address).packed
        + bytes(6)
        + _padded(identifier.encode("ascii"), 20)
        + _padded(screen_name(name), 52)
    )
    assert len(datagram) == SIZE
    return datagram


class Announcer:
    """Sends the announcement to each target every EVERY_SECONDS, from the interface that reaches it."""

    def __init__(
        self,
        identifier: str,
        name: str,
        port: int,
        targets: Sequence[str] | None = None,
        every: float = EVERY_SECONDS,
        find_targets: Callable[[], list[str]] = broadcast_addresses,
    ) -> None:
        self.identifier = identifier
        self.name = name
        self.port = port
        self.targets = list(targets) if targets is not None else None  # None: every interface's broadcast
        self.every = every
        self.sent = 0
        self._find_targets = find_targets
        self._failing: dict[str, str] = {}  # target → the error last logged, so a down link is logged once
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        log.info(
            "fresh lan discovery port=%d targets=%s identifier=%s",
            self.port,
            ",".join(self.targets) if self.targets is not None else "every interface's broadcast address",
            self.identifier,
        )

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            self.announce()
            await asyncio.sleep(self.every)  # the protocol's period, not synchronisation

    def announce(self) -> None:
        """One round: a datagram to each target. Interfaces are looked up each round (DHCP, cables)."""
        targets = self.targets if self.targets is not None else self._find_targets()
        for target in targets:
            try:
                self._send(target)
            except OSError as exc:
                if self._failing.get(target) != str(exc):
                    log.warning("fresh lan discovery cannot reach target=%s port=%d error=%s", target, self.port, exc)
                self._failing[target] = str(exc)
                continue
            if target in self._failing:
                log.info("fresh lan discovery reaches target=%s again", target)
                del self._failing[target]

    def _send(self, target: str) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            sock.setblocking(False)
            sock.connect((target, self.port))  # picks the interface that reaches the target: its address goes in
            sock.send(announcement(sock.getsockname()[0], self.identifier, self.name))
        self.sent += 1
