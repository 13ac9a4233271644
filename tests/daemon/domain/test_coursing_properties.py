"""Hypothesis: the coursing API's commands — fire, hold, skip, complete, progress, ready, served, fire-all,
and the clock's scheduled fires — in any order, mixed with every station and POS command, never leave a
course and its tickets disagreeing (ARCHITECTURE §4 rules 3 and 5)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from daemon.domain import coursing
from daemon.domain.course_fold import counts
from daemon.domain.errors import HeardError
from daemon.domain.events import ORDER, Change, OrderEvents
from daemon.domain.model import CourseStatus, Order, TicketStatus
from tests.daemon.domain.test_properties import KitchenMachine

coursing_st = st.one_of(
    st.tuples(st.sampled_from(("fire", "hold", "skip", "complete", "ready", "served")), st.integers(0, 4)),
    st.tuples(st.just("progress"), st.integers(1, 3), st.integers(0, 3)),
    st.tuples(st.just("fire_all"), st.sampled_from((None, 0, 5))),
    st.tuples(st.just("clock_fire"), st.integers(1, 3)),
)


def coursing_changes(order: Order, cmd: tuple[Any, ...]) -> list[Change]:
    kind = cmd[0]
    if kind == "progress":
        _, number, wanted = cmd
        change = coursing.progress(order, number, wanted)
        return [change] if change is not None else []
    if kind == "fire_all":
        return coursing.fire_all(order, "server", cmd[1], 1_790_000_000_000)
    if kind == "clock_fire":  # the kitchen clock's fact: merged when the course is no longer held
        payload = {"course": cmd[1], "by": "kitchen-clock", "fact": f"fact-{cmd[1]}", "fire_at_ms": 1}
        return [Change(OrderEvents.COURSE_FIRED, ORDER, order.id, payload)]
    number = cmd[1]
    if kind == "fire":
        return [coursing.fire(order, number, "server")]
    if kind == "hold":
        return [coursing.hold(order, number, "guest stepped away")]
    command = {"skip": coursing.skip, "complete": coursing.complete, "ready": coursing.ready, "served": coursing.served}
    return [command[kind](order, number)]


class CoursingMachine(KitchenMachine):
    """Every rule and invariant of the kitchen machine, plus the coursing API's commands."""

    @rule(cmd=coursing_st)
    def coursing_command(self, cmd: tuple[Any, ...]) -> None:
        try:
            changes = coursing_changes(self.order, cmd)
        except HeardError:
            return  # refused before anything is logged, as the API refuses it
        for change in changes:
            self._step(change)

    @invariant()
    def course_and_its_tickets_agree(self) -> None:
        for course in self.order.courses.values():
            tickets = [t for t in self.order.tickets.values() if t.course == course.number]
            statuses = {t.status for t in tickets}
            # A ticket left with no live item (its items voided at another station) only waits to be bumped.
            working = {t.status for t in tickets if any(i.is_live for i in self.order.items_of(t))}
            if course.status is CourseStatus.COMPLETE:
                # Nothing of a complete course is still on the line (a recalled ticket is a cook's choice).
                assert not working & {TicketStatus.HELD, TicketStatus.PENDING, TicketStatus.IN_PROGRESS}, course
            if course.status in (CourseStatus.FIRED, CourseStatus.IN_PROGRESS) and not self.order.canceled:
                assert TicketStatus.HELD not in statuses, course
            if course.status is CourseStatus.SKIPPED:
                # (Work the POS adds to a skipped course later is new work: it gets a pending ticket.)
                assert TicketStatus.HELD not in statuses, course

    @invariant()
    def items_completed_follow_the_items(self) -> None:
        for course in self.order.courses.values():
            item_count, done = counts(self.order, course.number)
            assert 0 <= done <= item_count
            if course.status is CourseStatus.COMPLETE:
                assert done == item_count
            if course.served_ms is not None and course.status is CourseStatus.COMPLETE:
                assert course.ready_ms is not None


CoursingMachine.TestCase.settings = settings(
    max_examples=80, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestCoursingMachine = CoursingMachine.TestCase
