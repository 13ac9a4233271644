"""Reading an item's JSON form: msgspec's strict reading (the fast path, every item of every fold) gives
exactly the Item the liberal Python reading gives, or steps aside for it: whatever an event from an older
version or another device holds, every device folds it to the same state."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from daemon.domain.codec import _item_from_json_slowly, item_from_json, item_to_json
from daemon.domain.model import Item, ItemFlag, ItemStatus, Modifier

TEXT = st.text(max_size=6)
ODD = st.one_of(st.none(), st.integers(-2, 3), st.floats(allow_nan=False), st.booleans(), TEXT, st.just([]))
MOD = st.one_of(
    st.fixed_dictionaries(
        {"name": TEXT},
        optional={
            "qty": st.one_of(st.integers(0, 3), st.none(), st.just("2")),
            "id": st.one_of(st.none(), TEXT, st.integers()),
            "allergens": st.one_of(st.lists(TEXT, max_size=2), st.none()),
        },
    ),
    st.fixed_dictionaries({"qty": st.integers(1, 2)}),  # no name: refused by both
)
OPT_TEXT = st.one_of(TEXT, st.none())
WELL_FORMED_MOD = st.fixed_dictionaries(
    {"name": TEXT},
    optional={"qty": st.integers(0, 3), "id": OPT_TEXT, "allergens": st.lists(TEXT, max_size=2)},
)
# What commands write and snapshots hold: the fast path's own ground (with a modifier's quantity 0 in it).
WELL_FORMED = st.fixed_dictionaries(
    {"name": TEXT, "qty": st.integers(1, 5), "course": st.integers(0, 4)},
    optional={
        "id": TEXT,
        "stations": st.lists(TEXT, max_size=2),
        "lineId": OPT_TEXT,
        "menuItemId": OPT_TEXT,
        "price": OPT_TEXT,
        "mods": st.lists(WELL_FORMED_MOD, max_size=2),
        "specialInstructions": OPT_TEXT,
        "seat": OPT_TEXT,
        "courseLabel": OPT_TEXT,
        "courseStatus": st.sampled_from(["fire", "hold"]),
        "category": OPT_TEXT,
        "allergens": st.lists(TEXT, max_size=2),
        "status": st.sampled_from([s.value for s in ItemStatus]),
        "flag": st.sampled_from([f.value for f in ItemFlag]),
        "extra": st.dictionaries(TEXT, ODD, max_size=2),
        "updatedMs": st.integers(0, 10**13),
        "unknown": ODD,
    },
)
# Anything an older version, another device or a hand-edited log may hold.
ODD_ITEM = st.fixed_dictionaries(
    {"name": st.one_of(TEXT, st.integers()), "qty": st.one_of(st.integers(0, 5), st.floats(0, 3), st.booleans())},
    optional={
        "id": st.one_of(TEXT, st.none(), st.integers()),
        "course": st.one_of(st.integers(0, 4), st.just("2")),
        "stations": st.one_of(st.lists(TEXT, max_size=2), st.none(), st.just(["grill", 3])),
        "lineId": st.one_of(TEXT, st.none(), st.integers()),
        "menuItemId": st.one_of(TEXT, st.none()),
        "price": ODD,
        "mods": st.one_of(st.lists(MOD, max_size=2), st.none()),
        "specialInstructions": st.one_of(TEXT, st.none()),
        "seat": ODD,
        "courseLabel": st.one_of(TEXT, st.none()),
        "courseStatus": st.one_of(st.sampled_from(["fire", "hold"]), st.none()),
        "category": st.one_of(TEXT, st.none()),
        "allergens": st.one_of(st.lists(TEXT, max_size=2), st.none(), st.just("")),
        "status": st.one_of(st.sampled_from([s.value for s in ItemStatus]), st.none(), st.just("")),
        "flag": st.one_of(st.sampled_from([f.value for f in ItemFlag]), st.none()),
        "extra": st.one_of(st.dictionaries(TEXT, ODD, max_size=2), st.none()),
        "updatedMs": st.one_of(st.integers(0, 10**13), st.none()),
        "unknown": ODD,
    },
)
ITEM = st.one_of(WELL_FORMED, ODD_ITEM)


def _read(read: Any, data: dict[str, Any], updated_ms: int | None, item_id: str | None) -> Item | type:
    try:
        return read(data, updated_ms, item_id)  # type: ignore[no-any-return]
    except Exception as exc:  # noqa: BLE001 - both readings must refuse the same input the same way
        return type(exc)


@given(ITEM, st.one_of(st.none(), st.integers(0, 10**13)), st.one_of(st.none(), TEXT))
def test_the_fast_reading_is_the_python_reading(
    data: dict[str, Any], updated_ms: int | None, item_id: str | None
) -> None:
    fast = _read(item_from_json, data, updated_ms, item_id)
    slow = _read(_item_from_json_slowly, data, updated_ms, item_id)
    assert fast == slow
    if isinstance(fast, Item):
        assert [type(v) for v in (fast.stations, fast.mods, fast.allergens)] == [tuple, tuple, tuple]
        assert type(fast.extra) is dict and all(type(m) is Modifier for m in fast.mods)


def test_an_item_reads_back_from_its_json_form() -> None:
    item = Item(
        "i1", "Burger", 2, 1, ("grill",), line_id="1", mods=(Modifier("Cheese", 2, "m1", ("milk",)),),
        allergens=("gluten",), status=ItemStatus.READY, flag=ItemFlag.MODIFIED, extra={"x": 1}, updated_ms=5,
    )  # fmt: skip
    assert item_from_json(item_to_json(item)) == item
