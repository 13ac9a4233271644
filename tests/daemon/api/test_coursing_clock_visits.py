"""The kitchen clock looks at what changed, not at every paced order each second: a rush holds thousands
of open coursed orders, and an order nobody wrote to can come due only at the time its plan promised."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from daemon.reactions.kitchen_clock import KITCHEN_CLOCK
from tests.conftest import ManualClock
from tests.daemon.api.coursing_support import coursed_order, make_templates, post_order, statuses, tick


async def test_a_pass_visits_orders_written_or_coming_due(
    client: TestClient, pos: dict[str, str], manager: dict[str, str], clock: ManualClock
) -> None:
    kitchen_clock = client.app[KITCHEN_CLOCK]
    await make_templates(client, manager)
    for oid in ("A", "B", "C"):
        await post_order(client, pos, coursed_order(oid))

    assert (await tick(client)).fired == 3  # each appetizer
    await tick(client)
    assert kitchen_clock.visited == 3  # the clock's own fires changed them
    await tick(client)
    assert kitchen_clock.visited == 0  # nothing written, nothing due before the entrees' gap ends

    clock.advance(60)
    await post_order(client, pos, coursed_order("D"))
    assert (await tick(client)).fired == 1 and kitchen_clock.visited == 1

    clock.advance(11 * 60 + 1)  # 12 min after A, B and C's appetizers fired: their entrees; D's is a minute off
    result = await tick(client)
    assert result.fired == 3
    assert [await statuses(client, oid, manager) for oid in "ABC"] == [["fired", "fired", "held"]] * 3
