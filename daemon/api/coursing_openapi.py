"""The coursing API's part of the OpenAPI document: its paths and the shapes of shared/seeds/coursing-api.txt."""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}
_ERRORS = {
    str(code): {"description": text, "content": {"application/json": {"schema": _ERROR}}}
    for code, text in (
        (400, "invalid request (INVALID_COURSE_NUMBER, or a field named in the message)"),
        (401, "missing or invalid credentials"),
        (403, "not one of the coursing roles (templates and config: manager, owner)"),
        (404, "TEMPLATE_NOT_FOUND, ORDER_NOT_FOUND, COURSE_NOT_FOUND, TABLE_SYNC_NOT_FOUND, ORDER_NOT_IN_SYNC, "
         "ALERT_NOT_FOUND"),
        (409, "COURSE_ALREADY_FIRED, COURSE_ALREADY_COMPLETE, COURSE_NOT_FIRED, COURSE_ALREADY_SERVED, …"),
    )
}  # fmt: skip

_INT = {"type": "integer"}
_INT_OR_NULL = {"type": ["integer", "null"]}
_STR = {"type": "string"}
_STR_OR_NULL = {"type": ["string", "null"]}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_BOOL = {"type": "boolean"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


def _path(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or _STR}


def _query(name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema}


_ORDER = _path("order_id")
_COURSE = _path("course_number", {"type": "integer", "minimum": 1})
_TEMPLATE = _path("template_id")
_TABLE = _path("table_id")
_LOCATION = _path("location_id")
_ALERT = _path("alert_id")


def _op(
    summary: str,
    ok: int,
    answer: dict[str, Any] | None,
    parameters: list[dict[str, Any]],
    body: dict[str, Any] | None = None,
    body_required: bool = True,
) -> dict[str, Any]:
    response: dict[str, Any] = {"description": "success"}
    if answer is not None:
        response["content"] = {"application/json": {"schema": answer}}
    op: dict[str, Any] = {
        "tags": ["coursing"],
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": parameters,
        "responses": {str(ok): response, **_ERRORS},
    }
    if body is not None:
        op["requestBody"] = {"required": body_required, "content": {"application/json": {"schema": body}}}
    return op


TEMPLATE_FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": 100},
    "display_order": {"type": "integer", "minimum": 1, "maximum": 99},
    "default_delay_minutes": {"type": "integer", "minimum": 0, "maximum": 1440},
    "auto_fire": _BOOL,
    "hold_by_default": _BOOL,
    "display_color": {"type": ["string", "null"], "maxLength": 32},
    "is_active": _BOOL,
}
_MINUTES_OR_NULL = {"type": ["integer", "null"], "minimum": 0, "maximum": 1440}
TIMING = _obj({k: _MINUTES_OR_NULL for k in (
    "min_gap_minutes", "target_gap_minutes", "max_gap_minutes", "prep_time_minutes", "hold_time_minutes")})  # fmt: skip
CONFIG_FIELDS = {
    "default_course_delay": {"type": "integer", "minimum": 0, "maximum": 1440},
    "auto_fire_enabled": _BOOL,
    "table_sync_enabled": _BOOL,
    "rush_mode_multiplier": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
    "rush_mode_active": _BOOL,
}


# The fields that name one course of one order, first in both the course and its timing alert.
_COURSE_OF_ORDER = {
    "id": _STR,
    "tenant_id": _STR,
    "location_id": _STR,
    "order_id": _STR,
    "course_id": _STR_OR_NULL,
    "course_number": _INT,
    "course_name": _STR,
}


