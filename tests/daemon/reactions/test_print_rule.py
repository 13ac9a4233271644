"""The print rule is a function of the events: any device folding the same events names the same chits,
so a re-folded or replicated event finds its chit already in the journal and prints nothing twice."""

from __future__ import annotations

from daemon.api.context import STORE
from daemon.config import Config
from daemon.domain.events import ORDER
from daemon.domain.fold import apply
from daemon.reactions.print_rule import make_print_rule
from daemon.reactions.printing import PRINTING
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
