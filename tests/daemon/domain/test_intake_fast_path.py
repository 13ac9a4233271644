"""The intake's fast path only accepts what the careful path accepts, and stores it the same way; whatever it
refuses, it refuses with the careful path's field and reason (hypothesis, values at and past every edge)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.domain import kds_order as k
from daemon.domain.checks import Refused, careful, checker

EDGE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "  x",
        "Fries",
        "Course 99",
        "Course 100",
        "Seat 9999",
        "Seat 10000",
        "Seat 0009999",
        "a\x00b",
        "a\tb",
        "a\nb",
        "\u00a0",
        "é€",
        "x" * 64,
        "x" * 65,
        "x" * 255,
        "x" * 256,
        "fire",
        "hold",
        "Fire",
        "For Here",
        "for here",
        "2023-04-03T13:48:38.769Z",
        "PT30M",
        "+16155551234",
    ]
)
EDGE_SCALAR = st.one_of(
    EDGE_TEXT,
    st.sampled_from([None, True, False, 0, 1, 9999, 10000, -1, 2**64, 2.5, float("1e300")]),
    st.text(max_size=12),
    st.integers(),
)
UNKNOWN = st.recursive(EDGE_SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(EDGE_TEXT, inner))


def objects_of(shape: k.Shape, value: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    known = st.dictionaries(st.sampled_from(sorted(shape.fields)), value, max_size=len(shape.fields))
    required = st.fixed_dictionaries({name: st.just("Fries") for name in shape.required})
    unknown = st.dictionaries(st.sampled_from(["loyalty", "table", "x" * 50]), UNKNOWN, max_size=2)
    return st.tuples(required, known, unknown).map(lambda parts: {**parts[0], **parts[1], **parts[2]})


ITEM_VALUE = st.one_of(
    EDGE_SCALAR,
    st.lists(st.one_of(EDGE_TEXT, st.dictionaries(st.sampled_from(["name", "qty", "id"]), EDGE_SCALAR)), max_size=3),
)


def outcome(check: Any, value: Any, budget: int) -> tuple[str, Any]:
    try:
        return "accepted", check(value, [budget])
    except Refused as refused:
        return "refused", (refused.where, refused.reason)


@settings(max_examples=400, deadline=None)
@given(item=objects_of(k.KDS_ITEM, ITEM_VALUE), budget=st.sampled_from([3, 10, k.UNKNOWN_VALUES_MAX]))
def test_fast_and_careful_paths_agree_on_items(item: dict[str, Any], budget: int) -> None:
    assert outcome(checker(k.KDS_ITEM), item, budget) == outcome(careful(k.KDS_ITEM), item, budget)


@settings(max_examples=300, deadline=None)
@given(mod=st.one_of(EDGE_SCALAR, objects_of(k.MODIFIER, EDGE_SCALAR)))
def test_fast_and_careful_paths_agree_on_mods(mod: Any) -> None:
    assert outcome(checker(k.MODIFIER), mod, 100) == outcome(careful(k.MODIFIER), mod, 100)


@settings(max_examples=300, deadline=None)
@given(order=objects_of(k.KDS_ORDER, EDGE_SCALAR), budget=st.sampled_from([3, k.UNKNOWN_VALUES_MAX]))
def test_fast_and_careful_paths_agree_on_orders(order: dict[str, Any], budget: int) -> None:
    order.setdefault("items", [])
    assert outcome(checker(k.KDS_ORDER), order, budget) == outcome(careful(k.KDS_ORDER), order, budget)


NEARLY_VALID_ITEM = st.fixed_dictionaries(
    {"name": st.sampled_from(["Fries", " Fries", "x" * 255, "x" * 256, 7]), "qty": st.sampled_from([1, 9999, 0])},
    optional={
        "mods": st.lists(st.sampled_from(["Cajun", "", {"name": "Cheese", "qty": 2}, {"name": "Salt", "qty": None}])),
        "lineId": st.sampled_from(["1", "x" * 255, 12, "a\x00"]),
        "id": st.sampled_from(["burger-1", None, 3.5]),
        "price": st.sampled_from(["$11.50", "x" * 65, 11.5]),
        "course": st.sampled_from(["Course 1", "Entree", "Course 99", "Course 100", "Course 0099", 2]),
        "seat": st.sampled_from(["Seat 1", "Seat 9999", "Seat 10000", None]),
        "courseStatus": st.sampled_from(["fire", "hold", "FIRE", None]),
        "allergens": st.sampled_from([["nuts"], [], "nuts", [1]]),
        "kitchenNote": UNKNOWN,
    },
)


@settings(max_examples=400, deadline=None)
@given(item=NEARLY_VALID_ITEM)
def test_fast_and_careful_paths_agree_on_nearly_valid_items(item: dict[str, Any]) -> None:
    item.setdefault("mods", [])
    assert outcome(checker(k.KDS_ITEM), item, 50) == outcome(careful(k.KDS_ITEM), item, 50)