def schemas() -> dict[str, Any]:
    status = {"enum": ["held", "fired", "in_progress", "complete", "skipped"]}
    return {
        "CourseTemplate": _obj(
            {
                "id": _STR,
                "tenant_id": _STR,
                "location_id": _STR,
                **TEMPLATE_FIELDS,
                "created_at": _TIME,
                "updated_at": _TIME,
            }
        ),
        "CourseTemplateCreate": _obj(
            {"location_id": _STR, **TEMPLATE_FIELDS}, ["location_id", "name", "display_order"]
        ),
        "CourseTemplateUpdate": _obj(dict(TEMPLATE_FIELDS)),
        "CourseTiming": TIMING,
        "OrderCourse": _obj(
            {
                **_COURSE_OF_ORDER,
                "status": status,
                "fire_at": _TIME,
                "fired_at": _TIME,
                "completed_at": _TIME,
                "fired_by": _STR_OR_NULL,
                "hold_reason": _STR_OR_NULL,
                "notes": _STR_OR_NULL,
                "item_count": _INT,
                "items_completed": _INT,
                "created_at": _TIME,
                "updated_at": _TIME,
                "ready_at": _TIME,
                "served_at": _TIME,
            }
        ),
        "CourseOverview": _obj(
            {
                "order_id": _STR,
                "courses": {
                    "type": "array",
                    "items": _obj(
                        {
                            "course_number": _INT,
                            "course_name": _STR,
                            "status": status,
                            "item_count": _INT,
                            "items_completed": _INT,
                            "fire_at": _TIME,
                            "fired_at": _TIME,
                            "completed_at": _TIME,
                        }
                    ),
                },
                "current_course": _INT_OR_NULL,
                "total_courses": _INT,
                "all_complete": _BOOL,
            }
        ),
        "TimingStatus": _obj(
            {
                "scheduled_fire_time": _TIME,
                "estimated_ready_time": _TIME,
                "is_on_time": _BOOL,
                "delay_minutes": _INT_OR_NULL,
                "alert_level": {"enum": ["normal", "warning", "critical", "blocked"]},
            }
        ),
        "CourseTimingConfig": _obj({"tenant_id": _STR, "location_id": _STR, **CONFIG_FIELDS}),
        "CourseTimingConfigUpdate": _obj(dict(CONFIG_FIELDS)),
        "MealPace": _obj(
            {
                "order_id": _STR,
                "pace": {"enum": ["leisurely", "normal", "quick", "custom"]},
                "custom_gap_minutes": _INT_OR_NULL,
                "set_by": _STR_OR_NULL,
                "set_at": _TIME,
            }
        ),
        "TableCourseSync": _obj(
            {
                "id": _STR,
                "tenant_id": _STR,
                "location_id": _STR,
                "table_id": _STR,
                "current_course": _INT,
                "order_ids": {"type": "array", "items": _STR},
                "current_course_complete": _BOOL,
                "course_started_at": _TIME,
                "next_fire_at": _TIME,
                "created_at": _TIME,
                "updated_at": _TIME,
            }
        ),
        "TableSyncStatus": _obj(
            {
                "table_id": _STR,
                "current_course": _INT,
                "orders": {
                    "type": "array",
                    "items": _obj({"order_id": _STR, "current_course_status": _STR_OR_NULL, "is_ready": _BOOL}),
                },
                "all_orders_ready": _BOOL,
                "next_fire_at": _TIME,
            }
        ),
        "TimingAlert": _obj(
            {
                **_COURSE_OF_ORDER,
                "table_name": _STR_OR_NULL,
                "alert_level": {"enum": ["warning", "critical", "blocked"]},
                "message": _STR,
                "delay_minutes": _INT_OR_NULL,
                "acknowledged": _BOOL,
                "acknowledged_by": _STR_OR_NULL,
                "acknowledged_at": _TIME,
                "created_at": _TIME,
            }
        ),
    }


