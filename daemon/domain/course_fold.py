"""How the coursing events change an order: complete, progress, ready at the pass, served, a scheduled
fire, the meal's pace (ARCHITECTURE §4 rules 5 and 9).

Each moves the course's *items* and lets `settle` derive tickets and course status from them, so a
course and its tickets cannot disagree whichever door — a station's bump or the coursing API — moved
them (rule 5: items_completed counts ready or served items; all complete → course complete).
"""

from __future__ import annotations

from collections.abc import Callable

from daemon.domain.errors import Conflict, CourseNotFound, ValidationFailed
from daemon.domain.events import Event, OrderEvents
from daemon.domain.model import Course, CourseStatus, Item, ItemStatus, MealPace, Order
from daemon.domain.settle import items_with_status
from daemon.domain.values import evolve

FINAL_COURSE_STATUSES = frozenset({CourseStatus.COMPLETE, CourseStatus.SKIPPED})


def course_items(order: Order, number: int) -> list[Item]:
    """The course's live items (deleted and voided ones count for nothing), in the order's item order."""
    return [i for i in order.items.values() if i.course == number and i.is_live]


def counts(order: Order, number: int) -> tuple[int, int]:
    """(item_count, items_completed) of a course: its live items, and those ready or served."""
    items = course_items(order, number)
    return len(items), sum(1 for i in items if i.is_done)


def course_of(order: Order, event: Event) -> Course:
    number = int(event.payload["course"])
    course = order.courses.get(number)
    if course is None:
        raise CourseNotFound(f"order {order.id} has no course {number}", code="COURSE_NOT_FOUND")
    return course


def refuse_unless_working(order: Order, course: Course) -> None:
    """Work on a course (complete, progress, ready, served) needs it fired and not finished."""
    if order.canceled:
        raise Conflict(f"order {order.id} is canceled", code="ORDER_CANCELED")
    if course.status is CourseStatus.SKIPPED:
        raise Conflict(f"course {course.number} was skipped", code="COURSE_ALREADY_COMPLETE")
    if course.status is CourseStatus.HELD:
        raise Conflict(f"course {course.number} is held; fire it first", code="COURSE_NOT_FIRED")


def _with_course(order: Order, course: Course) -> Order:
    return evolve(order, courses={**order.courses, course.number: course})


def _completed(order: Order, event: Event) -> Order:
    course = course_of(order, event)
    refuse_unless_working(order, course)
    if course.status is CourseStatus.COMPLETE:
        raise Conflict(f"course {course.number} is already complete", code="COURSE_ALREADY_COMPLETE")
    ids = [i.id for i in course_items(order, course.number)]
    return evolve(order, items=items_with_status(order, ids, ItemStatus.READY, event.at_ms))


def _progressed(order: Order, event: Event) -> Order:
    course = course_of(order, event)
    refuse_unless_working(order, course)
    if course.status is CourseStatus.COMPLETE:
        raise Conflict(f"course {course.number} is already complete", code="COURSE_ALREADY_COMPLETE")
    wanted = int(event.payload["items_completed"])
    items = course_items(order, course.number)
    done = sum(1 for i in items if i.is_done)
    if wanted > len(items):
        raise ValidationFailed(
            f"items_completed {wanted} is more than the course's {len(items)} items", field="items_completed"
        )
    if wanted < done:
        # Item status only moves forward (rule 5): the stations have already made more than this.
        raise Conflict(
            f"{done} items of course {course.number} are already ready; progress cannot go back to {wanted}",
            code="INVALID_PROGRESS",
        )
    ids = [i.id for i in items if not i.is_done][: wanted - done]
    return evolve(order, items=items_with_status(order, ids, ItemStatus.READY, event.at_ms))


def _readied(order: Order, event: Event) -> Order:
    course = course_of(order, event)
    refuse_unless_working(order, course)
    if course.served_ms is not None:
        raise Conflict(f"course {course.number} was already served", code="COURSE_ALREADY_SERVED")
    at = event.at_ms
    ids = [i.id for i in course_items(order, course.number)]
    order = evolve(order, items=items_with_status(order, ids, ItemStatus.READY, at))
    return _with_course(order, evolve(course, ready_ms=at, updated_ms=at))


def _served(order: Order, event: Event) -> Order:
    course = course_of(order, event)
    refuse_unless_working(order, course)
    if course.served_ms is not None:
        raise Conflict(f"course {course.number} was already served", code="COURSE_ALREADY_SERVED")
    at = event.at_ms
    ids = [i.id for i in course_items(order, course.number)]
    order = evolve(order, items=items_with_status(order, ids, ItemStatus.SERVED, at))
    return _with_course(order, evolve(course, served_ms=at, ready_ms=course.ready_ms or at, updated_ms=at))


def _scheduled(order: Order, event: Event) -> Order:
    """A fire set for later (fire-all's stagger): the kitchen clock fires the course at fire_at."""
    if order.canceled:
        raise Conflict(f"order {order.id} is canceled", code="ORDER_CANCELED")
    course = course_of(order, event)
    if course.status is not CourseStatus.HELD:
        raise Conflict(f"course {course.number} is already {course.status.value}", code="COURSE_ALREADY_FIRED")
    at = event.at_ms
    return _with_course(order, evolve(course, fire_at_ms=int(event.payload["fire_at_ms"]), updated_ms=at))


def _pace_set(order: Order, event: Event) -> Order:
    p = event.payload
    gap = p.get("custom_gap_minutes")
    pace = MealPace(str(p["pace"]), int(gap) if gap is not None else None, p.get("by") or event.actor.sub, event.at_ms)
    return evolve(order, pace=pace)


COURSE_HANDLERS: dict[str, Callable[[Order, Event], Order]] = {
    OrderEvents.COURSE_COMPLETED: _completed,
    OrderEvents.COURSE_PROGRESSED: _progressed,
    OrderEvents.COURSE_READIED: _readied,
    OrderEvents.COURSE_SERVED: _served,
    OrderEvents.COURSE_SCHEDULED: _scheduled,
    OrderEvents.PACE_SET: _pace_set,
}
