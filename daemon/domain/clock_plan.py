"""One pass of the kitchen clock, decided purely from state and `now_ms` (ARCHITECTURE §4 rules 9, 10):
which held courses are due to fire, which tables advance with them, which alerts are due.

Every fact it proposes has a deterministic id (a fire's `fact`, an alert's id), so a pass repeated — after
a restart, or on a second device — proposes the same facts, and the fold merges them into one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from daemon.domain.model import ACTIVE_ORDER_STATUSES, Course, CourseStatus, MealPace, Order
from daemon.domain.pacing import MINUTE_MS, WARNING_MINUTES, AlertLevel, Pacing
from daemon.domain.table_sync import SyncBook, TableSync
from daemon.domain.timing_alerts import TimingAlert, alert_id
from daemon.domain.values import name_uuid

_FIRE_NS = uuid.UUID("a7d35c1e-4e0b-4f59-b2d8-6c0e9f3a1d27")
_C_HELD = CourseStatus.HELD
_C_COMPLETE = CourseStatus.COMPLETE
_C_SKIPPED = CourseStatus.SKIPPED
_FINAL = (CourseStatus.COMPLETE, CourseStatus.SKIPPED)
_NORMAL = AlertLevel.NORMAL
NEVER = 2**62  # a time no pass reaches: nothing can come due without the order changing first


@dataclass(frozen=True)
class Fire:
    order_id: str
    course: int
    fire_at_ms: int
    fact: str


@dataclass(frozen=True)
class Advance:
    table_id: str
    course: int


@dataclass
class Plan:
    fires: list[Fire] = field(default_factory=list)
    advances: list[Advance] = field(default_factory=list)
    alerts: list[TimingAlert] = field(default_factory=list)
    courses_seen: int = 0
    # Order id → before this time, a pass over this same order (same object: unchanged), with the same
    # pacing, finds nothing for it, so the clock may skip it until then. NEVER: not until the order changes.
    # An order seated in a table sync is never listed: the other orders at its table move it too.
    quiet_until: dict[str, int] = field(default_factory=dict)


def needs_clock(order: Order) -> bool:
    """Whether a pass can ever find something due on this order by itself: a held course (it may come due
    to fire), or an unfinished course of a coursed meal (it may run late enough to alert). An order with one
    fired course and no table is the station screen's business, not the clock's; the store keeps an index
    of the orders this is true of, so the once-a-second pass visits them and not every open order.
    Orders seated in a table sync are visited whatever this says (the sync book names them)."""
    if order.canceled:
        return False
    courses = order.courses
    coursed = len(courses) > 1
    for course in courses.values():
        status = course.status
        if status is _C_HELD or (coursed and status not in _FINAL):
            return True
    return False


def fire_fact(order_id: str, course: int, fire_at_ms: int) -> str:
    return name_uuid(_FIRE_NS, f"{order_id}\x1f{course}\x1f{fire_at_ms}")


def table_ready_before(sync: TableSync, number: int, orders: Mapping[str, Order]) -> bool:
    """Every order at the table has finished every course before `number` (an order this device no
    longer holds, a canceled one, or one no longer open, holds nobody up)."""
    for oid in sync.order_ids:
        order = orders.get(oid)
        if order is None or order.canceled or order.status not in ACTIVE_ORDER_STATUSES:
            continue
        for n, course in order.courses.items():
            if n < number and course.status not in _FINAL:
                return False
    return True


def blocked(
    order: Order, course: Course, pacing: Pacing, sync: TableSync | None, orders: Mapping[str, Order], now_ms: int
) -> bool:
    """A course due to fire by the clock that cannot, because its table waits on another order."""
    if sync is None or not pacing.config.table_sync_enabled or not pacing.waits_for_clock(course):
        return False
    scheduled = pacing.scheduled_fire_ms(order, course)
    return scheduled is not None and scheduled <= now_ms and not table_ready_before(sync, course.number, orders)


def _message(level: AlertLevel, delay: int | None) -> str:
    if level is AlertLevel.BLOCKED:
        return "Course is waiting on other orders at the table"
    if level is AlertLevel.CRITICAL:
        return "Course is significantly delayed"
    return f"Course is {delay} minutes delayed"


def plan(
    orders: Iterable[Order],
    pacing: Pacing,
    syncs: SyncBook,
    known_alerts: Mapping[str, object],
    now_ms: int,
    held: Mapping[str, Order] | None = None,
) -> Plan:
    """What is due at `now_ms`. The loop is the clock's hot path (every second, every open course): a
    course is checked by a few comparisons against per-pass caches, and only one that is due or late
    enough to alert goes through `Pacing.status`, which stays the one definition of timing.

    `orders` are the orders to visit: every open order; or, with `held` (every order the device holds, by
    id), only those that `needs_clock`, and the open orders a table sync names are added from `held` —
    the same plan for a fraction of the work."""
    out = Plan()
    sync_of = syncs.of_order() if syncs.syncs and pacing.config.table_sync_enabled else {}
    if sync_of:
        orders = list(orders)
        if held is None:
            held = {o.id: o for o in orders}
        else:
            visited = {o.id for o in orders}
            for oid in sync_of:
                seated = held.get(oid)
                if seated is not None and oid not in visited and seated.status in ACTIVE_ORDER_STATUSES:
                    orders.append(seated)
    by_id = held if sync_of and held is not None else {}
    auto_enabled = pacing.config.auto_fire_enabled
    quiet_ms = WARNING_MINUTES * MINUTE_MS  # later than this, a fired course may need an alert
    prep_cache: dict[str | int, int] = {}  # by template id (else course number): per pass, not per course
    gap_cache: dict[tuple[str | int, MealPace | None], int] = {}
    auto_cache: dict[str | int, bool] = {}
    advanced: set[tuple[str, int]] = set()
    seen = 0
    for order in orders:
        if order.canceled:
            continue
        sync = sync_of.get(order.id) if sync_of else None
        # Alerts are about coursed meals (several courses, or a table in sync): a one-course takeout order
        # running long is the station screen's timer colour, not a coursing alert.
        courses = order.courses
        coursed = sync is not None or len(courses) > 1
        numbers = sorted(courses) if coursed else courses
        previous: Course | None = None
        quiet_until = NEVER  # the earliest time a pass could find something here: lowered course by course
        for number in numbers:
            course = courses[number]
            status = course.status
            if status is _C_SKIPPED:
                continue
            if status is _C_COMPLETE:
                previous = course
                continue
            seen += 1
            key = course.template_id or number
            if status is _C_HELD:
                fire_at = course.fire_at_ms
                if fire_at is None:
                    if not (course.auto and auto_enabled):
                        previous = course
                        continue  # held for a person: nobody promised when it fires, so it is never late
                    may = auto_cache.get(key)
                    if may is None:
                        may = auto_cache[key] = pacing.may_auto_fire(course)
                    if not may:
                        previous = course
                        continue
                    if previous is None:
                        fire_at = pacing.scheduled_fire_ms(order, course)
                    elif previous.fired_ms is not None:
                        gap_key = (key, order.pace)
                        gap = gap_cache.get(gap_key)
                        if gap is None:
                            gap = gap_cache[gap_key] = pacing.gap_ms(course, order.pace)
                        fire_at = previous.fired_ms + gap
                previous = course
                if fire_at is None:
                    continue  # waits on the course before it to fire: a change of the order, not of time
                if fire_at > now_ms:
                    quiet_until = min(quiet_until, fire_at)
                    continue  # not due: not late either
                quiet_until = now_ms
                if sync is None or table_ready_before(sync, number, by_id):
                    out.fires.append(Fire(order.id, number, fire_at, fire_fact(order.id, number, fire_at)))
                    if sync is not None and sync.current_course < number and (sync.table_id, number) not in advanced:
                        advanced.add((sync.table_id, number))
                        out.advances.append(Advance(sync.table_id, number))
                    continue
                if coursed:
                    _alert(out, order, course, pacing, sync, known_alerts, now_ms, blocked=True)
                continue
            previous = course
            if not coursed:
                continue
            prep = prep_cache.get(key)
            if prep is None:
                prep = prep_cache[key] = pacing.prep_ms(course)
            may_alert_at = (course.fired_ms or order.created_ms) + prep + quiet_ms
            if now_ms < may_alert_at:
                quiet_until = min(quiet_until, may_alert_at)
                continue
            quiet_until = now_ms
            _alert(out, order, course, pacing, sync, known_alerts, now_ms, blocked=False)
        if sync is None and quiet_until > now_ms:
            out.quiet_until[order.id] = quiet_until
    out.courses_seen = seen
    return out


def _alert(
    out: Plan,
    order: Order,
    course: Course,
    pacing: Pacing,
    sync: TableSync | None,
    known_alerts: Mapping[str, object],
    now_ms: int,
    blocked: bool,
) -> None:
    timing = pacing.status(order, course, now_ms, blocked)
    level = timing.alert_level
    if level is _NORMAL:
        return
    aid = alert_id(order.id, course.number, level.value)
    if aid in known_alerts:
        return
    template = pacing.template(course)
    out.alerts.append(
        TimingAlert(
            id=aid,
            order_id=order.id,
            course_number=course.number,
            course_name=course.name,
            alert_level=level.value,
            message=_message(level, timing.delay_minutes),
            course_id=course.template_id or (template.id if template else None),
            table_name=sync.table_id if sync is not None else _table_of(order),
            delay_minutes=timing.delay_minutes,
        )
    )


def _table_of(order: Order) -> str | None:
    for key in ("table", "tableName", "table_name"):
        value = order.fields.get(key)
        if value is not None:
            return str(value)
    return None
