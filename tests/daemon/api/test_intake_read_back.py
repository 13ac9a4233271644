"""Nothing accepted can break a read (hypothesis through the real app): any order the intake accepts, built
from values at the edges of each field's range and nested unknown fields, reads back from the kitchen orders
and station tickets APIs and replays over the WebSocket, and no order, accepted or not, gets a 5xx."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from daemon.api.context import HUB
from daemon.domain import kds_order as k
from tests.daemon.api.test_websocket import KITCHEN, _receive

SERIAL = itertools.count()
TICK = timedelta(milliseconds=1)


def edge(*values: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(values)


def text(most: int) -> st.SearchStrategy[str]:
    """Printable text of any script, and the longest the field takes."""
    printable = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12).map(lambda t: "n" + t)
    return st.one_of(printable, st.just("é" * most), edge("line one\nline two\ttab", "\u00a0€😀"))


def ident(most: int) -> st.SearchStrategy[str]:
    """Ids: printable text without tabs or line breaks, and the longest an id may be."""
    printable = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12).map(lambda t: "i" + t)
    return st.one_of(printable, st.just("é" * most), st.integers())


def instants() -> st.SearchStrategy[str]:
    """Date-times in the window, at its edges, in far offsets."""
    offsets = edge(timedelta(0), timedelta(hours=14), timedelta(hours=-14), timedelta(hours=5, minutes=45))
    inside = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30))
    moments = st.one_of(edge(k.EARLIEST, k.LATEST - TICK), inside.map(lambda d: d.replace(tzinfo=UTC)))
    return st.builds(lambda m, o: m.astimezone(timezone(o)).isoformat(), moments, offsets)


def nested_unknown() -> st.SearchStrategy[Any]:
    """Unknown values: scalars, small trees, and chains as deep as intake keeps."""
    leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5))

    def nest(depth: int, leaf: Any) -> Any:
        for level in range(depth):
            leaf = {"k": leaf} if level % 2 else [leaf]
        return leaf

    deep = st.builds(nest, st.integers(min_value=0, max_value=k.UNKNOWN_DEPTH_MAX), leaves)
    trees = st.recursive(
        leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner)
    )
    return st.one_of(deep, trees)


mods = st.lists(
    st.one_of(
        text(k.TEXT_MAX_LENGTH),
        st.fixed_dictionaries(
            {"name": text(k.TEXT_MAX_LENGTH)},
            optional={
                "qty": edge(1, k.QTY_MAX, None),
                "id": ident(k.ID_MAX_LENGTH),
                "allergens": st.lists(text(20), max_size=k.ALLERGENS_MAX),
                "extra": nested_unknown(),
            },
        ),
    ),
    max_size=3,
)


def item(line: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"lineId": st.just(str(line)), "name": text(k.TEXT_MAX_LENGTH), "qty": edge(1, 2, k.QTY_MAX), "mods": mods},
        optional={
            "id": ident(k.ID_MAX_LENGTH),
            "price": st.one_of(text(k.MONEY_MAX_LENGTH), st.floats(allow_nan=False, allow_infinity=False)),
            "course": st.one_of(edge("Entree", "Course 1", f"Course {k.COURSE_MAX}", "0", "Course 0099"), text(8)),
            "seat": st.one_of(st.integers(0, k.SEAT_MAX).map(lambda n: f"Seat {n}"), text(8)),
            "courseStatus": edge("fire", "hold", "straightFire", "pickup"),
            "specialInstructions": text(k.NOTE_MAX_LENGTH),
            "allergens": st.lists(text(20), max_size=3),
            "kitchenNote": nested_unknown(),
        },
    )


orders = st.fixed_dictionaries(
    {
        "id": ident(k.ID_MAX_LENGTH - 12).map(str),
        "name": text(k.TEXT_MAX_LENGTH),
        "time": instants(),
        "mode": edge("For Here", "ToGo", "pickup", "drive-thru"),
        "items": st.lists(st.integers(1, 3), min_size=1, max_size=3, unique=True).flatmap(
            lambda lines: st.tuples(*(item(n) for n in lines)).map(list)
        ),
    },
    optional={
        "pickupTime": instants(),
        "prepTimeDuration": st.one_of(
            st.integers(0, k.PREP_MAX_SECONDS).map(lambda s: f"PT{s}S"), edge("P1D", "PT0.5S", "PT1440M")
        ),
        "covers": edge(0, k.COVERS_MAX),
        "priority": st.booleans(),
        "checkNumber": st.one_of(text(k.TEXT_MAX_LENGTH), st.integers()),
        "server": text(k.TEXT_MAX_LENGTH),
        "costs": st.fixed_dictionaries({}, optional={"total": text(k.MONEY_MAX_LENGTH), "tip": st.integers()}),
        "loyalty": nested_unknown(),
    },
)


def json_nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


# One value just past an edge, put into an otherwise good order one time in four: refused, never a 5xx.
FAULTS: list[tuple[tuple[Any, ...], Any]] = [
    (("time",), "0001-01-01T00:00:00+14:00"),
    (("time",), (k.LATEST).isoformat()),
    (("pickupTime",), (k.EARLIEST - TICK).isoformat()),
    (("prepTimeDuration",), f"PT{k.PREP_MAX_SECONDS + 1}S"),
    (("covers",), k.COVERS_MAX + 1),
    (("id",), "x" * (k.ID_MAX_LENGTH + 1)),
    (("id",), "a\x00b"),
    (("loyalty",), [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]),
    (("items", 0, "qty"), k.QTY_MAX + 1),
    (("items", 0, "seat"), f"Seat {k.SEAT_MAX + 1}"),
    (("items", 0, "course"), f"Course {k.COURSE_MAX + 1}"),
    (("items", 0, "allergens"), "nuts"),
    (("items", 0, "mods"), [{"name": "Salt", "allergens": 5}]),
    (("items", 0, "lineId"), "l" * (k.ID_MAX_LENGTH + 1)),
    # and far past them: each of these was accepted once, and then broke every read
    (("pickupTime",), "0001-01-01T00:00:00+14:00"),
    (("prepTimeDuration",), "P8000Y"),
    (("items", 0, "seat"), "Seat 99999999999999999999"),
    (("items", 0, "course"), "Course 99999999999999999999999"),
    (("loyalty",), json_nested(250)),
]


def with_fault(order: dict[str, Any], fault: tuple[tuple[Any, ...], Any] | None) -> dict[str, Any]:
    if fault is not None:
        path, value = fault
        *parents, last = path
        target = order
        for step in parents:
            target = target[step]
        target[last] = value
    return order


@settings(
    max_examples=80,
    deadline=None,
    # No shrinking: each try goes through the app, and shrinking a failure would outlast the test timeout.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(order=orders, fault=st.one_of(st.none(), st.none(), st.none(), st.sampled_from(FAULTS)))
async def test_any_accepted_order_reads_back(
    client: TestClient,
    pos: dict[str, str],
    chef: dict[str, str],
    order: dict[str, Any],
    fault: tuple[tuple[Any, ...], Any] | None,
) -> None:
    order = with_fault(order, fault)
    order["id"] = f"{next(SERIAL)}-{order['id']}"[: k.ID_MAX_LENGTH + 1]  # one app serves all: ids must not repeat
    cursor = client.app[HUB].committed_pos

    created = await client.post("/integrators/kds-orders", json=order, headers=pos)

    assert created.status in (201, 400), (created.status, (await created.text())[:300])
    if created.status == 400:
        return
    listed = await client.get("/api/v1/kitchen/orders", headers=chef)
    assert listed.status == 200, (await listed.text())[:300]
    assert order["id"] in {o["id"] for o in (await listed.json())["data"]}
    for station in ("expo", "grill", "cold"):
        tickets = await client.get(f"/api/v1/kds/stations/{station}/tickets?status=all&limit=1000", headers=chef)
        assert tickets.status == 200, (await tickets.text())[:300]
    ws = await client.ws_connect("/api/v1/ws", headers=chef)
    await ws.send_json({"type": "subscribe", "channel": KITCHEN, "cursor": cursor})
    replayed = await _receive(ws, "event")  # the replay starts with this order's own creation
    assert (replayed["event"], replayed["data"]["id"]) == ("order:new", order["id"])
    await ws.close()
