"""The Fresh LAN order listener over real sockets on 127.0.0.1, driven by a client written to the protocol."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from daemon.api.context import KITCHEN, STORE
from daemon.app import build_app
from daemon.config import Config, load_config
from daemon.domain.model import ItemFlag
from daemon.fresh_lan.door import FRESH_LAN
from daemon.fresh_lan.interfaces import allowed, own_subnets, parse_allow
from daemon.fresh_lan.orders import ListenerLimits, OrderListener
from tests.conftest import ManualClock
from tests.daemon.fresh_lan.client import error_of, lan_order, send
from tests.daemon.process import until

TIMEOUT_SECONDS = 1  # the deadline for a whole document, short so the timeout tests are quick


def lan_config(tmp_path: Path, **fresh_lan: Any) -> Config:
    overrides = {
        "fresh_lan.enabled": True,
        "fresh_lan.tcp_port": 0,
        "fresh_lan.broadcast_to": ["127.255.255.255"],  # discovery stays on this machine
        "server.request_timeout_seconds": TIMEOUT_SECONDS,
    }
    overrides.update({f"fresh_lan.{k}": v for k, v in fresh_lan.items()})
    return load_config(data_dir=tmp_path / "data", environ={}, overrides=overrides)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return lan_config(tmp_path)


@pytest.fixture
def app(config: Config, clock: ManualClock) -> web.Application:
    return build_app(config, now_ms=clock)


@pytest.fixture
async def client(aiohttp_client: Callable[..., Any], app: web.Application) -> TestClient:
    return await aiohttp_client(app)


@pytest.fixture
def port(client: TestClient) -> int:
    listener = client.app[FRESH_LAN].orders
    assert listener is not None
    return listener.port


async def test_create_order_answers_the_order_id_and_shows_on_this_devices_stations(
    client: TestClient, port: int
) -> None:
    answer = await send(port, {"command": "create-order", "order": lan_order()})

    assert answer == b"123"
    order = client.app[STORE].order("123")
    assert order is not None
    assert order.devices == (client.app[KITCHEN].device.id,)
    assert order.fields["time"] == "2023-04-03T13:48:38.769Z"
    assert {t.station_id for t in order.tickets.values()} >= {"grill", "expo"}


async def test_a_document_without_command_is_a_create(client: TestClient, port: int) -> None:
    assert await send(port, {"order": lan_order(id="wrapped")}) == b"wrapped"
    assert await send(port, lan_order(id="bare")) == b"bare"  # the oldest clients send the order itself

    assert client.app[STORE].order("wrapped") is not None
    assert client.app[STORE].order("bare") is not None


async def test_update_partial_update_and_cancel_do_what_the_integrator_api_does(client: TestClient, port: int) -> None:
    await send(port, {"command": "create-order", "order": lan_order()})
    changed = lan_order(name="Jane")
    changed["items"] = changed["items"][:1]

    assert await send(port, {"command": "update-order", "order": changed}) == b"123"
    order = client.app[STORE].order("123")
    assert order.name == "Jane"
    assert [i.flag for i in order.items.values() if i.line_id == "2"] == [ItemFlag.DELETED]

    partial = {"id": "123", "server": "Sam", "itemsToAdd": [{"lineId": "3", "name": "Fries", "qty": 2, "mods": []}]}
    assert await send(port, {"command": "partial-update-order", "order": partial}) == b"123"
    order = client.app[STORE].order("123")
    assert order.fields["server"] == "Sam"
    assert any(i.line_id == "3" and i.flag is ItemFlag.ADDED for i in order.items.values())

    assert await send(port, {"command": "cancel-order", "order": {"id": "123"}}) == b"123"
    assert client.app[STORE].order("123").canceled


async def test_a_duplicate_id_is_a_failure_and_changes_nothing(client: TestClient, port: int) -> None:
    await send(port, {"command": "create-order", "order": lan_order()})

    answer = await send(port, {"command": "create-order", "order": lan_order(name="Someone else")})

    assert error_of(answer)["code"] == "ORDER_EXISTS"
    assert client.app[STORE].order("123").name == "John Doe"


async def test_a_bad_field_is_an_error_naming_it(client: TestClient, port: int) -> None:
    answer = await send(port, {"command": "create-order", "order": lan_order(mode="Teleport")})

    assert error_of(answer)["field"] == "mode"
    assert client.app[STORE].order("123") is None


async def test_an_unknown_command_or_a_missing_order_is_an_error_naming_it(port: int) -> None:
    assert error_of(await send(port, {"command": "delete-everything", "order": lan_order()}))["field"] == "command"
    assert error_of(await send(port, {"command": "cancel-order"}))["field"] == "order"


async def test_a_client_that_does_not_half_close_gets_its_answer(client: TestClient, port: int) -> None:
    answer = await send(port, {"command": "create-order", "order": lan_order()}, half_close=False)

    assert answer == b"123"


async def test_a_document_split_across_many_segments_is_read_whole(client: TestClient, port: int) -> None:
    answer = await send(port, {"command": "create-order", "order": lan_order()}, chunk=7, half_close=False)

    assert answer == b"123"


async def test_garbage_is_refused_at_once(client: TestClient, port: int) -> None:
    answer = await send(port, b"GET / HTTP/1.1\r\n" + b"x" * 2_000_000, half_close=False)

    assert error_of(answer)["code"] == "MALFORMED_JSON"


async def test_megabytes_that_never_close_the_document_are_refused_by_size(client: TestClient, port: int) -> None:
    limit = client.app[STORE] and client.app[FRESH_LAN].orders.limits.max_bytes  # type: ignore[union-attr]

    answer = await send(port, b'{"order": "' + b"a" * (limit + 10), half_close=False)

    assert error_of(answer)["code"] == "PAYLOAD_TOO_LARGE"


async def test_invalid_json_and_a_truncated_document_are_errors(port: int) -> None:
    assert error_of(await send(port, b'{"command": create-order}'))["code"] == "MALFORMED_JSON"
    assert error_of(await send(port, b'{"command": "create-order", "order": {'))["code"] == "MALFORMED_JSON"
    assert error_of(await send(port, b"   "))["code"] == "MALFORMED_JSON"


async def test_a_document_that_never_completes_times_out_and_stores_nothing(client: TestClient, port: int) -> None:
    answer = await send(port, b'{"command": "create-order", "order": {"id": "123"', half_close=False)

    assert error_of(answer)["code"] == "REQUEST_TIMEOUT"
    assert client.app[STORE].order("123") is None


async def test_silent_clients_do_not_hold_up_the_next_one(client: TestClient, port: int) -> None:
    silent = [await asyncio.open_connection("127.0.0.1", port) for _ in range(5)]

    answer = await send(port, {"command": "create-order", "order": lan_order()}, half_close=False)

    assert answer == b"123"
    for reader, writer in silent:
        assert error_of(await asyncio.wait_for(reader.read(), 10))["code"] == "REQUEST_TIMEOUT"
        writer.close()


async def test_a_source_outside_the_allow_list_is_refused_and_logged(
    aiohttp_client: Callable[..., Any], tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    client = await aiohttp_client(build_app(lan_config(tmp_path, allow=["10.9.9.0/24"]), now_ms=clock))
    listener = client.app[FRESH_LAN].orders
    assert listener is not None

    with caplog.at_level(logging.WARNING, logger="daemon.fresh_lan.orders"):
        try:
            answer = await send(listener.port, {"command": "create-order", "order": lan_order()})
        except ConnectionResetError:  # refused connections are reset, whatever the client had sent
            answer = b""

    assert answer == b""
    assert client.app[STORE].order("123") is None
    assert listener.refused == 1
    assert any("source=127.0.0.1" in r.getMessage() and "refused" in r.getMessage() for r in caplog.records)


async def test_the_door_stays_shut_unless_enabled(client: TestClient, tmp_path: Path) -> None:
    config = load_config(data_dir=tmp_path / "other", environ={})

    assert config.fresh_lan.enabled is False
    assert FRESH_LAN not in build_app(config)


async def test_past_the_connection_bound_the_next_client_is_told_busy_not_left_waiting(client: TestClient) -> None:
    listener = OrderListener(
        client.app[STORE],
        client.app[KITCHEN],
        own_subnets(),
        ListenerLimits(1_048_576, TIMEOUT_SECONDS, 1),
        "127.0.0.1",
        0,
    )
    await listener.start()
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", listener.port)  # holds the one slot, silent
        await until(lambda: listener.reading == 1)

        answer = await send(listener.port, {"command": "create-order", "order": lan_order()}, half_close=False)

        assert error_of(answer)["code"] == "BUSY"
        writer.close()
    finally:
        await listener.close()


def test_the_allow_list_reads_addresses_networks_and_ipv4_mapped_peers() -> None:
    networks = parse_allow(["192.168.1.20", "10.0.0.0/8"])

    assert allowed("192.168.1.20", networks)
    assert not allowed("192.168.1.21", networks)
    assert allowed("10.200.3.4", networks)
    assert allowed("::ffff:10.1.2.3", networks)
    assert not allowed("not an address", networks)
