"""Coursing commands on an order: a request to fire, hold, skip, complete, progress, ready, serve or
pace, checked against the order, becomes the changes to log (coursing seed, ARCHITECTURE §4 rules 3, 5, 9).

The checks give the seed's error codes before anything is logged; the fold (daemon.domain.fold and
course_fold) enforces the same rules again for events that arrive from elsewhere.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from daemon.domain.course_fold import FINAL_COURSE_STATUSES, counts
from daemon.domain.errors import Conflict, CourseNotFound, OrderNotFound, ValidationFailed
from daemon.domain.events import ORDER, Change, OrderEvents
from daemon.domain.model import Course, CourseStatus, Order

COURSE_NUMBER_MAX = 99
MINUTES_MAX = 24 * 60


class Pace(StrEnum):
    LEISURELY = "leisurely"
    NORMAL = "normal"
    QUICK = "quick"
    CUSTOM = "custom"


def course_number(raw: Any, field: str = "course_number") -> int:
    """A positive course number, from a body (an integer) or a path (its text); else INVALID_COURSE_NUMBER."""
    if isinstance(raw, bool):
        raw = None
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        raw = int(raw.strip())
    if not isinstance(raw, int):
        raise ValidationFailed(f"{field} must be a positive whole number", code="INVALID_COURSE_NUMBER", field=field)
    if not 1 <= raw <= COURSE_NUMBER_MAX:
        raise ValidationFailed(
            f"{field} must be between 1 and {COURSE_NUMBER_MAX}", code="INVALID_COURSE_NUMBER", field=field
        )
    return raw


def minutes(raw: Any, field: str, *, allow_none: bool = True) -> int | None:
    """Whole minutes, 0 to a day; a clear 400 naming the field otherwise."""
    if raw is None and allow_none:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw != int(raw):
        raise ValidationFailed(f"{field} must be a whole number of minutes", field=field)
    if not 0 <= int(raw) <= MINUTES_MAX:
        raise ValidationFailed(f"{field} must be between 0 and {MINUTES_MAX}", field=field)
    return int(raw)


def optional_text(raw: Any, field: str, max_length: int = 500) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValidationFailed(f"{field} must be a string", field=field)
    if len(raw) > max_length:
        raise ValidationFailed(f"{field} must be at most {max_length} characters", field=field)
    return raw


def existing(order: Order | None, order_id: str) -> Order:
    if order is None:
        raise OrderNotFound(f"order {order_id} not found", code="ORDER_NOT_FOUND")
    return order


def course(order: Order, number: int) -> Course:
    found = order.courses.get(number)
    if found is None:
        raise CourseNotFound(f"order {order.id} has no course {number}", code="COURSE_NOT_FOUND")
    return found


def _refuse_canceled(order: Order) -> None:
    if order.canceled:
        raise Conflict(f"order {order.id} is canceled; nothing of it fires any more", code="ORDER_CANCELED")


def _refuse_final(c: Course) -> None:
    if c.status in FINAL_COURSE_STATUSES:
        raise Conflict(f"course {c.number} is already {c.status.value}", code="COURSE_ALREADY_COMPLETE")


def _change(order: Order, kind: str, payload: dict[str, Any]) -> Change:
    return Change(kind, ORDER, order.id, payload)


def fire(order: Order, number: int, by: str, notes: str | None = None) -> Change:
    _refuse_canceled(order)
    c = course(order, number)
    _refuse_final(c)
    if c.status is not CourseStatus.HELD:
        raise Conflict(f"course {number} is already {c.status.value}", code="COURSE_ALREADY_FIRED")
    return _change(order, OrderEvents.COURSE_FIRED, {"course": number, "by": by, "notes": notes})


def hold(order: Order, number: int, reason: str | None) -> Change:
    _refuse_canceled(order)
    _refuse_final(course(order, number))
    return _change(order, OrderEvents.COURSE_HELD, {"course": number, "reason": reason})


def fire_all(order: Order, by: str, delay_minutes: int | None, now_ms: int) -> list[Change]:
    """Every held course, in course order. With a stagger the first fires now and each next one is
    scheduled `delay_minutes` after the one before; the kitchen clock fires it then."""
    _refuse_canceled(order)
    held = sorted(n for n, c in order.courses.items() if c.status is CourseStatus.HELD)
    changes = []
    for index, number in enumerate(held):
        if index == 0 or not delay_minutes:
            changes.append(_change(order, OrderEvents.COURSE_FIRED, {"course": number, "by": by}))
        else:
            fire_at = now_ms + index * delay_minutes * 60_000
            changes.append(_change(order, OrderEvents.COURSE_SCHEDULED, {"course": number, "fire_at_ms": fire_at}))
    return changes


def skip(order: Order, number: int) -> Change:
    _refuse_final(course(order, number))
    return _change(order, OrderEvents.COURSE_SKIPPED, {"course": number})


def _working(order: Order, number: int) -> Course:
    _refuse_canceled(order)
    c = course(order, number)
    if c.status is CourseStatus.SKIPPED:
        _refuse_final(c)
    if c.status is CourseStatus.HELD:
        raise Conflict(f"course {number} is held; fire it first", code="COURSE_NOT_FIRED")
    return c


def complete(order: Order, number: int) -> Change:
    c = _working(order, number)
    _refuse_final(c)
    return _change(order, OrderEvents.COURSE_COMPLETED, {"course": number})


def progress(order: Order, number: int, items_completed: Any) -> Change | None:
    """None when the count is already what is asked: a retried request changes nothing."""
    if isinstance(items_completed, bool) or not isinstance(items_completed, int) or items_completed < 0:
        raise ValidationFailed("items_completed must be a whole number, 0 or more", field="items_completed")
    c = _working(order, number)
    item_count, done = counts(order, number)
    if items_completed > item_count:
        raise ValidationFailed(
            f"items_completed must be at most the course's item_count ({item_count})", field="items_completed"
        )
    if c.status is CourseStatus.COMPLETE and items_completed == done:
        return None
    _refuse_final(c)
    if items_completed == done:
        return None
    if items_completed < done:
        raise Conflict(
            f"{done} items of course {number} are already ready; progress cannot go back to {items_completed}",
            code="INVALID_PROGRESS",
        )
    return _change(order, OrderEvents.COURSE_PROGRESSED, {"course": number, "items_completed": items_completed})


def ready(order: Order, number: int) -> Change:
    c = _working(order, number)
    if c.served_ms is not None:
        raise Conflict(f"course {number} was already served", code="COURSE_ALREADY_SERVED")
    return _change(order, OrderEvents.COURSE_READIED, {"course": number})


def served(order: Order, number: int) -> Change:
    c = _working(order, number)
    if c.served_ms is not None:
        raise Conflict(f"course {number} was already served", code="COURSE_ALREADY_SERVED")
    return _change(order, OrderEvents.COURSE_SERVED, {"course": number})


def set_pace(order: Order, pace: Any, custom_gap_minutes: Any, by: str) -> Change:
    try:
        chosen = Pace(pace)
    except ValueError:
        allowed = ", ".join(p.value for p in Pace)
        raise ValidationFailed(f"pace must be one of {allowed}", field="pace") from None
    gap = minutes(custom_gap_minutes, "custom_gap_minutes")
    if chosen is Pace.CUSTOM and gap is None:
        raise ValidationFailed("custom pace needs custom_gap_minutes", field="custom_gap_minutes")
    if chosen is not Pace.CUSTOM:
        gap = None
    return _change(order, OrderEvents.PACE_SET, {"pace": chosen.value, "custom_gap_minutes": gap, "by": by})
