"""Properties of the fold (hypothesis): convergence whatever the arrival order and duplication, no raise on
invalid events, and state machines that only take the seeds' transitions."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from daemon.domain import commands, intake
from daemon.domain.codec import order_from_json, order_to_json
from daemon.domain.errors import HeardError
from daemon.domain.events import ORDER, Change, Event, OrderEvents
from daemon.domain.fold import apply, fold
from daemon.domain.model import (
    ACTIVE_TICKET_STATUSES,
    ITEM_TRANSITIONS,
    CourseStatus,
    ItemFlag,
    ItemStatus,
    Order,
    TicketAction,
    TicketPriority,
    TicketStatus,
)
from daemon.domain.settle import settle
from tests.daemon.domain.builders import KITCHEN, Device, seed

STATIONS = ("grill", "cold", "expo", "fry")
NAMES = ("Hamburger", "Vanilla Shake", "Fries", "Ribeye")


def base_order(lineless: int = 0) -> dict[str, Any]:
    """The seed with a held third course, and `lineless` items without a lineId (some POS send none)."""
    body = seed()
    body["items"].append({"lineId": "3", "name": "Ribeye", "qty": 1, "mods": [], "course": "3", "courseStatus": "hold"})
    body["items"] += LINELESS[:lineless]
    return body


LINELESS = [
    {"name": "Fries", "qty": 1, "mods": [], "course": "1"},
    {"name": "Caesar Salad", "qty": 1, "mods": [], "course": "2"},
]


command_st = st.one_of(
    st.tuples(st.just("item"), st.integers(0, 5), st.sampled_from(list(ItemStatus))),
    st.tuples(st.just("ticket"), st.sampled_from(STATIONS), st.sampled_from(list(TicketAction))),
    st.tuples(st.just("ticket"), st.sampled_from(STATIONS), st.just(TicketAction.VOID)),
    st.tuples(st.just("recall_start"), st.sampled_from(STATIONS), st.none()),
    st.tuples(st.just("priority"), st.sampled_from(STATIONS), st.sampled_from(list(TicketPriority))),
    st.tuples(st.just("course"), st.sampled_from(("fire", "hold", "skip")), st.integers(1, 3)),
    st.tuples(st.just("add"), st.sampled_from(("3", "4", "5", None)), st.sampled_from(NAMES)),
    st.tuples(st.just("remove"), st.sampled_from(("1", "2", "4")), st.none()),
    st.tuples(st.just("replace"), st.integers(1, 3), st.integers(0, 2)),
    st.tuples(st.just("cancel"), st.none(), st.none()),
    st.tuples(st.just("seen"), st.sampled_from(STATIONS), st.none()),
)


def decide(order: Order, cmd: tuple[Any, Any, Any]) -> Change | None:
    kind, a, b = cmd
    if kind == "item":
        ids = list(order.items)
        return commands.set_item_status(order, ids[a % len(ids)], b)
    if kind == "ticket":
        return commands.ticket_action(order, a, b)
    if kind == "recall_start":  # the recall; the state machine then starts the recalled ticket
        return commands.ticket_action(order, a, TicketAction.RECALL)
    if kind == "seen":
        return commands.mark_seen(order, a, "screen-1")
    if kind == "priority":
        return commands.set_ticket_priority(order, a, b)
    if kind == "course":
        return {"fire": commands.fire_course, "hold": commands.hold_course, "skip": commands.skip_course}[a](order, b)
    if kind == "add":
        line = {"lineId": a} if a is not None else {}
        patch = intake.check_partial({"id": order.id, "itemsToAdd": [{**line, "name": b, "qty": 1, "mods": []}]})
        return commands.patch_order(order, order.id, patch, KITCHEN)
    if kind == "remove":
        return commands.patch_order(
            order, order.id, intake.check_partial({"id": order.id, "itemsToRemove": [a]}), KITCHEN
        )
    if kind == "replace":
        body = base_order()
        body["items"] = body["items"][:a] + LINELESS[:b]
        body["items"][0]["qty"] = a
        fields, items = intake.check_order(body)
        return commands.replace_order(order, fields, items, KITCHEN)
    return commands.cancel_order(order, order.id)


def play(script: list[tuple[int, int, tuple[Any, Any, Any]]], lineless: int = 0) -> list[Event]:
    """Three devices act on their own views of the order (each sees a random part of the others' events),
    as a cut-off kitchen would; returns every event any of them logged."""
    devices = [Device(f"dev-{i}", now_ms=1_790_000_000_000 + i * 7) for i in range(3)]
    fields, items = intake.check_order(base_order(lineless))
    created = devices[0].stamp(commands.create_order(None, fields, items, ["dev-0"], KITCHEN))
    everything = [created]
    for who, seen_share, cmd in script:
        device = devices[who]
        others = [e for e in everything if e.origin != device.origin]
        view = fold([created, *device.log, *others[: len(others) * seen_share // 4]]).state
        if view is None:
            continue
        try:
            change = decide(view, cmd)
            if change is None:
                continue
            apply(view, change_event := device.stamp(change))
        except HeardError:
            continue
        everything.append(change_event)
    return everything


script_st = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 4), command_st), max_size=25)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=script_st, lineless=st.integers(0, 2), data=st.data())
def test_any_arrival_order_and_duplication_folds_to_one_state(
    script: list[Any], lineless: int, data: st.DataObject
) -> None:
    events = play(script, lineless)
    reference = fold(events)

    shuffled = data.draw(st.permutations(events))
    duplicates = data.draw(st.lists(st.sampled_from(events), max_size=10))
    again = fold([*shuffled, *duplicates])

    assert again.state == reference.state
    assert again.skipped == reference.skipped


@settings(max_examples=100, deadline=None)
@given(script=script_st, lineless=st.integers(0, 2))
def test_fold_never_raises_and_the_snapshot_round_trips(script: list[Any], lineless: int) -> None:
    folded = fold(play(script, lineless))

    assert folded.state is not None
    assert order_from_json(order_to_json(folded.state)) == folded.state


@settings(max_examples=60, deadline=None)
@given(script=script_st, lineless=st.integers(0, 2))
def test_every_line_without_a_line_id_stays_an_item_of_its_own(script: list[Any], lineless: int) -> None:
    """Devices that cannot see each other's adds never give two different lines one id."""
    events = play(script, lineless)
    folded = fold(events)
    skipped = {s.event_id for s in folded.skipped}
    sent = sum(
        1
        for e in events
        if e.id not in skipped
        for line in (*e.payload.get("items", ()), *e.payload.get("add", ()))
        if line.get("lineId") is None
    )

    assert folded.state is not None
    assert sum(1 for i in folded.state.items.values() if i.line_id is None) == sent


# ---- the state machines ---------------------------------------------------------------------

# Ticket moves the fold may make, beyond the seed's actions: the ones settle.py documents.
DERIVED_TICKET_MOVES = {
    (TicketStatus.HELD, TicketStatus.PENDING),  # course fired
    (TicketStatus.HELD, TicketStatus.IN_PROGRESS),  # fired again, its items already started
    (TicketStatus.HELD, TicketStatus.READY),  # fired again, its items already done
    (TicketStatus.HELD, TicketStatus.VOIDED),  # course skipped
    (TicketStatus.PENDING, TicketStatus.HELD),  # course held again
    (TicketStatus.IN_PROGRESS, TicketStatus.HELD),
    (TicketStatus.RECALLED, TicketStatus.HELD),
    (TicketStatus.PENDING, TicketStatus.IN_PROGRESS),  # an item started
    (TicketStatus.PENDING, TicketStatus.READY),  # all items done
    (TicketStatus.IN_PROGRESS, TicketStatus.READY),
    (TicketStatus.READY, TicketStatus.PENDING),  # new work arrived
    (TicketStatus.BUMPED, TicketStatus.PENDING),
    (TicketStatus.READY, TicketStatus.HELD),  # new work arrived while its course is held
    (TicketStatus.READY, TicketStatus.IN_PROGRESS),  # new work beside items already done
    (TicketStatus.BUMPED, TicketStatus.IN_PROGRESS),
    (TicketStatus.BUMPED, TicketStatus.HELD),
    (TicketStatus.PENDING, TicketStatus.VOIDED),  # course skipped
}
ACTION_MOVES = {
    (TicketStatus.PENDING, TicketStatus.IN_PROGRESS),
    (TicketStatus.RECALLED, TicketStatus.IN_PROGRESS),
    (TicketStatus.IN_PROGRESS, TicketStatus.READY),
    (TicketStatus.RECALLED, TicketStatus.READY),
    *(
        (s, TicketStatus.BUMPED)
        for s in (TicketStatus.PENDING, TicketStatus.IN_PROGRESS, TicketStatus.READY, TicketStatus.RECALLED)
    ),
    (TicketStatus.READY, TicketStatus.RECALLED),
    (TicketStatus.BUMPED, TicketStatus.RECALLED),
    *(
        (s, TicketStatus.VOIDED)
        for s in (
            TicketStatus.HELD,
            TicketStatus.PENDING,
            TicketStatus.IN_PROGRESS,
            TicketStatus.READY,
            TicketStatus.RECALLED,
        )
    ),
}
COURSE_MOVES = {
    (CourseStatus.HELD, CourseStatus.FIRED),
    (CourseStatus.FIRED, CourseStatus.IN_PROGRESS),
    (CourseStatus.IN_PROGRESS, CourseStatus.COMPLETE),
    (CourseStatus.FIRED, CourseStatus.COMPLETE),
    (CourseStatus.HELD, CourseStatus.SKIPPED),
    (CourseStatus.FIRED, CourseStatus.SKIPPED),
    (CourseStatus.IN_PROGRESS, CourseStatus.SKIPPED),
    (CourseStatus.FIRED, CourseStatus.HELD),
    (CourseStatus.IN_PROGRESS, CourseStatus.HELD),
    (CourseStatus.COMPLETE, CourseStatus.IN_PROGRESS),
    (CourseStatus.COMPLETE, CourseStatus.FIRED),  # items added
    (CourseStatus.HELD, CourseStatus.IN_PROGRESS),
    (CourseStatus.HELD, CourseStatus.COMPLETE),  # fired + settled
}


class KitchenMachine(RuleBasedStateMachine):
    """Drives one order through random commands and checks every step against the allowed moves."""

    def __init__(self) -> None:
        super().__init__()
        self.device = Device()

    @initialize(lineless=st.integers(0, 2))
    def create(self, lineless: int) -> None:
        fields, items = intake.check_order(base_order(lineless))
        self.order = apply(None, self.device.stamp(commands.create_order(None, fields, items, ["d"], KITCHEN)))

    @rule(cmd=command_st)
    def command(self, cmd: tuple[Any, Any, Any]) -> None:
        try:
            change = decide(self.order, cmd)
        except HeardError:
            return
        if change is not None and self._step(change) and cmd[0] == "recall_start":
            self._start_recalled(str(change.payload["ticket_id"]))

    def _step(self, change: Change) -> bool:
        """Apply a change if the fold accepts it, checking every move it makes."""
        before = self.order
        try:
            after = apply(before, self.device.stamp(change))
        except HeardError:
            return False
        self._check_moves(before, after, change.type)
        self.order = after
        return True

    def _start_recalled(self, ticket_id: str) -> None:
        """START on a recalled ticket goes to in_progress and stays there, unless every live item of it
        was served already (then there is nothing to remake and it is ready)."""
        ticket = self.order.tickets[ticket_id]
        if ticket.status is not TicketStatus.RECALLED:
            return  # its course is held: the recall took it off the line
        payload = {"ticket_id": ticket.id, "station_id": ticket.station_id, "course": ticket.course}
        assert self._step(Change(OrderEvents.TICKET_STARTED, ORDER, self.order.id, payload))
        live = [i for i in self.order.items_of(ticket) if i.is_live]
        started = self.order.tickets[ticket_id].status
        if live and all(i.status is ItemStatus.SERVED for i in live):
            assert started is TicketStatus.READY
        else:
            assert started is TicketStatus.IN_PROGRESS, (started, live)

    def _check_moves(self, before: Order, after: Order, event_type: str) -> None:
        for tid, old in before.tickets.items():
            new = after.tickets[tid]
            if old.status is not new.status:
                assert (old.status, new.status) in ACTION_MOVES | DERIVED_TICKET_MOVES, (old.status, new.status)
        for iid, old_item in before.items.items():
            new_item = after.items[iid]
            if old_item.flag is ItemFlag.VOIDED:  # voided stays voided, unless the POS changed the dish
                assert new_item.flag is ItemFlag.VOIDED or not old_item.same_content(new_item), (old_item, new_item)
            # A modified line is new work; so is a removed line that itemsToAdd brings back (it starts again).
            readded = old_item.flag is ItemFlag.DELETED and new_item.flag is ItemFlag.ADDED
            if old_item.status is not new_item.status and new_item.flag is not ItemFlag.MODIFIED and not readded:
                assert (
                    new_item.status in ITEM_TRANSITIONS[old_item.status]
                    or _forward(old_item.status, new_item.status)
                    or _remade(old_item.status, new_item.status, event_type)
                ), (old_item.status, new_item.status, event_type)
        for n, old_course in before.courses.items():
            new_course = after.courses[n]
            if old_course.status is not new_course.status:
                assert (old_course.status, new_course.status) in COURSE_MOVES, (old_course.status, new_course.status)

    @invariant()
    def held_exactly_while_course_held_and_order_not_canceled(self) -> None:
        """A canceled order fires nothing more, so a held ticket of it would be held forever."""
        for t in self.order.tickets.values():
            course = self.order.courses[t.course].status
            if t.status is TicketStatus.HELD:
                assert course is CourseStatus.HELD and not self.order.canceled
            if course is CourseStatus.HELD and not self.order.canceled:
                assert t.status in (TicketStatus.HELD, TicketStatus.READY, TicketStatus.BUMPED, TicketStatus.VOIDED)

    @invariant()
    def settled_state_is_a_fixpoint(self) -> None:
        """Settling again changes nothing: a derived status never flips on the next, unrelated event."""
        assert settle(self.order, self.order.updated_ms) == self.order

    @invariant()
    def every_live_unfinished_item_is_on_an_active_ticket_at_each_of_its_stations(self) -> None:
        """No item is lost: whatever is still to make is in front of every station that makes it."""
        if self.order.canceled:
            return
        shown = {
            (t.station_id, t.course, i.id)
            for t in self.order.tickets.values()
            if t.status in ACTIVE_TICKET_STATUSES
            for i in self.order.items_of(t)
        }
        for item in self.order.items.values():
            if item.is_live and not item.is_done:
                for station_id in item.stations:
                    assert (station_id, item.course, item.id) in shown, (station_id, item)

    @invariant()
    def a_station_and_course_have_at_most_one_ticket_not_voided(self) -> None:
        pairs = [(t.station_id, t.course) for t in self.order.tickets.values() if t.status is not TicketStatus.VOIDED]
        assert len(pairs) == len(set(pairs))

    @invariant()
    def course_is_complete_exactly_when_nothing_live_is_left_to_make(self) -> None:
        """A voided or deleted item neither keeps a course open nor is needed to complete it."""
        for course in self.order.courses.values():
            if course.status in (CourseStatus.HELD, CourseStatus.SKIPPED):
                continue
            unfinished = [
                i for i in self.order.items.values() if i.course == course.number and i.is_live and not i.is_done
            ]
            assert (course.status is CourseStatus.COMPLETE) == (not unfinished), (course, unfinished)


def _remade(old: ItemStatus, new: ItemStatus, event_type: str) -> bool:
    """Starting a recalled ticket sends its ready items back to preparing (fold._restarted)."""
    return (old, new) == (ItemStatus.READY, ItemStatus.PREPARING) and event_type == OrderEvents.TICKET_STARTED


def _forward(old: ItemStatus, new: ItemStatus) -> bool:
    """Bump and ready move items forward over several steps at once (pending → ready)."""
    order = list(ItemStatus)
    return order.index(new) > order.index(old)


TestKitchenMachine = KitchenMachine.TestCase
TestKitchenMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
