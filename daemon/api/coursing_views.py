"""The coursing API's shapes (shared/seeds/coursing-api.txt): order courses, overviews, timing status,
templates, timing config, meal pace, table sync status and alerts, exactly as the seed names them."""

from __future__ import annotations

import uuid
from typing import Any

from daemon.api.timestamps import iso
from daemon.domain.course_fold import counts
from daemon.domain.events import Event
from daemon.domain.model import Course, CourseStatus, Order
from daemon.domain.pacing import Pacing
from daemon.domain.table_sync import SyncBook, TableSync
from daemon.domain.templates import CourseTiming, Template, TemplateBook
from daemon.domain.timing_alerts import AlertBook, TimingAlert
from daemon.domain.timing_config import TimingConfig
from daemon.domain.values import name_uuid

_COURSE_NS = uuid.UUID("5e2b8f0c-7a3d-4c91-8f6e-1b9d0a4c7e35")


def order_course_id(order_id: str, number: int) -> str:
    return name_uuid(_COURSE_NS, f"{order_id}\x1f{number}")


def fire_at(order: Order, course: Course, pacing: Pacing) -> int | None:
    """A held course's scheduled fire time (the clock's, a stagger's, or the pace's suggestion for one held
    for a person); a fired course's, when it was scheduled."""
    if course.status is CourseStatus.HELD:
        return pacing.scheduled_fire_ms(order, course)
    return course.fire_at_ms


def order_course_json(order: Order, course: Course, pacing: Pacing, tenant_id: str, location_id: str) -> dict[str, Any]:
    item_count, items_completed = counts(order, course.number)
    template = pacing.template(course)
    return {
        "id": order_course_id(order.id, course.number),
        "tenant_id": tenant_id,
        "location_id": location_id,
        "order_id": order.id,
        "course_id": course.template_id or (template.id if template else None),
        "course_number": course.number,
        "course_name": course.name,
        "status": course.status.value,
        "fire_at": iso(fire_at(order, course, pacing)),
        "fired_at": iso(course.fired_ms),
        "completed_at": iso(course.completed_ms),
        "fired_by": course.fired_by,
        "hold_reason": course.hold_reason,
        "notes": course.notes,
        "item_count": item_count,
        "items_completed": items_completed,
        "created_at": iso(order.created_ms),
        "updated_at": iso(course.updated_ms or order.updated_ms),
        # Heard's own, beside the seed's: the pass and the table.
        "ready_at": iso(course.ready_ms),
        "served_at": iso(course.served_ms),
    }


def courses_of(order: Order) -> list[Course]:
    return [order.courses[n] for n in sorted(order.courses)]


def overview_json(order: Order, pacing: Pacing) -> dict[str, Any]:
    courses = courses_of(order)
    rows = []
    for c in courses:
        item_count, items_completed = counts(order, c.number)
        rows.append(
            {
                "course_number": c.number,
                "course_name": c.name,
                "status": c.status.value,
                "item_count": item_count,
                "items_completed": items_completed,
                "fire_at": iso(fire_at(order, c, pacing)),
                "fired_at": iso(c.fired_ms),
                "completed_at": iso(c.completed_ms),
            }
        )
    open_courses = [c for c in courses if c.status not in (CourseStatus.COMPLETE, CourseStatus.SKIPPED)]
    # The current course is the first the table is still waiting for; with all done, the last one.
    current = open_courses[0].number if open_courses else (courses[-1].number if courses else None)
    return {
        "order_id": order.id,
        "courses": rows,
        "current_course": current,
        "total_courses": len(courses),
        "all_complete": not open_courses,
    }


def timing_status_json(order: Order, course: Course, pacing: Pacing, now_ms: int, blocked: bool) -> dict[str, Any]:
    status = pacing.status(order, course, now_ms, blocked)
    return {
        "scheduled_fire_time": iso(status.scheduled_fire_ms),
        "estimated_ready_time": iso(status.estimated_ready_ms),
        "is_on_time": status.is_on_time,
        "delay_minutes": status.delay_minutes,
        "alert_level": status.alert_level.value,
    }


def template_json(t: Template, tenant_id: str, location_id: str) -> dict[str, Any]:
    return {
        "id": t.id,
        "tenant_id": tenant_id,
        "location_id": location_id,
        "name": t.name,
        "display_order": t.display_order,
        "default_delay_minutes": t.default_delay_minutes,
        "auto_fire": t.auto_fire,
        "hold_by_default": t.hold_by_default,
        "display_color": t.display_color,
        "is_active": t.is_active,
        "created_at": iso(t.created_ms),
        "updated_at": iso(t.updated_ms),
    }


