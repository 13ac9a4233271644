"""Shared fixtures: a real daemon application on a real SQLite file, and credentials for it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import settings

from daemon.api.context import CONFIG, KITCHEN, STORE
from daemon.app import build_app
from daemon.config import Config, load_config
from daemon.security.integration_tokens import IntegrationTokens
from daemon.security.jwt_tokens import load_or_create_secret, mint_token

# Tests that use the machine's own interfaces (real multicast, namespaces with a bridge) run in one test
# worker, one after another: a bridge made by one vanished under another's multicast join (ENODEV).
HOST_NETWORK = pytest.mark.xdist_group("host-network")


class ManualClock:
    """A clock tests move by hand: no sleeping to make time pass."""

    def __init__(self, start_ms: int = 1_790_000_000_000) -> None:
        self.ms = start_ms

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(data_dir=tmp_path / "data", environ={})


@pytest.fixture
def app(config: Config, clock: ManualClock) -> web.Application:
    return build_app(config, now_ms=clock)


@pytest.fixture
async def client(aiohttp_client: Callable[..., Any], app: web.Application) -> TestClient:
    return await aiohttp_client(app)


@pytest.fixture
def token_for(config: Config) -> Callable[..., dict[str, str]]:
    """Authorization headers for a JWT with the given roles, signed with this daemon's location secret."""

    def make(*roles: str, sub: str = "tester") -> dict[str, str]:
        secret = load_or_create_secret(config.secret_path)
        token = mint_token(secret, sub=sub, roles=list(roles), location_id=config.location.location_id)
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def chef(token_for: Callable[..., dict[str, str]]) -> dict[str, str]:
    return token_for("chef")


@pytest.fixture
def manager(token_for: Callable[..., dict[str, str]]) -> dict[str, str]:
    return token_for("manager")


@pytest.fixture
async def pos(client: TestClient) -> dict[str, str]:
    """Integrator headers with a freshly created integration token (the app is started by `client`)."""
    store = client.app[STORE]
    token_store = IntegrationTokens(store.connect_reader)
    _, token = token_store.create("test-pos")
    return {
        "x-integration-token": token,
        "x-location-id": client.app[CONFIG].location.location_id,
        "x-device-ids": "all",
    }


def device_id(client: TestClient) -> str:
    return client.app[KITCHEN].device.id


SEED_ORDER: dict[str, Any] = {
    "id": "123",
    "name": "John Doe",
    "time": "2023-04-03T13:48:38.769Z",
    "pickupTime": "2023-04-03T14:15:00.000Z",
    "phoneNumber": "+16155551234",
    "mode": "Pickup",
    "items": [
        {
            "lineId": "1",
            "name": "Hamburger",
            "qty": 1,
            "mods": ["No Ketchup", "Side Fries"],
            "course": "Course 1",
            "seat": "Seat 1",
            "courseStatus": "fire",
        },
        {
            "lineId": "2",
            "name": "Vanilla Shake",
            "qty": 1,
            "mods": [],
            "course": "Course 2",
            "seat": "Seat 1",
            "courseStatus": "hold",
        },
    ],
}


# CI runs the same examples every time (a red build always means a change broke something);
# developers' runs explore new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