def paths() -> dict[str, Any]:
    c = "/api/v1/coursing"
    o = f"{c}/orders/{{order_id}}"
    course = _ref("OrderCourse")
    courses = {"type": "array", "items": course}
    number = {"type": "integer", "minimum": 1}
    sync_status = _ref("TableSyncStatus")
    return {
        f"{c}/templates": {
            "post": _op("Create a course template (manager, owner)", 201, _ref("CourseTemplate"), [],
                        _ref("CourseTemplateCreate")),
            "get": _op("List a location's course templates", 200, {"type": "array", "items": _ref("CourseTemplate")},
                       [_query("location_id", _STR, True), _query("active_only", _BOOL)]),
        },
        f"{c}/templates/{{template_id}}": {
            "get": _op("A course template", 200, _ref("CourseTemplate"), [_TEMPLATE]),
            "put": _op("Update a template: only the fields given change (manager, owner)", 200,
                       _ref("CourseTemplate"), [_TEMPLATE], _ref("CourseTemplateUpdate")),
            "delete": _op("Soft-delete a template (inactive) (manager, owner)", 204, None, [_TEMPLATE]),
        },
        f"{c}/templates/{{template_id}}/timing": {
            "get": _op("A template's timing, or null", 200, {"oneOf": [_ref("CourseTiming"), {"type": "null"}]},
                       [_TEMPLATE]),
            "put": _op("Set a template's timing (manager, owner)", 200, _ref("CourseTiming"), [_TEMPLATE],
                       _ref("CourseTiming")),
        },
        f"{o}/courses": {"get": _op("An order's courses", 200, courses, [_ORDER])},
        f"{o}/courses/overview": {"get": _op("An order's course overview", 200, _ref("CourseOverview"), [_ORDER])},
        f"{o}/courses/fire": {
            "post": _op("Fire a held course: its tickets go held → pending", 200, course, [_ORDER],
                        _obj({"course_number": number, "notes": _STR_OR_NULL}, ["course_number"])),
        },
        f"{o}/courses/hold": {
            "post": _op("Hold a course", 200, course, [_ORDER],
                        _obj({"course_number": number, "reason": _STR_OR_NULL}, ["course_number"])),
        },
        f"{o}/courses/fire-all": {
            "post": _op("Fire every held course; delay_minutes staggers them", 200, courses, [_ORDER],
                        _obj({"delay_minutes": _MINUTES_OR_NULL}), body_required=False),
        },
        f"{o}/courses/{{course_number}}/skip": {"post": _op("Skip a course", 200, course, [_ORDER, _COURSE])},
        f"{o}/courses/{{course_number}}/complete": {
            "post": _op("Complete a course (its items ready)", 200, course, [_ORDER, _COURSE])
        },
        f"{o}/courses/{{course_number}}/progress": {
            "put": _op("Set items_completed; all → complete", 200, course, [_ORDER, _COURSE],
                       _obj({"items_completed": {"type": "integer", "minimum": 0}}, ["items_completed"])),
        },
        f"{o}/courses/{{course_number}}/ready": {"post": _op("Ready at the pass", 200, course, [_ORDER, _COURSE])},
        f"{o}/courses/{{course_number}}/served": {"post": _op("Served to the table", 200, course, [_ORDER, _COURSE])},
        f"{o}/courses/{{course_number}}/timing-status": {
            "get": _op("A course's timing status and alert level", 200, _ref("TimingStatus"), [_ORDER, _COURSE])
        },
        f"{o}/pace": {
            "get": _op("An order's meal pace", 200, _ref("MealPace"), [_ORDER]),
            "put": _op("Set the meal pace", 200, _ref("MealPace"), [_ORDER],
                       _obj({"pace": {"enum": ["leisurely", "normal", "quick", "custom"]},
                             "custom_gap_minutes": _MINUTES_OR_NULL, "location_id": _STR_OR_NULL}, ["pace"])),
        },
        f"{c}/tables": {
            "post": _op("Sync a table's orders", 201, _ref("TableCourseSync"), [],
                        _obj({"location_id": _STR, "table_id": _STR, "order_ids": {"type": "array", "items": _STR}},
                             ["location_id", "table_id", "order_ids"])),
        },
        f"{c}/tables/{{table_id}}": {
            "get": _op("A table's sync status", 200, sync_status, [_TABLE]),
            "delete": _op("End a table's sync", 204, None, [_TABLE]),
        },
        f"{c}/tables/{{table_id}}/orders/{{order_id}}": {
            "post": _op("Add an order to the table", 200, _ref("TableCourseSync"), [_TABLE, _ORDER]),
            "delete": _op("Remove an order from the table", 200, _ref("TableCourseSync"), [_TABLE, _ORDER]),
        },
        f"{c}/tables/{{table_id}}/fire/{{course_number}}": {
            "post": _op("Fire a course for every order of the table", 200, sync_status, [_TABLE, _COURSE])
        },
        f"{c}/tables/{{table_id}}/advance": {
            "post": _op("Advance the table when every order is ready; null otherwise", 200,
                        {"oneOf": [sync_status, {"type": "null"}]}, [_TABLE])
        },
        f"{c}/config/{{location_id}}": {
            "get": _op("A location's timing config", 200, _ref("CourseTimingConfig"), [_LOCATION]),
            "put": _op("Update the timing config (manager, owner)", 200, _ref("CourseTimingConfig"), [_LOCATION],
                       _ref("CourseTimingConfigUpdate")),
        },
        f"{c}/config/{{location_id}}/rush": {
            "post": _op("Rush mode on or off (manager, owner)", 200, _ref("CourseTimingConfig"), [_LOCATION],
                        _obj({"enabled": _BOOL}, ["enabled"])),
        },
        f"{c}/alerts": {
            "get": _op("A location's timing alerts", 200, {"type": "array", "items": _ref("TimingAlert")},
                       [_query("location_id", _STR, True), _query("include_acknowledged", _BOOL)]),
        },
        f"{c}/alerts/{{alert_id}}/acknowledge": {
            "post": _op("Acknowledge an alert", 200, _ref("TimingAlert"), [_ALERT])
        },
    }  # fmt: skip