def timing_json(timing: CourseTiming | None) -> dict[str, Any] | None:
    if timing is None:
        return None
    return {
        "min_gap_minutes": timing.min_gap_minutes,
        "target_gap_minutes": timing.target_gap_minutes,
        "max_gap_minutes": timing.max_gap_minutes,
        "prep_time_minutes": timing.prep_time_minutes,
        "hold_time_minutes": timing.hold_time_minutes,
    }


def config_json(config: TimingConfig, tenant_id: str, location_id: str) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "location_id": location_id,
        "default_course_delay": config.default_course_delay,
        "auto_fire_enabled": config.auto_fire_enabled,
        "table_sync_enabled": config.table_sync_enabled,
        "rush_mode_multiplier": config.rush_mode_multiplier,
        "rush_mode_active": config.rush_mode_active,
    }


def pace_json(order: Order) -> dict[str, Any]:
    pace = order.pace
    return {
        "order_id": order.id,
        "pace": pace.pace if pace else "normal",
        "custom_gap_minutes": pace.custom_gap_minutes if pace else None,
        "set_by": pace.set_by if pace else None,
        "set_at": iso(pace.set_ms) if pace else None,
    }


def sync_json(sync: TableSync, tenant_id: str, location_id: str, complete: bool) -> dict[str, Any]:
    return {
        "id": sync.id,
        "tenant_id": tenant_id,
        "location_id": location_id,
        "table_id": sync.table_id,
        "current_course": sync.current_course,
        "order_ids": list(sync.order_ids),
        "current_course_complete": complete,
        "course_started_at": iso(sync.course_started_ms),
        "next_fire_at": iso(sync.next_fire_ms),
        "created_at": iso(sync.created_ms),
        "updated_at": iso(sync.updated_ms),
    }


_READY = (CourseStatus.COMPLETE, CourseStatus.SKIPPED)


def order_readiness(order: Order | None, number: int) -> tuple[str | None, bool]:
    """An order's status at the table's current course, and whether it is ready to move on. An order
    without that course (or no longer held here) has nothing to wait for."""
    if order is None or order.canceled:
        return None, True
    course = order.courses.get(number)
    if course is None:
        return None, True
    return course.status.value, course.status in _READY


def sync_status_json(sync: TableSync, orders: dict[str, Order | None]) -> dict[str, Any]:
    rows = []
    for oid in sync.order_ids:
        status, ready = order_readiness(orders.get(oid), sync.current_course)
        rows.append({"order_id": oid, "current_course_status": status, "is_ready": ready})
    return {
        "table_id": sync.table_id,
        "current_course": sync.current_course,
        "orders": rows,
        "all_orders_ready": all(r["is_ready"] for r in rows),
        "next_fire_at": iso(sync.next_fire_ms),
    }


def sync_complete(sync: TableSync, orders: dict[str, Order | None]) -> bool:
    return all(order_readiness(orders.get(oid), sync.current_course)[1] for oid in sync.order_ids)


def alert_json(alert: TimingAlert, tenant_id: str, location_id: str) -> dict[str, Any]:
    return {
        "id": alert.id,
        "tenant_id": tenant_id,
        "location_id": location_id,
        "order_id": alert.order_id,
        "course_id": alert.course_id,
        "course_number": alert.course_number,
        "course_name": alert.course_name,
        "table_name": alert.table_name,
        "alert_level": alert.alert_level,
        "message": alert.message,
        "delay_minutes": alert.delay_minutes,
        "acknowledged": alert.acknowledged,
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": iso(alert.acknowledged_ms),
        "created_at": iso(alert.created_ms),
    }


def coursing_message(event: Event, state: Any, tenant_id: str, location_id: str) -> dict[str, Any] | None:
    """What a live message of a coursing aggregate carries: the alert, template, config or table sync as
    the REST API answers it; None for other aggregates."""
    p = event.payload
    if isinstance(state, AlertBook):
        alert = state.alerts.get(str(p.get("alert_id") or (p.get("alert") or {}).get("id")))
        return alert_json(alert, tenant_id, location_id) if alert is not None else {"alert_id": p.get("alert_id")}
    if isinstance(state, TemplateBook):
        template = state.templates.get(str(p.get("template_id") or (p.get("template") or {}).get("id")))
        return template_json(template, tenant_id, location_id) if template is not None else {}
    if isinstance(state, TimingConfig):
        return config_json(state, tenant_id, location_id)
    if isinstance(state, SyncBook):
        sync = state.syncs.get(str(p.get("table_id")))
        if sync is None:
            return {"table_id": p.get("table_id"), "deleted": True}
        return sync_json(sync, tenant_id, location_id, False) | {"current_course_complete": None}
    return None
