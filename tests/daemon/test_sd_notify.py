"""sd_notify: READY=1 once the daemon serves, WATCHDOG=1 from its event loop, both seen on a real socket."""

from __future__ import annotations

import asyncio
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.systemd_notify import SystemdNotifier
from tests.daemon.process import DaemonProcess


@pytest.fixture
def notify_socket() -> Iterator[tuple[socket.socket, str]]:
    # A short path of our own: AF_UNIX paths are limited to 108 bytes.
    folder = tempfile.mkdtemp(prefix="sd-")
    path = str(Path(folder) / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    yield sock, path
    sock.close()


def receive_until(sock: socket.socket, wanted: str, timeout: float = 15.0) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(4096).decode()
        except TimeoutError:
            break
        seen.append(data)
        if wanted in data.splitlines():
            return seen
    raise AssertionError(f"{wanted} not received; got {seen}")


def test_notifier_without_socket_does_nothing() -> None:
    notifier = SystemdNotifier.from_environ({})

    assert notifier.ready() is False
    assert notifier.watchdog_interval() is None


def test_ready_reaches_the_socket(notify_socket: tuple[socket.socket, str]) -> None:
    sock, path = notify_socket

    SystemdNotifier.from_environ({"NOTIFY_SOCKET": path}).ready("serving")

    assert "READY=1" in receive_until(sock, "READY=1")[0].splitlines()


def test_abstract_socket_name_is_supported() -> None:
    name = f"heard-test-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)

        SystemdNotifier.from_environ({"NOTIFY_SOCKET": "@" + name}).notify("READY=1")

        receive_until(sock, "READY=1")


async def test_watchdog_pings_from_the_event_loop(notify_socket: tuple[socket.socket, str]) -> None:
    sock, path = notify_socket
    notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000"})
    task = asyncio.create_task(notifier.run_watchdog())
    try:
        seen = await asyncio.to_thread(receive_until, sock, "WATCHDOG=1")
    finally:
        task.cancel()
    assert notifier.watchdog_interval() == pytest.approx(0.01)
    assert any("WATCHDOG=1" in s for s in seen)


def test_watchdog_for_another_pid_is_ignored() -> None:
    notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"})

    assert notifier.watchdog_interval() is None


def test_daemon_sends_ready_and_watchdog(tmp_path: Path, notify_socket: tuple[socket.socket, str]) -> None:
    sock, path = notify_socket
    daemon = DaemonProcess(tmp_path / "data", env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"})
    daemon.start()
    try:
        seen = receive_until(sock, "READY=1")
        seen += receive_until(sock, "WATCHDOG=1")
    finally:
        daemon.stop()
    assert any("READY=1" in s for s in seen)
    assert "STOPPING=1" in receive_until(sock, "STOPPING=1")[-1].splitlines()
