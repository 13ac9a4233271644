"""The print rule is a function of the events: any device folding the same events names the same chits,
so a re-folded or replicated event finds its chit already in the journal and prints nothing twice."""

from __future__ import annotations

from pathlib import Path

from daemon.api.context import STORE
from daemon.config import Config
from daemon.domain import commands, intake
from daemon.domain.events import ORDER
from daemon.domain.fold import apply
from daemon.reactions.print_rule import make_print_rule
from daemon.reactions.printing import PRINTING
from daemon.store.store import Store
from drivers.printers.emulator import TcpPrinter
from tests.daemon.reactions.conftest import StartKitchen, kitchen, network, order, pos_headers, wait_for


async def test_refolding_the_log_names_the_same_chits(
    config: Config, printers: dict[str, TcpPrinter], start_kitchen: StartKitchen
) -> None:
    client = await start_kitchen(kitchen(config, network("main", printers["main"])))
    resp = await client.post("/integrators/kds-orders", json=order("A", "Hamburger"), headers=pos_headers(client))
    assert resp.status == 201
    store = client.app[STORE]
    await wait_for(lambda: client.app[PRINTING].workers["main"].printed == 1, "the chit")

    events = [e for _, e in store.read_log(0) if e.aggregate == ORDER and e.aggregate_id == "A"]
    state = None
    for event in events:
        state = apply(state, event)
    rule = make_print_rule(client.app[PRINTING].printers_of)
    refolded = rule((ORDER, "A"), None, state, events)  # another device, or this one replaying its log
    recorded = await store.journal.record(refolded)

    assert [e.id for e in refolded] == [r.effect.id for r in await store.journal.list(kind="print")]
    assert recorded == []  # already there: nothing new to print
    assert len(printers["main"].printer.chits) == 1


async def test_a_replicated_order_prints_once_on_the_device_that_owns_the_printer(
    config: Config, printers: dict[str, TcpPrinter], start_kitchen: StartKitchen, tmp_path: Path
) -> None:
    """Another device (no printer of its own) takes the order; this one, which owns the grill's printer,
    receives its events by replication, prints it, and prints nothing more when they arrive again."""
    client = await start_kitchen(kitchen(config, network("main", printers["main"])))
    here = client.app[STORE]
    there = Store(tmp_path / "other.db", "device-b")
    await there.open()
    try:
        fields, items = intake.check_order(order("R", "Ribeye"))
        setup = here.setup(config.location.location_id).kitchen
        await there.execute(ORDER, "R", lambda s: commands.create_order(s, fields, items, ["all"], setup))
        events = [e for _, e in there.read_log(0)]
        assert await there.journal.list(kind="print") == []  # the other device owns no printer: it records none

        await here.ingest(events)
        await wait_for(lambda: client.app[PRINTING].workers["main"].printed == 1, "the replicated order's chit")
        await here.ingest(events)  # sent again (a peer's retry): already held
    finally:
        await there.close()

    assert len(await here.journal.list(kind="print")) == 1
    assert [c.has("Guest R") for c in printers["main"].printer.chits] == [True]
