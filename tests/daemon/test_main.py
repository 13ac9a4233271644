"""heard-daemon's start-up, seen from outside the real process: its descriptor limit, what it loads."""

from __future__ import annotations

import importlib.util
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.daemon.process import DaemonProcess


@contextmanager
def soft_descriptor_limit(soft: int) -> Iterator[int]:
    """Lower this process's soft limit (children inherit it); yield the hard one."""
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, before[1]))
    try:
        yield before[1]
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, before)


def open_files_limit(pid: int) -> tuple[int, int]:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return int(soft), int(hard)
    raise AssertionError("no Max open files line")


def test_daemon_raises_its_soft_descriptor_limit_to_the_hard_one(tmp_path: Path) -> None:
    daemon = DaemonProcess(tmp_path / "data")
    with soft_descriptor_limit(256) as hard:
        daemon.start()
    try:
        assert daemon.proc is not None
        limits = open_files_limit(daemon.proc.pid)
    finally:
        daemon.stop()

    assert limits == (hard, hard)
    assert f"descriptor limit nofile={hard} hard={hard}" in daemon.log()


@pytest.mark.skipif(importlib.util.find_spec("psycopg") is None, reason="psycopg is not installed: nothing to keep out")
def test_the_daemon_does_not_load_the_postgresql_driver_the_package_ships_for_heard_hq(tmp_path: Path) -> None:
    daemon = DaemonProcess(tmp_path / "data").start()
    try:
        assert daemon.proc is not None
        mapped = Path(f"/proc/{daemon.proc.pid}/maps").read_text()
    finally:
        daemon.stop()

    # peewee imports psycopg whenever it is installed; in the daemon that was ~22 MB of the 80 MB idle budget.
    assert "psycopg" not in mapped
