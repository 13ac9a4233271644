"""Times over the integrator API: local times read in location.timezone, epoch milliseconds, 400s naming the field."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from daemon.api.context import STORE
from daemon.app import build_app
from daemon.config import Config, load_config
from tests.conftest import SEED_ORDER, ManualClock


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(data_dir=tmp_path / "data", environ={}, overrides={"location.timezone": "America/Chicago"})


@pytest.fixture
def app(config: Config, clock: ManualClock) -> web.Application:
    return build_app(config, now_ms=clock)


@pytest.fixture
async def client(aiohttp_client: Callable[..., Any], app: web.Application) -> TestClient:
    return await aiohttp_client(app)


def order(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(SEED_ORDER)
    body.update(changes)
    return body


async def test_local_time_is_stored_in_the_location_zone(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.post(
        "/integrators/kds-orders", json=order(time="2023-04-03T08:48:38.769", pickupTime=1680531300000), headers=pos
    )

    assert resp.status == 201
    fields = client.app[STORE].order("123").fields
    assert fields["time"] == "2023-04-03T08:48:38.769-05:00"
    assert fields["pickupTime"] == "2023-04-03T14:15:00.000Z"


async def test_a_time_in_no_known_form_is_400_naming_the_field(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.post("/integrators/kds-orders", json=order(pickupTime="quarter past two"), headers=pos)

    assert resp.status == 400
    body = await resp.json()
    assert body["error"]["field"] == "pickupTime"
    assert "epoch milliseconds" in body["message"]


async def test_partial_update_reads_a_local_pickup_time_in_the_zone(client: TestClient, pos: dict[str, str]) -> None:
    await client.post("/integrators/kds-orders", json=order(), headers=pos)

    resp = await client.put(
        "/integrators/kds-orders/partial", json={"id": "123", "pickupTime": "2023-04-03T09:30:00"}, headers=pos
    )

    assert resp.status == 200
    assert client.app[STORE].order("123").fields["pickupTime"] == "2023-04-03T09:30:00-05:00"


def test_the_default_zone_is_the_systems(tmp_path: Path) -> None:
    config = load_config(data_dir=tmp_path, environ={"TZ": "Asia/Tokyo"})

    assert config.location.timezone == "Asia/Tokyo"
