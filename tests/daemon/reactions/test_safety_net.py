"""The safety net: a ticket no screen of its station saw within the limit prints, once; a seen one does not."""

from __future__ import annotations

import dataclasses

from aiohttp.test_utils import TestClient

from daemon.api.context import STORE
from daemon.config import Config, PrintingConfig
from daemon.reactions.printing import PRINTING
from daemon.reactions.safety_net import SAFETY_NET
from drivers.printers.emulator import TcpPrinter
from tests.conftest import ManualClock
from tests.daemon.reactions.conftest import StartKitchen, kitchen, network, order, pos_headers, wait_for


async def _orders(client: TestClient, *ids: str) -> None:
    pos = pos_headers(client)
    for oid in ids:
        resp = await client.post("/integrators/kds-orders", json=order(oid), headers=pos)
        assert resp.status == 201, await resp.text()


async def _seen(client: TestClient, chef: dict[str, str], *ids: str) -> None:
    """Screens of the grill and of expo (which sees every item) showed these orders."""
    for station in ("grill", "expo"):
        url = f"/api/v1/kds/stations/{station}/tickets/seen"
        resp = await client.post(url, json={"order_ids": list(ids)}, headers=chef)
        assert resp.status == 200, await resp.text()


async def test_an_unseen_ticket_prints_once_where_the_station_has_no_printer(
    config: Config,
    printers: dict[str, TcpPrinter],
    start_kitchen: StartKitchen,
    clock: ManualClock,
    chef: dict[str, str],
) -> None:
    main = printers["main"].printer
    client = await start_kitchen(kitchen(config, network("main", printers["main"]), grill=()))
    net = client.app[SAFETY_NET]
    await _orders(client, "A", "B")
    await _seen(client, chef, "B")

    clock.advance(59)
    assert await net.scan() == 0
    clock.advance(2)
    assert await net.scan() == 2  # A at the grill and at expo
    assert await net.scan() == 0  # once per ticket, however often the timer looks
    await wait_for(lambda: len(main.chits) == 2, "the unseen chits")

    assert all(c.has("NOT SEEN ON SCREEN") and c.has("Guest A") and c.has("1 x Hamburger") for c in main.chits)
    assert sorted(c.has("Grill") for c in main.chits) == [False, True]
    assert not main.chits_with("Guest B")


async def test_a_station_that_prints_its_tickets_needs_no_net(
    config: Config, printers: dict[str, TcpPrinter], start_kitchen: StartKitchen, clock: ManualClock
) -> None:
    main = printers["main"].printer
    cfg = kitchen(config, network("main", printers["main"]))
    cfg = dataclasses.replace(
        cfg, stations=tuple(dataclasses.replace(s, printers=("main",)) if s.id == "expo" else s for s in cfg.stations)
    )
    client = await start_kitchen(cfg)
    await _orders(client, "A")
    await wait_for(lambda: len(main.chits) == 2, "the grill's and expo's tickets")

    clock.advance(3600)

    assert await client.app[SAFETY_NET].scan() == 0


async def test_a_ticket_seen_before_its_net_chit_printed_is_dropped(
    config: Config,
    printers: dict[str, TcpPrinter],
    start_kitchen: StartKitchen,
    clock: ManualClock,
    chef: dict[str, str],
) -> None:
    main = printers["main"].printer
    main.go_offline()
    client = await start_kitchen(kitchen(config, network("main", printers["main"]), grill=()))
    await _orders(client, "A")
    clock.advance(61)
    assert await client.app[SAFETY_NET].scan() == 2

    await _seen(client, chef, "A")  # the screens came back
    main.go_online()

    await wait_for(lambda: not client.app[PRINTING].workers["main"].jobs, "the job settled", timeout=15)
    jobs = await client.app[STORE].journal.list(kind="print")
    assert {(j.status, j.last_error) for j in jobs} == {("dropped", "a screen showed the ticket before it printed")}
    assert main.chits == []


async def test_the_net_can_be_switched_off(
    config: Config, printers: dict[str, TcpPrinter], start_kitchen: StartKitchen, clock: ManualClock
) -> None:
    cfg = dataclasses.replace(
        kitchen(config, network("main", printers["main"]), grill=()), printing=PrintingConfig(unseen_after_seconds=0)
    )
    client = await start_kitchen(cfg)
    await _orders(client, "A")
    clock.advance(3600)

    assert client.app[SAFETY_NET].scan_task is None


async def test_a_scan_visits_only_orders_written_or_coming_due(
    config: Config,
    printers: dict[str, TcpPrinter],
    start_kitchen: StartKitchen,
    clock: ManualClock,
    chef: dict[str, str],
) -> None:
    """Thousands of orders can be open in a rush: a scan looks at the ones written since the last scan
    and the ones whose ticket comes due, not at every order on the screens every second."""
    client = await start_kitchen(kitchen(config, network("main", printers["main"]), grill=()))
    net = client.app[SAFETY_NET]
    await _orders(client, "A", "B", "C")
    assert await net.scan() == 0 and net.visited == 3
    assert await net.scan() == 0 and net.visited == 0  # nothing written, nothing due

    clock.advance(30)
    await _orders(client, "D")
    await _seen(client, chef, "B")
    assert await net.scan() == 0 and net.visited == 2  # D and B were written

    clock.advance(31)  # A and C come due (B's wake-up, from before it was seen, finds nothing); D's later
    assert await net.scan() == 4 and net.visited == 3
    clock.advance(30)
    assert await net.scan() == 2 and net.visited == 1
