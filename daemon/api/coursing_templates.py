"""Course templates and their timing (/api/v1/coursing/templates…), per shared/seeds/coursing-api.txt.
Reading is for every coursing role; creating, changing and deleting is for managers and owners."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from daemon.api import coursing_state as cs
from daemon.api.context import KITCHEN, STORE
from daemon.api.coursing_views import template_json, timing_json
from daemon.api.responses import json_response, read_json
from daemon.domain import templates as t
from daemon.domain.coursing import minutes
from daemon.domain.errors import ValidationFailed
from daemon.domain.templates import TEMPLATES, CourseTiming, Template, TemplateBook

routes = web.RouteTableDef()
BASE = "/api/v1/coursing/templates"
NAME_MAX = 100
COLOR_MAX = 32
DISPLAY_ORDER_MAX = 99


def _fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The template fields a body gives, checked; on update only the ones given."""
    out: dict[str, Any] = {}
    if "name" in body or creating:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
            raise ValidationFailed(f"name must be a non-empty string of at most {NAME_MAX} characters", field="name")
        out["name"] = name.strip()
    if "display_order" in body or creating:
        order = body.get("display_order")
        if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= DISPLAY_ORDER_MAX:
            raise ValidationFailed(
                f"display_order must be a whole number from 1 to {DISPLAY_ORDER_MAX}", field="display_order"
            )
        out["display_order"] = order
    if "default_delay_minutes" in body:
        out["default_delay_minutes"] = minutes(body["default_delay_minutes"], "default_delay_minutes", allow_none=False)
    for flag in ("auto_fire", "hold_by_default", "is_active"):
        if flag in body:
            if not isinstance(body[flag], bool):
                raise ValidationFailed(f"{flag} must be true or false", field=flag)
            out[flag] = body[flag]
    if "display_color" in body:
        color = body["display_color"]
        if color is not None and (not isinstance(color, str) or len(color) > COLOR_MAX):
            raise ValidationFailed(
                f"display_color must be a string of at most {COLOR_MAX} characters", field="display_color"
            )
        out["display_color"] = color
    return out


def _book(request: web.Request) -> TemplateBook:
    return cs.templates(request.app[STORE], cs.location(request))


def _answer(request: web.Request, template: Template, status: int = 200) -> web.Response:
    kitchen = request.app[KITCHEN]
    return json_response(template_json(template, kitchen.tenant_id, kitchen.location_id), status=status)


@routes.post(BASE)
async def create_template(request: web.Request) -> web.Response:
    actor = cs.actor(request, cs.MANAGE)
    body = cs.body_object(await read_json(request))
    location = cs.check_location(request, body.get("location_id"))
    fields = {"id": str(uuid.uuid4()), **_fields(body, creating=True)}
    book, _ = await request.app[STORE].execute(TEMPLATES, location, lambda _: t.create(location, fields), actor)
    return _answer(request, book.templates[fields["id"]], 201)


@routes.get(BASE)
async def list_templates(request: web.Request) -> web.Response:
    cs.actor(request)
    cs.check_location(request, request.query.get("location_id"))
    active_only = cs.query_bool(request, "active_only", True)
    kitchen = request.app[KITCHEN]
    listed = _book(request).listed(active_only)
    return json_response([template_json(x, kitchen.tenant_id, kitchen.location_id) for x in listed])


@routes.get(BASE + "/{template_id}")
async def get_template(request: web.Request) -> web.Response:
    cs.actor(request)
    return _answer(request, t.get(_book(request), request.match_info["template_id"]))


@routes.put(BASE + "/{template_id}")
async def update_template(request: web.Request) -> web.Response:
    actor = cs.actor(request, cs.MANAGE)
    template_id = request.match_info["template_id"]
    t.get(_book(request), template_id)  # 404 before a 400 about the body
    body = cs.body_object(await read_json(request))
    changes = _fields(body, creating=False)
    location = cs.location(request)
    book, _ = await request.app[STORE].execute(
        TEMPLATES, location, lambda b: t.update(b, location, template_id, changes) if changes else None, actor
    )
    return _answer(request, t.get(book, template_id))


@routes.delete(BASE + "/{template_id}")
async def delete_template(request: web.Request) -> web.Response:
    actor = cs.actor(request, cs.MANAGE)
    template_id = request.match_info["template_id"]
    location = cs.location(request)
    t.get(_book(request), template_id)
    await request.app[STORE].execute(TEMPLATES, location, lambda b: t.delete(b, location, template_id), actor)
    return web.Response(status=204)


@routes.get(BASE + "/{template_id}/timing")
async def get_timing(request: web.Request) -> web.Response:
    cs.actor(request)
    return json_response(timing_json(t.get(_book(request), request.match_info["template_id"]).timing))


_TIMING_FIELDS = ("min_gap_minutes", "target_gap_minutes", "max_gap_minutes", "prep_time_minutes", "hold_time_minutes")


@routes.put(BASE + "/{template_id}/timing")
async def set_timing(request: web.Request) -> web.Response:
    actor = cs.actor(request, cs.MANAGE)
    template_id = request.match_info["template_id"]
    t.get(_book(request), template_id)
    body = cs.body_object(await read_json(request))
    values = {name: minutes(body.get(name), name) for name in _TIMING_FIELDS}
    low, target, high = values["min_gap_minutes"], values["target_gap_minutes"], values["max_gap_minutes"]
    if low is not None and high is not None and low > high:
        raise ValidationFailed("min_gap_minutes must not be more than max_gap_minutes", field="min_gap_minutes")
    if target is not None and ((low is not None and target < low) or (high is not None and target > high)):
        raise ValidationFailed("target_gap_minutes must lie between min and max gap", field="target_gap_minutes")
    timing = CourseTiming(**values)
    location = cs.location(request)
    book, _ = await request.app[STORE].execute(
        TEMPLATES, location, lambda b: t.set_timing(b, location, template_id, timing), actor
    )
    return json_response(timing_json(t.get(book, template_id).timing))
