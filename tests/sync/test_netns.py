"""Three daemons, each in its own network namespace on a bridge, finding each other by real mDNS (no peer
URL configured anywhere): an order on one shows on all; a device cut off keeps working; concurrent bumps,
recalls, voids, item statuses and item updates on both sides of a cut converge after it heals, and every
device holds the same state. Needs root (namespaces, veth, a bridge): marked `machine`."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import HOST_NETWORK
from tests.daemon.process import DaemonProcess
from tests.sync.kitchen import (
    chef_headers,
    digest,
    in_step,
    kitchen_orders,
    pos_headers,
    post_order,
    ticket,
    wait_for,
)


def _can_make_namespaces() -> str | None:
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    name = f"h19probe{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot make a network namespace here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


WHY_NOT = _can_make_namespaces()
pytestmark = [pytest.mark.machine, HOST_NETWORK, pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")]
PORT = 8420


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


class Lan:
    """A bridge in this namespace (10.19.N.254/24, so the test reaches every device) and one namespace per
    device, joined to it by a veth pair."""

    def __init__(self, count: int) -> None:
        tag = uuid.uuid4().hex[:5]
        self.net = 100 + int(tag, 16) % 100
        self.bridge = f"h19b{tag}"
        self.names = [f"h19n{tag}{i}" for i in range(count)]
        self.hub_ends = [f"h19v{tag}{i}" for i in range(count)]
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"10.19.{self.net}.254/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for i, (ns, hub) in enumerate(zip(self.names, self.hub_ends, strict=True)):
            ip("netns", "add", ns)
            ip("link", "add", hub, "type", "veth", "peer", "name", "eth0", "netns", ns)
            ip("link", "set", hub, "master", self.bridge)
            ip("link", "set", hub, "up")
            ip("-n", ns, "addr", "add", f"{self.address(i)}/24", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0")

    def address(self, i: int) -> str:
        return f"10.19.{self.net}.{i + 1}"

    def _routes(self, i: int, verb: str) -> None:
        """Blackhole routes between device i and the other devices (the test, on the bridge, still reaches
        every one of them: a partition of the kitchen, not of the test)."""
        for j, ns in enumerate(self.names):
            if j != i:
                ip("-n", self.names[i], "route", verb, "blackhole", f"{self.address(j)}/32")
                ip("-n", ns, "route", verb, "blackhole", f"{self.address(i)}/32")

    def cut(self, i: int) -> None:
        self._routes(i, "add")

    def heal(self, i: int) -> None:
        self._routes(i, "del")

    def remove(self) -> None:
        for ns in self.names:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)


class NetnsDaemon(DaemonProcess):
    """A daemon started inside a namespace, listening on all its addresses, with mDNS on."""

    def __init__(self, data_dir: Path, namespace: str, address: str, name: str) -> None:
        super().__init__(data_dir, env={"HEARD_MDNS": "true", "HEARD_DEVICE_NAME": name})
        self.namespace = namespace
        self.port = PORT
        self.url = f"http://{address}:{PORT}"

    def start(self, timeout: float = 20.0) -> NetnsDaemon:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        command = [sys.executable, "-m", "daemon", "--data-dir", str(self.data_dir), "--host", "0.0.0.0"]
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace, *command, "--port", str(PORT)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self._env,
        )
        log.close()
        self.wait_ready(timeout)
        return self


@pytest.fixture
def kitchen(tmp_path: Path) -> Iterator[tuple[Lan, list[NetnsDaemon]]]:
    lan = Lan(3)
    daemons = [NetnsDaemon(tmp_path / f"d{i}", ns, lan.address(i), f"station {i}") for i, ns in enumerate(lan.names)]
    try:
        secret = (tmp_path / "secret").write_bytes(os.urandom(32)) and (tmp_path / "secret").read_bytes()
        for d in daemons:
            d.data_dir.mkdir(parents=True, exist_ok=True)
            (d.data_dir / "location.secret").write_bytes(secret)
        yield lan, daemons
    finally:
        for d in daemons:
            d.stop()
        lan.remove()


async def test_three_devices_find_each_other_by_mdns_and_converge_after_a_partition(
    kitchen: tuple[Lan, list[NetnsDaemon]],
) -> None:
    lan, daemons = kitchen
    pos = [pos_headers(d.data_dir) for d in daemons]
    for d in daemons:
        d.start()
    chef = chef_headers(daemons[0].data_dir)
    async with aiohttp.ClientSession() as session:
        await post_order(session, daemons[0], pos[0], "n1")

        async def everywhere(name: str) -> bool:
            seen = [await kitchen_orders(session, d, chef) for d in daemons]
            return all(name in s for s in seen)

        await wait_for(lambda: everywhere("Guest n1"), timeout=30, what="n1 on every device, found by mDNS")
        oid = (await kitchen_orders(session, daemons[0], chef))["Guest n1"]["id"]

        lan.cut(2)  # device 2 is off the network: it keeps taking orders and bumps
        await post_order(session, daemons[2], pos[2], "n2")
        assert await ticket(session, daemons[2], chef, oid, "bump") == 200
        assert await ticket(session, daemons[0], chef, oid, "start") in (200, 409)
        await post_order(session, daemons[1], pos[1], "n3")
        lan.heal(2)

        await wait_for(lambda: everywhere("Guest n2"), timeout=40, what="n2 everywhere after healing")
        await wait_for(lambda: everywhere("Guest n3"), timeout=40, what="n3 everywhere after healing")
        await wait_for(lambda: in_step(session, daemons), timeout=40, what="the same events everywhere")

        # Concurrent changes to the same orders on both sides of a second cut.
        for name in ("c1", "c2", "c3"):
            await post_order(session, daemons[0], pos[0], name)
        await wait_for(lambda: everywhere("Guest c3"), timeout=30, what="c1-c3 on every device")
        ids = {n: o["id"] for n, o in (await kitchen_orders(session, daemons[0], chef)).items()}
        c1, c2 = ids["Guest c1"], ids["Guest c2"]
        assert await ticket(session, daemons[0], chef, c1, "bump") == 200
        await wait_for(lambda: in_step(session, daemons), timeout=30, what="c1's bump everywhere")
        item = (await kitchen_orders(session, daemons[1], chef))["Guest c3"]["items"][0]["id"]

        lan.cut(2)
        # The cut-off device: recalls c1, voids c2's grill ticket, marks c3's burger preparing, makes it two.
        assert await ticket(session, daemons[2], chef, c1, "recall") == 200
        assert await ticket(session, daemons[2], chef, c2, "void") == 200
        assert await item_status(session, daemons[2], chef, item, "preparing") == 200
        assert await update_line(session, daemons[2], pos[2], "c3", qty=2) == 200
        # The others, meanwhile: recall c1 too, start c2, mark the burger preparing too, make it three.
        assert await ticket(session, daemons[1], chef, c1, "recall") == 200
        assert await ticket(session, daemons[0], chef, c2, "start") == 200
        assert await item_status(session, daemons[1], chef, item, "preparing") == 200
        assert await update_line(session, daemons[0], pos[0], "c3", qty=3) == 200
        lan.heal(2)
        await wait_for(lambda: in_step(session, daemons), timeout=40, what="the same events after the second cut")
    for d in daemons:
        await asyncio.to_thread(d.stop)
    digests = [await digest(d.data_dir) for d in daemons]
    assert digests[0] == digests[1] == digests[2]
    orders = {o["fields"]["name"]: o for o in digests[0][1].values()}
    assert set(orders) == {"Guest n1", "Guest n2", "Guest n3", "Guest c1", "Guest c2", "Guest c3"}  # each once
    # The two recalls of c1 raced: the one that sorts second found the ticket recalled already, and every
    # device recorded the same verdict on it.
    assert any(skip[4] == "INVALID_TICKET_TRANSITION" for skip in digests[0][2])
    burger = next(i for i in orders["Guest c3"]["items"] if i["lineId"] == "1")
    assert burger["qty"] in (2, 3)


async def item_status(
    session: aiohttp.ClientSession, d: DaemonProcess, chef: dict[str, str], item: str, to: str
) -> int:
    url = f"{d.url}/api/v1/kitchen/items/{item}/status"
    async with session.patch(url, headers=chef, json={"status": to}) as resp:
        return resp.status


async def update_line(session: aiohttp.ClientSession, d: DaemonProcess, pos: dict[str, str], oid: str, qty: int) -> int:
    """The POS changes line 1 of an order (a partial update: every property of the item, as the seed asks)."""
    line = {"lineId": "1", "name": "Hamburger", "qty": qty, "mods": [], "course": "1"}
    body = {"id": oid, "itemsToUpdate": [line]}
    async with session.put(d.url + "/integrators/kds-orders/partial", json=body, headers=pos) as resp:
        return resp.status
