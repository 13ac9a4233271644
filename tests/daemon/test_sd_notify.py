"""sd_notify: READY=1 once the daemon serves, WATCHDOG=1 from its event loop, both seen on a real socket."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from daemon.systemd_notify import SystemdNotifier
from tests.conftest import SEED_ORDER
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
        if any(line.startswith(wanted) for line in data.splitlines()):
            return seen
    raise AssertionError(f"{wanted} not received; got {len(seen)} messages, the last: {seen[-5:]}")


def receive_during(sock: socket.socket, seconds: float) -> list[str]:
    """Everything that arrives in a window: to show that something (a ping) does not come."""
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            seen.append(sock.recv(4096).decode())
        except TimeoutError:
            break
    return seen


def pings(messages: list[str]) -> int:
    return sum("WATCHDOG=1" in m.splitlines() for m in messages)


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


async def test_watchdog_is_not_fed_while_unhealthy(notify_socket: tuple[socket.socket, str]) -> None:
    sock, path = notify_socket
    notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000"})
    health = {"ok": True}
    task = asyncio.create_task(notifier.run_watchdog(healthy=lambda: health["ok"]))
    try:
        await asyncio.to_thread(receive_until, sock, "WATCHDOG=1")
        health["ok"] = False
        await asyncio.to_thread(receive_until, sock, "STATUS=unhealthy")
        while_unhealthy = await asyncio.to_thread(receive_during, sock, 0.2)  # twenty intervals
        health["ok"] = True
        await asyncio.to_thread(receive_until, sock, "WATCHDOG=1")
    finally:
        task.cancel()

    assert pings(while_unhealthy) == 0


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


def post_order(url: str, token: str) -> int:
    request = urllib.request.Request(
        url + "/integrators/kds-orders",
        data=json.dumps(SEED_ORDER).encode(),
        headers={
            "content-type": "application/json",
            "x-integration-token": token,
            "x-location-id": "demo-location",
            "x-device-ids": "all",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_daemon_stops_feeding_the_watchdog_when_its_writer_fails(
    tmp_path: Path, notify_socket: tuple[socket.socket, str]
) -> None:
    sock, path = notify_socket
    daemon = DaemonProcess(tmp_path / "data", env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"})
    daemon.start()
    try:
        receive_until(sock, "WATCHDOG=1")
        token = daemon.integration_token()
        # Another process holds the write lock past the writer's busy timeout (5 s): its COMMIT fails.
        holder = sqlite3.connect(daemon.data_dir / "heard.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with ThreadPoolExecutor(1) as pool:
                answer = pool.submit(post_order, daemon.url, token)
                receive_until(sock, "STATUS=unhealthy", timeout=30)  # reading meanwhile keeps the socket drained
                status = answer.result(timeout=30)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        after_failure = receive_during(sock, 1.0)  # ten watchdog intervals
    finally:
        daemon.stop()

    assert status == 503
    assert pings(after_failure) == 0
