"""Joining: a one-time pairing code on a device of the location, `heardctl join` on the new one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from daemon.pairing import MAX_WRONG, VALID_SECONDS, new_code, spend
from tests.daemon.process import DaemonProcess
from tests.sync.kitchen import chef_headers, kitchen_orders, pos_headers, post_order, wait_for


def test_a_code_joins_once_and_not_after_it_expired(tmp_path: Path) -> None:
    code, expires = new_code(tmp_path, now=1000.0)
    assert expires == 1000.0 + VALID_SECONDS and len(code) == 9
    assert spend(tmp_path, code.lower().replace("-", " "), now=1001.0)  # typed loosely: still the code
    assert not spend(tmp_path, code, now=1002.0)  # spent
    late, _ = new_code(tmp_path, now=1000.0)
    assert not spend(tmp_path, late, now=1000.0 + VALID_SECONDS + 1)


def test_guessing_voids_every_open_code(tmp_path: Path) -> None:
    code, _ = new_code(tmp_path)
    for _ in range(MAX_WRONG):
        assert not spend(tmp_path, "AAAA-AAAA")
    assert not spend(tmp_path, code)


def heardctl(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from daemon.cli import main; main()", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def first(tmp_path: Path):  # type: ignore[no-untyped-def]
    a = DaemonProcess(tmp_path / "a", env={"HEARD_LOCATION_ID": "loc-a", "HEARD_DEVICE_NAME": "grill"})
    pos = pos_headers(a.data_dir, "loc-a")
    a.start()
    yield a, pos
    a.stop()


async def test_a_new_device_joins_with_a_code_and_replicates_both_ways(first, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, pos_a = first
    wrong = heardctl(tmp_path / "b", "join", a.url, "--code", "AAAA-AAAA")
    assert wrong.returncode == 1 and "INVALID_PAIRING_CODE" in wrong.stderr
    code = heardctl(a.data_dir, "pairing-code").stdout.strip()
    joined = heardctl(tmp_path / "b", "join", a.url, "--code", code)
    assert joined.returncode == 0, joined.stderr
    assert json.loads(joined.stdout)["location_id"] == "loc-a"
    again = heardctl(tmp_path / "c", "join", a.url, "--code", code)
    assert again.returncode == 1  # one time only

    b = DaemonProcess(tmp_path / "b", env={"HEARD_DEVICE_NAME": "fry"})  # its own config names no location
    pos_b = pos_headers(b.data_dir, "loc-a")
    b.start()
    try:
        assert (b.data_dir / "location.secret").read_bytes() == (a.data_dir / "location.secret").read_bytes()
        chef = chef_headers(a.data_dir, "loc-a")
        async with aiohttp.ClientSession() as session:
            await post_order(session, a, pos_a, "j1")
            await post_order(session, b, pos_b, "j2")

            async def both_everywhere() -> bool:
                want = {"Guest j1", "Guest j2"}
                seen = [set(await kitchen_orders(session, d, chef)) for d in (a, b)]
                return all(want <= s for s in seen)

            await wait_for(both_everywhere, what="each device's order on the other")
        peers_of_a = json.loads(heardctl(a.data_dir, "peers", "list").stdout)["joined"]
        assert peers_of_a == [b.url]  # a learned b when b first pulled from it
        assert heardctl(a.data_dir, "peers", "remove", b.url).returncode == 0
        assert json.loads(heardctl(a.data_dir, "peers", "list").stdout)["joined"] == []
    finally:
        b.stop()
    late = heardctl(b.data_dir, "join", a.url, "--code", heardctl(a.data_dir, "pairing-code").stdout.strip())
    assert late.returncode == 1 and "before its first start" in late.stderr
