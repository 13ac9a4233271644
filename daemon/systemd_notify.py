"""sd_notify without libsystemd: READY=1 when serving, WATCHDOG=1 from the event loop, STOPPING=1."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


class SystemdNotifier:
    """A no-op when NOTIFY_SOCKET is unset, so the daemon runs the same outside systemd."""

    def __init__(self, address: str | None, watchdog_usec: int | None = None) -> None:
        self._address = address
        self._watchdog_usec = watchdog_usec
        self._sock: socket.socket | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> SystemdNotifier:
        address = environ.get("NOTIFY_SOCKET") or None
        usec: int | None = None
        pid = environ.get("WATCHDOG_PID")
        if environ.get("WATCHDOG_USEC") and (not pid or pid == str(os.getpid())):
            try:
                usec = int(environ["WATCHDOG_USEC"])
            except ValueError:
                log.warning("ignoring WATCHDOG_USEC=%r: not a number", environ["WATCHDOG_USEC"])
        return cls(address, usec)

    def notify(self, *fields: str) -> bool:
        """Send one datagram; never raises (a lost notification must not stop the kitchen)."""
        if not self._address:
            return False
        target = "\0" + self._address[1:] if self._address.startswith("@") else self._address
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.setblocking(False)
            self._sock.sendto("\n".join(fields).encode(), target)
        except OSError as exc:
            log.warning("sd_notify failed socket=%s error=%s", self._address, exc)
            return False
        return True

    def ready(self, status: str = "serving") -> bool:
        return self.notify("READY=1", f"STATUS={status}")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def watchdog_interval(self) -> float | None:
        """Half the watchdog timeout, as systemd recommends."""
        return self._watchdog_usec / 2_000_000 if self._watchdog_usec else None

    async def run_watchdog(self, healthy: Callable[[], bool] = lambda: True) -> None:
        """Ping from the event loop itself, and only while `healthy()`: a stuck loop or a broken part
        (the store's writer) stops the pings, and systemd restarts us after WatchdogSec."""
        interval = self.watchdog_interval()
        if interval is None or not self._address:
            return
        withheld = False
        while True:
            if healthy():
                if withheld:
                    log.warning("healthy again; resuming watchdog pings")
                    self.notify("STATUS=serving")
                withheld = False
                self.notify("WATCHDOG=1")
            elif not withheld:
                log.critical("unhealthy; withholding watchdog pings so that systemd restarts the daemon")
                self.notify("STATUS=unhealthy: watchdog pings withheld, waiting for systemd to restart us")
                withheld = True
            await asyncio.sleep(interval)
