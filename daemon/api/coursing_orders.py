"""The coursing API's order courses and meal pace (/api/v1/coursing/orders/{order_id}/…), per
shared/seeds/coursing-api.txt. Handlers parse, run one domain command through the store, and shape the
answer; the rules live in daemon.domain.coursing and the fold."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from daemon.api import coursing_state as cs
from daemon.api.context import KITCHEN, STORE
from daemon.api.coursing_views import courses_of, order_course_json, overview_json, pace_json, timing_status_json
from daemon.api.responses import json_response, read_json
from daemon.domain import coursing
from daemon.domain.clock_plan import blocked
from daemon.domain.errors import ValidationFailed
from daemon.domain.events import ORDER, Change
from daemon.domain.model import Order

routes = web.RouteTableDef()
BASE = "/api/v1/coursing/orders/{order_id}"


async def _order(request: web.Request) -> Order:
    order_id = request.match_info["order_id"]
    order: Order | None = await request.app[STORE].load(ORDER, order_id)
    return coursing.existing(order, order_id)


def _course_json(request: web.Request, order: Order, number: int) -> dict[str, Any]:
    kitchen = request.app[KITCHEN]
    pacing = cs.pacing(request.app[STORE], kitchen.location_id)
    return order_course_json(order, order.courses[number], pacing, kitchen.tenant_id, kitchen.location_id)


async def _run(request: web.Request, decide: Callable[[Order], Change | list[Change] | None]) -> Order:
    order_id = request.match_info["order_id"]
    actor = cs.actor(request)

    def checked(state: Order | None) -> Change | list[Change] | None:
        return decide(coursing.existing(state, order_id))

    order, _ = await request.app[STORE].execute(ORDER, order_id, checked, actor)
    result: Order = order
    return result


async def _body(request: web.Request, required: bool = True) -> dict[str, Any]:
    if not required and not request.body_exists:
        return {}
    return cs.body_object(await read_json(request))


@routes.get(BASE + "/courses")
async def list_courses(request: web.Request) -> web.Response:
    cs.actor(request)
    order = await _order(request)
    return json_response([_course_json(request, order, c.number) for c in courses_of(order)])


@routes.get(BASE + "/courses/overview")
async def overview(request: web.Request) -> web.Response:
    cs.actor(request)
    order = await _order(request)
    return json_response(overview_json(order, cs.pacing(request.app[STORE], cs.location(request))))


@routes.post(BASE + "/courses/fire")
async def fire(request: web.Request) -> web.Response:
    cs.actor(request)
    body = await _body(request)
    number = coursing.course_number(body.get("course_number"))
    notes = coursing.optional_text(body.get("notes"), "notes")
    by = cs.sub(request)
    order = await _run(request, lambda o: coursing.fire(o, number, by, notes))
    return json_response(_course_json(request, order, number))


@routes.post(BASE + "/courses/hold")
async def hold(request: web.Request) -> web.Response:
    cs.actor(request)
    body = await _body(request)
    number = coursing.course_number(body.get("course_number"))
    reason = coursing.optional_text(body.get("reason"), "reason")
    order = await _run(request, lambda o: coursing.hold(o, number, reason))
    return json_response(_course_json(request, order, number))


@routes.post(BASE + "/courses/fire-all")
async def fire_all(request: web.Request) -> web.Response:
    cs.actor(request)
    body = await _body(request, required=False)
    delay = coursing.minutes(body.get("delay_minutes"), "delay_minutes")
    by, now = cs.sub(request), cs.now_ms(request)
    touched: list[int] = []

    def decide(order: Order) -> list[Change]:
        changes = coursing.fire_all(order, by, delay, now)
        touched[:] = [int(c.payload["course"]) for c in changes]
        return changes

    order = await _run(request, decide)
    return json_response([_course_json(request, order, n) for n in touched])


def _numbered(request: web.Request) -> int:
    return coursing.course_number(request.match_info["course_number"])


def _course_route(action: str, command: Callable[[Order, int], Change | None]) -> None:
    async def handler(request: web.Request) -> web.Response:
        cs.actor(request)
        number = _numbered(request)
        order = await _run(request, lambda o: command(o, number))
        return json_response(_course_json(request, order, number))

    handler.__name__ = f"course_{action}"
    routes.post(f"{BASE}/courses/{{course_number}}/{action}")(handler)


_course_route("skip", coursing.skip)
_course_route("complete", coursing.complete)
_course_route("ready", coursing.ready)
_course_route("served", coursing.served)


@routes.put(BASE + "/courses/{course_number}/progress")
async def progress(request: web.Request) -> web.Response:
    cs.actor(request)
    number = _numbered(request)
    body = await _body(request)
    if "items_completed" not in body:
        raise ValidationFailed("items_completed is required", field="items_completed")
    wanted = body["items_completed"]
    order = await _run(request, lambda o: coursing.progress(o, number, wanted))
    return json_response(_course_json(request, order, number))


@routes.get(BASE + "/courses/{course_number}/timing-status")
async def timing_status(request: web.Request) -> web.Response:
    cs.actor(request)
    number = _numbered(request)
    order = await _order(request)
    course = coursing.course(order, number)
    store, location = request.app[STORE], cs.location(request)
    pacing = cs.pacing(store, location)
    now = cs.now_ms(request)
    sync = cs.syncs(store, location).of_order().get(order.id)
    orders = {oid: o for oid in sync.order_ids if (o := store.order(oid)) is not None} if sync else {}
    is_blocked = blocked(order, course, pacing, sync, orders, now)
    return json_response(timing_status_json(order, course, pacing, now, is_blocked))


@routes.get(BASE + "/pace")
async def get_pace(request: web.Request) -> web.Response:
    cs.actor(request)
    return json_response(pace_json(await _order(request)))


@routes.put(BASE + "/pace")
async def set_pace(request: web.Request) -> web.Response:
    cs.actor(request)
    body = await _body(request)
    cs.check_location(request, body.get("location_id"), required=False)
    by = cs.sub(request)
    order = await _run(request, lambda o: coursing.set_pace(o, body.get("pace"), body.get("custom_gap_minutes"), by))
    return json_response(pace_json(order))
