"""Run the real daemon as a subprocess for crash, systemd and multi-device tests; wait on conditions."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DaemonProcess:
    """One heard-daemon on 127.0.0.1 with its own data directory; logs go to a file for failure messages."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None, nofile: int | None = None) -> None:
        """`nofile`: the daemon's descriptor limit (soft and hard), as under a unit that sets LimitNOFILE."""
        self.data_dir = data_dir
        self.nofile = nofile
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        # mDNS off unless a test asks for it: a responder takes seconds to start and stop.
        self._env = {**os.environ, "HEARD_MDNS": os.environ.get("HEARD_TEST_MDNS", "false"), **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> DaemonProcess:
        """Start and wait for /readyz. The timeout is a deadline, not a wait: a ready daemon returns at once,
        and a restart over a large log on a machine running two test workers can take well over 15 s."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daemon",
                "--data-dir",
                str(self.data_dir),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self._env,
            preexec_fn=self._limit_descriptors if self.nofile is not None else None,
        )
        log.close()
        self.wait_ready(timeout)
        return self

    def _limit_descriptors(self) -> None:
        assert self.nofile is not None
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.02)  # polling a condition with a deadline, not synchronising by sleep
        raise AssertionError(f"daemon not ready after {timeout} s:\n{self.log()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return "(no log)"

    def heardctl(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", "from daemon.cli import main; main()", "--data-dir", str(self.data_dir), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env=self._env,  # the daemon's own environment: HEARD_CONFIG names its configuration
        )
        return result.stdout

    def integration_token(self) -> str:
        return self.heardctl("integration-token", "create", "--name", f"test-{time.monotonic_ns()}").split()[-1]


async def until(condition: Callable[[], bool], timeout: float = 5.0, what: str = "the condition") -> None:
    """Wait for a condition, polling it against a deadline (never a sleep as synchronisation)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.01)  # polling a condition with a deadline
