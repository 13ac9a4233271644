"""The demo POS (`heard-daemon --demo`): a stand-in point of sale that sends a realistic order every few
seconds through the integrator API, and a stand-in cook who bumps tickets after a few minutes, so that a
newcomer running `make run` sees cards arrive, age, change colour and go.

It is a client of the daemon's public API like any POS (an integration token of its own, a JWT minted with
the location secret), never a shortcut into the store. It refuses to run on a real configuration: main.py
allows --demo only on the embedded demo location.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp

from daemon.config import Config
from daemon.security.integration_tokens import IntegrationTokens
from daemon.security.jwt_tokens import load_or_create_secret, mint_token

log = logging.getLogger(__name__)

ORDER_EVERY_SECONDS = (4.0, 9.0)  # a steady service, not a rush
TICKET_LIFE_SECONDS = (60, 11 * 60)  # some go before the 5-minute warning, some go late (red)
TOKEN_NAME = "demo-pos"

# (name, category, mods to pick from, allergens)
MENU: list[tuple[str, str | None, list[str], list[str]]] = [
    ("Hamburger", None, ["No onion", "Extra cheese", "No pickles", "Add bacon"], ["gluten"]),
    ("Cheeseburger", None, ["Well done", "No tomato", "Extra cheese"], ["gluten", "dairy"]),
    ("Ribeye steak", None, ["Rare", "Medium rare", "Medium", "Well done"], []),
    ("Grilled chicken", None, ["No sauce", "Add avocado"], []),
    ("French fries", None, ["No salt", "Large"], []),
    ("Onion rings", None, [], ["gluten"]),
    ("Chicken tenders", None, ["Honey mustard", "BBQ sauce"], ["gluten", "egg"]),
    ("Caesar salad", None, ["No croutons", "Add chicken", "Dressing on side"], ["egg", "fish"]),
    ("Garden salad", None, ["No onion", "Vinaigrette"], []),
    ("Chocolate cake", None, [], ["dairy", "egg", "gluten"]),
    ("Vanilla shake", None, ["Whipped cream"], ["dairy"]),
    ("Lemonade", "drinks", ["No ice"], []),
    ("Iced tea", "drinks", ["Lemon"], []),
]
NAMES = ["Ann", "Bob", "Chen", "Dita", "Emil", "Fatou", "Gus", "Hana", "Ivo", "Jade", "Kofi", "Lena", "Mo", "Noor"]
SERVERS = ["Sam", "Rita", "Leo", "Ines"]
MODES = ["For Here", "For Here", "For Here", "ToGo", "Pickup", "Delivery", "DriveThru"]
NOTES = ["Birthday — candle on the cake", "Allergy: please change gloves", "Kid's portion", "Sauce on the side"]


def demo_order(number: int, rng: random.Random, now: datetime) -> dict[str, Any]:
    """One realistic order: a few items with mods, seats for dine-in, sometimes allergens, notes, priority."""
    mode = rng.choice(MODES)
    items = []
    for line in range(1, rng.randint(2, 5)):
        name, category, mods, allergens = rng.choice(MENU)
        item: dict[str, Any] = {
            "lineId": str(line),
            "name": name,
            "qty": rng.choice([1, 1, 1, 2, 3]),
            "mods": rng.sample(mods, k=min(len(mods), rng.choice([0, 0, 1, 2]))),
        }
        if category:
            item["category"] = category
        if allergens and rng.random() < 0.3:
            item["allergens"] = allergens
        if mode == "For Here":
            item["seat"] = f"Seat {rng.randint(1, 4)}"
        if rng.random() < 0.1:
            item["specialInstructions"] = rng.choice(NOTES)
        items.append(item)
    order: dict[str, Any] = {
        "id": f"demo-{int(now.timestamp())}-{number}",
        "name": rng.choice(NAMES),
        "time": now.isoformat(timespec="seconds"),
        "mode": mode,
        "items": items,
        "server": rng.choice(SERVERS),
        "checkNumber": str(1000 + number),
    }
    if mode == "For Here":
        order["table"] = f"T{rng.randint(1, 24)}"
    if rng.random() < 0.07:
        order["priority"] = True
    return order


async def run(config: Config, url: str, seed: int | None = None) -> None:
    """Until cancelled: an order every few seconds, and tickets bumped once they have lived their span."""
    rng = random.Random(seed)
    token = await asyncio.to_thread(_integration_token, config)
    chef = mint_token(
        load_or_create_secret(config.secret_path),
        sub="demo-cook",
        roles=["chef"],
        location_id=config.location.location_id,
        ttl_seconds=7 * 24 * 3600,
        issuer=config.auth.issuer,
        audience=config.auth.audience,
    )
    pos_headers = {"x-integration-token": token, "x-location-id": config.location.location_id, "x-device-ids": "all"}
    log.info("demo POS sending orders url=%s every=%s-%ss", url, *ORDER_EVERY_SECONDS)
    number = 0
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {chef}"}) as session:
        while True:
            number += 1
            try:
                body = demo_order(number, rng, datetime.now(UTC))
                async with session.post(url + "/integrators/kds-orders", json=body, headers=pos_headers) as resp:
                    if resp.status != 201:
                        log.warning("demo order refused status=%d body=%.200s", resp.status, await resp.text())
                await _bump_old(session, url)
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("demo POS could not reach the daemon error=%s", exc)
            except Exception:  # a demo must never take the daemon down, nor fail silently
                log.exception("demo POS step failed")
            await asyncio.sleep(rng.uniform(*ORDER_EVERY_SECONDS))  # the demo's pace: a timer, not synchronisation


async def _bump_old(session: aiohttp.ClientSession, url: str) -> None:
    async with session.get(url + "/api/v1/kds/stations") as resp:
        stations = [s["id"] for s in await resp.json() if s.get("kind") == "prep"]
    now = time.time()
    for station in stations:
        async with session.get(f"{url}/api/v1/kds/stations/{station}/tickets", params={"limit": "1000"}) as resp:
            tickets = await resp.json()
        for ticket in tickets:
            made = datetime.fromisoformat(ticket["created_at"].replace("Z", "+00:00")).timestamp()
            # Each ticket's span is fixed by its id, so it does not change between looks.
            life = random.Random(ticket["id"]).uniform(*TICKET_LIFE_SECONDS)
            if ticket["status"] != "held" and now - made > life:
                path = f"{url}/api/v1/kds/stations/{station}/orders/{ticket['order_id']}/ticket/bump"
                async with session.post(path) as bumped:
                    await bumped.read()


def _integration_token(config: Config) -> str:
    """A fresh token for this run; the previous run's is revoked, so tokens do not pile up."""

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(config.database_path)
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    tokens = IntegrationTokens(connect)
    tokens.revoke(TOKEN_NAME)
    return tokens.create(TOKEN_NAME)[1]
