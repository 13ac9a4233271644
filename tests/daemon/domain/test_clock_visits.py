"""The kitchen clock visits only the orders `needs_clock` marks (and those a table sync names), and must
find exactly what a pass over every open order finds: the index is an optimisation, never a change."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from daemon.domain import commands, coursing
from daemon.domain.clock_plan import NEVER, needs_clock, plan
from daemon.domain.model import ACTIVE_ORDER_STATUSES, Order
from daemon.domain.pacing import Pacing
from daemon.domain.table_sync import EMPTY_SYNCS, SyncBook, TableSync
from tests.daemon.domain.builders import Device, Kitchen, kitchen_with, seed
from tests.daemon.domain.test_coursing_rules import BOOK, MIN

START = 1_790_000_000_000
ONE_ITEM = {"lineId": "1", "name": "Burger", "qty": 1, "mods": []}
COURSED_ITEMS = [
    {"lineId": "1", "name": "Salad", "qty": 1, "mods": [], "course": "Appetizer"},
    {"lineId": "2", "name": "Steak", "qty": 1, "mods": [], "course": "Entree"},
    {"lineId": "3", "name": "Cake", "qty": 1, "mods": [], "course": "Dessert"},
]


def _shape(n: int, shape: str) -> Order:
    """One order in one of the shapes a service holds, at its own id."""
    k = Kitchen(Device(now_ms=START), kitchen=kitchen_with(BOOK.course_templates))
    oid = f"o-{n}"
    if shape == "one course, fired":
        return Kitchen(Device(now_ms=START)).create(seed(id=oid, items=[ONE_ITEM]))
    if shape == "one course, held for the clock":
        return k.create({**seed(id=oid), "items": COURSED_ITEMS[:1]})
    order = k.create({**seed(id=oid), "items": COURSED_ITEMS})
    if shape == "coursed, held":
        return order
    if shape == "coursed, first fired":
        return k.do(coursing.fire(order, 1, "server"))
    if shape == "coursed, all fired":
        for number in (1, 2, 3):
            k.do(coursing.fire(k.do(None), number, "server"))
        return k.do(None)
    if shape == "coursed, all finished":
        for number in (1, 2, 3):
            k.do(coursing.skip(k.do(None), number))
        return k.do(None)
    if shape == "coursed, staggered":
        for change in coursing.fire_all(order, "server", 5, START):
            k.do(change)
        return k.do(None)
    return k.do(commands.cancel_order(order, oid))


SHAPES = (
    "one course, fired",
    "one course, held for the clock",
    "coursed, held",
    "coursed, first fired",
    "coursed, all fired",
    "coursed, all finished",
    "coursed, staggered",
    "canceled",
)


@given(
    shapes=st.lists(st.sampled_from(SHAPES), min_size=1, max_size=8),
    seated=st.sets(st.integers(0, 7), max_size=4),
    minutes=st.sampled_from([0, 1, 6, 13, 20, 31, 45, 90]),
)
def test_visiting_the_index_plans_what_visiting_every_open_order_plans(
    shapes: list[str], seated: set[int], minutes: int
) -> None:
    held = {o.id: o for o in (_shape(n, s) for n, s in enumerate(shapes))}
    open_orders = [o for o in held.values() if o.status in ACTIVE_ORDER_STATUSES]
    at_table = tuple(f"o-{n}" for n in sorted(seated) if n < len(shapes))
    syncs = SyncBook({"t1": TableSync("s1", "t1", at_table)}) if at_table else EMPTY_SYNCS
    now = START + minutes * MIN

    everything = plan(open_orders, Pacing(BOOK), syncs, {}, now)
    indexed = plan([o for o in open_orders if needs_clock(o)], Pacing(BOOK), syncs, {}, now, held=held)

    assert sorted(indexed.fires, key=repr) == sorted(everything.fires, key=repr)
    assert sorted(indexed.alerts, key=repr) == sorted(everything.alerts, key=repr)
    assert sorted(indexed.advances, key=repr) == sorted(everything.advances, key=repr)


def test_a_one_course_fired_order_is_not_the_clocks_but_a_held_or_coursed_one_is() -> None:
    assert not needs_clock(_shape(0, "one course, fired"))
    assert needs_clock(_shape(1, "coursed, held"))
    assert needs_clock(_shape(5, "one course, held for the clock"))
    assert needs_clock(_shape(2, "coursed, first fired"))
    assert not needs_clock(_shape(3, "coursed, all finished"))
    assert not needs_clock(_shape(4, "canceled"))


@given(
    shapes=st.lists(st.sampled_from(SHAPES), min_size=1, max_size=6),
    minutes=st.sampled_from([0, 1, 6, 13, 20, 31, 45]),
    later=st.floats(0, 1, exclude_max=True),
)
def test_an_order_the_plan_calls_quiet_has_nothing_due_until_then(
    shapes: list[str], minutes: int, later: float
) -> None:
    """The clock skips an unchanged order until its `quiet_until`: a pass over it at any time before
    then must find nothing, or the skip would lose a fire or an alert."""
    orders = [o for o in (_shape(n, s) for n, s in enumerate(shapes)) if o.status in ACTIVE_ORDER_STATUSES]
    now = START + minutes * MIN
    quiet = plan(orders, Pacing(BOOK), EMPTY_SYNCS, {}, now).quiet_until

    for order in orders:
        until = quiet.get(order.id)
        if until is None:
            continue
        assert until > now
        then = now + int(later * (min(until, now + 200 * MIN) - now))
        again = plan([order], Pacing(BOOK), EMPTY_SYNCS, {}, then)
        assert (again.fires, again.alerts) == ([], []), (order.id, then - now)


def test_a_late_course_is_visited_every_pass_and_a_person_hold_never() -> None:
    late = _shape(0, "coursed, first fired")
    person = Kitchen(Device(now_ms=START), kitchen=kitchen_with(BOOK.course_templates))
    held = person.do(coursing.hold(person.create({**seed(id="o-9"), "items": COURSED_ITEMS[:1]}), 1, "wait"))

    due = plan([late, held], Pacing(BOOK), EMPTY_SYNCS, {}, START + 90 * MIN)

    assert late.id not in due.quiet_until and due.alerts  # late: looked at again next pass (alerts escalate)
    assert due.quiet_until[held.id] == NEVER  # nobody promised when: only a change of the order can matter
