"""Coursing in the domain: pacing math, the clock's plan, and facts made twice merging into one."""

from __future__ import annotations

from daemon.domain import coursing
from daemon.domain.clock_plan import plan
from daemon.domain.events import Change, OrderEvents
from daemon.domain.fold import fold
from daemon.domain.model import CourseStatus, MealPace, Order
from daemon.domain.pacing import AlertLevel, Pacing, level_of
from daemon.domain.table_sync import EMPTY_SYNCS
from daemon.domain.templates import CourseTiming, Template, TemplateBook
from daemon.domain.timing_alerts import AlertBook, AlertEvents, TimingAlert, alert_id, alerts_to_json, apply_alerts
from daemon.domain.timing_config import TimingConfig
from tests.daemon.domain.builders import Device, Kitchen, kitchen_with

MIN = 60_000
BOOK = TemplateBook(
    {
        "a": Template("a", "Appetizer", 1, 0, auto_fire=True),
        "e": Template("e", "Entree", 2, 12, auto_fire=True),
        "d": Template("d", "Dessert", 3, 15, hold_by_default=True),
    }
)


def _order() -> tuple[Kitchen, Order]:
    k = Kitchen(kitchen=kitchen_with(BOOK.course_templates))
    body = {
        "id": "o-1",
        "name": "T",
        "time": "2026-01-20T19:00:00.000Z",
        "mode": "For Here",
        "items": [
            {"lineId": "1", "name": "Salad", "qty": 1, "mods": [], "course": "Appetizer"},
            {"lineId": "2", "name": "Steak", "qty": 1, "mods": [], "course": "entree"},
            {"lineId": "3", "name": "Cake", "qty": 1, "mods": [], "course": "Dessert"},
        ],
    }
    return k, k.create(body)


def test_templates_start_courses_held_for_the_clock_or_for_a_person() -> None:
    _, order = _order()

    assert [(c.number, c.status, c.auto, c.template_id) for c in order.courses.values()] == [
        (1, CourseStatus.HELD, True, "a"),
        (2, CourseStatus.HELD, True, "e"),
        (3, CourseStatus.HELD, False, "d"),
    ]


def test_gap_is_target_else_delay_else_location_default_then_pace_then_rush() -> None:
    k, order = _order()
    entree = order.courses[2]
    rushed = Pacing(BOOK, TimingConfig(rush_mode_active=True, rush_mode_multiplier=0.5))
    timing = CourseTiming(target_gap_minutes=10)
    timed = TemplateBook({**BOOK.templates, "e": Template("e", "Entree", 2, 12, True, timing=timing)})

    assert Pacing(BOOK).gap_ms(entree, None) == 12 * MIN
    assert Pacing(timed).gap_ms(entree, None) == 10 * MIN
    assert Pacing(TemplateBook()).gap_ms(entree, None) == 5 * MIN  # the location default
    assert Pacing(BOOK).gap_ms(entree, MealPace("leisurely")) == 17 * MIN
    assert Pacing(BOOK).gap_ms(entree, MealPace("quick")) == 9 * MIN
    assert Pacing(BOOK).gap_ms(entree, MealPace("custom", 8)) == 8 * MIN
    assert rushed.gap_ms(entree, MealPace("leisurely")) == int(8.5 * MIN)


def test_alert_levels() -> None:
    assert [level_of(d) for d in (None, 0, 4, 5, 10, 11)] == [
        AlertLevel.NORMAL,
        AlertLevel.NORMAL,
        AlertLevel.NORMAL,
        AlertLevel.WARNING,
        AlertLevel.WARNING,
        AlertLevel.CRITICAL,
    ]
    assert level_of(0, blocked=True) is AlertLevel.BLOCKED


def test_the_plan_fires_what_is_due_and_nothing_else() -> None:
    k, order = _order()
    at = order.created_ms

    first = plan([order], Pacing(BOOK), EMPTY_SYNCS, {}, at)
    off = plan([order], Pacing(BOOK, TimingConfig(auto_fire_enabled=False)), EMPTY_SYNCS, {}, at + 60 * MIN)

    assert [(f.order_id, f.course) for f in first.fires] == [("o-1", 1)]
    assert off.fires == []


def test_a_fire_made_twice_by_the_clock_is_one_fire() -> None:
    """Two devices compute the same auto-fire: both events are kept, the second merges (no skip)."""
    k, order = _order()
    fire = plan([order], Pacing(BOOK), EMPTY_SYNCS, {}, order.created_ms).fires[0]
    payload = {"course": 1, "by": "kitchen-clock", "fact": fire.fact, "fire_at_ms": fire.fire_at_ms}
    change = Change(OrderEvents.COURSE_FIRED, "order", "o-1", payload)
    other = Device("dev-b", now_ms=k.device.now_ms + 10)
    events = [*k.device.log, k.device.stamp(change), other.stamp(change)]

    folded = fold(events)

    assert folded.skipped == ()
    assert folded.state is not None and folded.state.courses[1].status is CourseStatus.FIRED
    assert folded.state.courses[1].fired_ms == events[-2].at_ms


def test_an_alert_raised_twice_is_one_alert() -> None:
    aid = alert_id("o-1", 2, "warning")
    alert = TimingAlert(aid, "o-1", 2, "Entree", "warning", "Course is 7 minutes delayed", delay_minutes=7)
    device, other = Device("dev-a"), Device("dev-b")
    payload = {"alert": {k: v for k, v in alerts_to_json_one(alert).items() if k != "created_ms"}}
    change = Change(AlertEvents.RAISED, "timing_alerts", "loc", payload)

    state = apply_alerts(None, device.stamp(change))
    again = apply_alerts(state, other.stamp(change))

    assert again == state and list(again.alerts) == [aid]


def alerts_to_json_one(alert: TimingAlert) -> dict[str, object]:
    rows = alerts_to_json(AlertBook({alert.id: alert}))["alerts"]
    assert isinstance(rows, list)
    row: dict[str, object] = rows[0]
    return row


def test_fire_all_staggers_the_held_courses() -> None:
    _, order = _order()

    changes = coursing.fire_all(order, "server", 5, 1_000_000)

    assert [(c.type, c.payload.get("fire_at_ms")) for c in changes] == [
        (OrderEvents.COURSE_FIRED, None),
        (OrderEvents.COURSE_SCHEDULED, 1_000_000 + 5 * MIN),
        (OrderEvents.COURSE_SCHEDULED, 1_000_000 + 10 * MIN),
    ]


def test_a_persons_hold_takes_the_course_from_the_clock() -> None:
    k, order = _order()

    held = k.do(coursing.hold(order, 2, "guest stepped away"))

    assert (held.courses[2].auto, held.courses[2].hold_reason) == (False, "guest stepped away")
    due = plan([held], Pacing(BOOK), EMPTY_SYNCS, {}, held.created_ms + 99 * MIN)
    assert [f.course for f in due.fires] == [1]
