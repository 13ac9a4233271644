"""The coursing seed's "Typical Multi-Course Flow", end to end over HTTP, with the kitchen clock on a
manual clock: templates, a three-course order from the POS, auto-fire, the stations, served, dessert."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp.test_utils import TestClient

from tests.conftest import ManualClock
from tests.daemon.api.coursing_support import (
    C,
    bump_all,
    coursed_order,
    courses,
    make_templates,
    post_order,
    statuses,
    tick,
    tickets,
)


async def test_typical_multi_course_flow(
    client: TestClient,
    pos: dict[str, str],
    chef: dict[str, str],
    manager: dict[str, str],
    token_for: Callable[..., dict[str, str]],
    clock: ManualClock,
) -> None:
    server = token_for("server", sub="server-1")
    ids = await make_templates(client, manager)

    # 1. Order placed with 3 courses.
    await post_order(client, pos, coursed_order("ord-1"))
    listed = await courses(client, "ord-1", server)
    assert [(c["course_number"], c["course_name"], c["course_id"]) for c in listed] == [
        (1, "Appetizer", ids["Appetizer"]),
        (2, "Entree", ids["Entree"]),
        (3, "Dessert", ids["Dessert"]),
    ]
    assert [c["item_count"] for c in listed] == [1, 2, 1]

    # 2. Course 1 auto-fires → its tickets reach the stations; the entree waits, held.
    await tick(client)
    assert await statuses(client, "ord-1", server) == ["fired", "held", "held"]
    assert await tickets(client, "cold", chef) == [("ord-1", 1, "pending"), ("ord-1", 3, "held")]
    assert await tickets(client, "grill", chef) == [("ord-1", 2, "held")]

    # 3. The kitchen completes the appetizer → course 1 complete.
    clock.advance(6 * 60)
    await bump_all(client, "ord-1", chef, ("cold",))
    first = (await courses(client, "ord-1", server))[0]
    assert (first["status"], first["items_completed"], first["completed_at"] is not None) == ("complete", 1, True)

    # 4. The server marks course 1 served.
    resp = await client.post(f"{C}/orders/ord-1/courses/1/served", headers=server)
    assert resp.status == 200
    assert (await resp.json())["served_at"] is not None

    # 5. After the delay (12 minutes after course 1 fired) the entree fires → new tickets.
    clock.advance(5 * 60)  # 11 minutes: not yet
    await tick(client)
    assert await statuses(client, "ord-1", server) == ["complete", "held", "held"]
    clock.advance(60)
    assert (await tick(client)).fired == 1
    entree = (await courses(client, "ord-1", server))[1]
    assert (entree["status"], entree["fired_by"]) == ("fired", "kitchen-clock")
    assert await tickets(client, "grill", chef) == [("ord-1", 2, "pending")]

    # 6. The kitchen completes the entree (progress from the expo: one item, then both).
    resp = await client.put(f"{C}/orders/ord-1/courses/2/progress", json={"items_completed": 1}, headers=chef)
    assert (await resp.json())["status"] in ("fired", "in_progress")
    resp = await client.put(f"{C}/orders/ord-1/courses/2/progress", json={"items_completed": 2}, headers=chef)
    assert ((await resp.json())["status"], (await resp.json())["items_completed"]) == ("complete", 2)
    assert await tickets(client, "grill", chef) == [("ord-1", 2, "ready")]

    # 7. Served.
    assert (await client.post(f"{C}/orders/ord-1/courses/2/served", headers=server)).status == 200

    # 8. Dessert is held until the server fires it: however long the clock runs.
    clock.advance(60 * 60)
    assert (await tick(client)).fired == 0
    assert await statuses(client, "ord-1", server) == ["complete", "complete", "held"]

    # 9. The server fires dessert → final tickets.
    resp = await client.post(
        f"{C}/orders/ord-1/courses/fire", json={"course_number": 3, "notes": "birthday candle"}, headers=server
    )
    dessert = await resp.json()
    assert (resp.status, dessert["status"], dessert["fired_by"], dessert["notes"]) == (
        200,
        "fired",
        "server-1",
        "birthday candle",
    )
    assert ("ord-1", 3, "pending") in await tickets(client, "cold", chef)

    # 10. The kitchen completes dessert → course 3 complete; the meal is complete.
    await bump_all(client, "ord-1", chef, ("cold",))
    overview = await (await client.get(f"{C}/orders/ord-1/courses/overview", headers=server)).json()
    assert (overview["all_complete"], overview["total_courses"], overview["current_course"]) == (True, 3, 3)
    assert [c["status"] for c in overview["courses"]] == ["complete", "complete", "complete"]
