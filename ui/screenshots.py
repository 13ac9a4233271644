"""Render the screens with demo data into docs/screenshots/ (`make screenshots`), for the README and docs.

A throwaway daemon on the embedded demo gets a dozen orders from the demo POS's menu (a fixed seed, so the
pictures are reproducible), with a canceled order, an edited one (added, changed and deleted items), a
priority, a started ticket and items done; then heard-ui --screenshot draws each mode and the
high-contrast theme.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from daemon.demo_pos import demo_order

OUT = Path("docs/screenshots")
CTL = [sys.executable, "-c", "from daemon.cli import main; main()"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)  # a start-up poll with a deadline
    raise SystemExit(f"daemon at {url} did not start")


async def _populate(url: str, token: str, chef: str) -> None:
    rng = random.Random(21)
    pos = {"x-integration-token": token, "x-location-id": "demo-location", "x-device-ids": "all"}
    start = datetime.now(UTC) - timedelta(minutes=14)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {chef}"}) as s:

        async def post(body: dict[str, Any], method: str = "POST", path: str = "") -> None:
            async with s.request(method, f"{url}/integrators/kds-orders{path}", json=body, headers=pos) as r:
                assert r.status in (200, 201), await r.text()

        orders = [demo_order(n, rng, start + timedelta(minutes=n)) for n in range(1, 13)]
        for order in orders:
            order["items"][0]["name"] = rng.choice(["Hamburger", "Cheeseburger", "Ribeye steak"])  # all at the grill
            await post(order)
        edited = orders[3]
        changed = {
            **edited,
            "items": [
                {**edited["items"][0], "qty": 3},
                {"lineId": "9", "name": "Onion rings", "qty": 1, "mods": [], "allergens": ["gluten"]},
            ],
        }
        await post(changed, "PUT")
        await post({"id": orders[5]["id"]}, "PUT", "/cancel")
        async with s.get(f"{url}/api/v1/kds/stations/grill/tickets") as r:
            tickets = await r.json()
        for ticket in tickets[:2]:
            async with s.post(f"{url}/api/v1/kds/stations/grill/orders/{ticket['order_id']}/ticket/start"):
                pass
        first = tickets[0]["items"][0]["item_id"]
        for status in ("preparing", "ready"):
            async with s.patch(f"{url}/api/v1/kitchen/items/{first}/status", json={"status": status}):
                pass
        async with s.post(
            f"{url}/api/v1/kds/stations/grill/orders/{tickets[4]['order_id']}/ticket/priority",
            json={"priority": "urgent"},
        ):
            pass
        async with s.post(f"{url}/api/v1/kds/stations/grill/orders/{tickets[-1]['order_id']}/ticket/bump"):
            pass


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data, port = Path(tmp) / "data", _port()
        url = f"http://127.0.0.1:{port}"
        daemon = subprocess.Popen(
            [sys.executable, "-m", "daemon", "--data-dir", str(data), "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(url)
            ctl = [*CTL, "--data-dir", str(data)]
            token = subprocess.run(
                [*ctl, "integration-token", "create", "--name", "shots"], capture_output=True, text=True, check=True
            ).stdout.split()[-1]
            chef = subprocess.run(
                [*ctl, "token", "--role", "chef"], capture_output=True, text=True, check=True
            ).stdout.strip()
            asyncio.run(_populate(url, token, chef))
            env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
            # The screen reads [screen] from the device's configuration: a file with only that section serves here.
            contrast = Path(tmp) / "contrast.toml"
            contrast.write_text('[screen]\ntheme = "high-contrast"\nfont_scale = 1.15\n')
            shots = [
                ("station", [], {}),
                ("station-high-contrast", [], {"HEARD_CONFIG": str(contrast)}),
                ("expo", ["--mode", "expo"], {}),
                ("tables", ["--mode", "tables"], {}),
            ]
            for name, flags, extra in shots:
                target = OUT / f"{name}.png"
                subprocess.run(
                    [sys.executable, "-m", "ui", "--data-dir", str(data), *flags, "--screenshot", str(target)],
                    env={**env, **extra},
                    check=True,
                    capture_output=True,
                )
                print(f"wrote {target}")
        finally:
            daemon.terminate()
            daemon.wait(timeout=10)


if __name__ == "__main__":
    main()
