"""Fresh's information routes and /health, against the real application."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from daemon.app import build_app
from daemon.config import Config, load_config
from tests.conftest import ManualClock, device_id


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "heard.toml"
    path.write_text(
        '[location]\nlocation_id = "loc-1"\nname = "Main St"\nnumber = "0042"\ntimezone = "America/Chicago"\n'
        '[location.address]\nline1 = "1 Main St"\ncity = "Nashville"\nstate = "TN"\nzip = "37201"\n'
        '[device]\nname = "Grill screen"\n'
        '[[stations]]\nid = "grill"\nname = "Grill"\n',
        encoding="utf-8",
    )
    return load_config(path, data_dir=tmp_path / "data", environ={})


@pytest.fixture
def app(config: Config, clock: ManualClock) -> web.Application:
    return build_app(config, now_ms=clock)


@pytest.fixture
async def client(aiohttp_client: Callable[..., Any], app: web.Application) -> TestClient:
    return await aiohttp_client(app)


def token_only(pos: dict[str, str]) -> dict[str, str]:
    return {"x-integration-token": pos["x-integration-token"]}


LOCATION = {
    "id": "loc-1",
    "number": "0042",
    "name": "Main St",
    "address": {"zip": "37201", "city": "Nashville", "line1": "1 Main St", "line2": None, "state": "TN"},
    "timezone": "America/Chicago",
}


async def test_information_lists_the_location_with_its_devices(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.get("/integrators/kds-information", headers=token_only(pos))

    assert resp.status == 200
    assert await resp.json() == [{**LOCATION, "devices": [{"id": device_id(client), "name": "Grill screen"}]}]


async def test_locations_list_the_location_alone(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.get("/integrators/kds-information/locations/", headers=token_only(pos))

    assert resp.status == 200
    assert await resp.json() == [LOCATION]


async def test_devices_of_the_location(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.get("/integrators/kds-information/locations/loc-1/devices", headers=token_only(pos))

    assert resp.status == 200
    assert await resp.json() == [{"id": device_id(client), "name": "Grill screen"}]


async def test_devices_of_another_location_are_404(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.get("/integrators/kds-information/locations/elsewhere/devices/", headers=token_only(pos))

    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "LOCATION_NOT_FOUND"


async def test_information_without_a_valid_token_is_401(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.get("/integrators/kds-information", headers={"x-integration-token": "hit_nope"})

    assert resp.status == 401


async def test_health_answers_ok_with_the_database_up(client: TestClient) -> None:
    resp = await client.get("/health")

    assert resp.status == 200
    body = await resp.json()
    assert body["status"] == "ok"
    assert body["details"] == {"database": {"status": "up"}}
