"""Course templates of a location, with their per-template timing: an aggregate (one per location) folded
from events, so a manager's template reaches every device the way an order does (coursing seed).

Active templates decide an item's course name, number (display_order) and default hold/auto-fire
(ARCHITECTURE §4 rule 2); with none defined, the built-in Appetizer/Entree/Dessert apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import msgspec

from daemon.domain.courses import DEFAULT_TEMPLATES
from daemon.domain.errors import Conflict, InvalidEvent, NotFound
from daemon.domain.events import Change, Event
from daemon.domain.model import CourseTemplate
from daemon.domain.values import evolve

TEMPLATES = "course_templates"


class TemplateEvents:
    CREATED = "course_template.created"
    UPDATED = "course_template.updated"
    DELETED = "course_template.deleted"
    TIMING_SET = "course_template.timing_set"


class TemplateNotFound(NotFound):
    code = "TEMPLATE_NOT_FOUND"


class CourseTiming(msgspec.Struct, frozen=True, gc=False):
    """Fine-grained timing of one template's course (minutes; any may be absent)."""

    min_gap_minutes: int | None = None
    target_gap_minutes: int | None = None
    max_gap_minutes: int | None = None
    prep_time_minutes: int | None = None
    hold_time_minutes: int | None = None


class Template(msgspec.Struct, frozen=True, gc=False):
    id: str
    name: str
    display_order: int
    default_delay_minutes: int = 0
    auto_fire: bool = False
    hold_by_default: bool = False
    display_color: str | None = None
    is_active: bool = True
    created_ms: int = 0
    updated_ms: int = 0
    timing: CourseTiming | None = None


EDITABLE = (
    "name",
    "display_order",
    "default_delay_minutes",
    "auto_fire",
    "hold_by_default",
    "display_color",
    "is_active",
)


class TemplateBook(msgspec.Struct, frozen=True, dict=True):
    """Every template a location has had (deleted ones stay, inactive: a soft delete)."""

    templates: Mapping[str, Template] = msgspec.field(default_factory=dict)

    def listed(self, active_only: bool) -> list[Template]:
        found = [t for t in self.templates.values() if t.is_active or not active_only]
        return sorted(found, key=lambda t: (t.display_order, t.created_ms, t.id))

    @cached_property
    def course_templates(self) -> tuple[CourseTemplate, ...]:
        """What intake numbers and names courses by: the active templates, one per display_order (the
        oldest wins a tie), or the built-in ones when the location has none."""
        chosen: dict[int, Template] = {}
        for t in self.listed(active_only=True):
            chosen.setdefault(t.display_order, t)
        if not chosen:
            return DEFAULT_TEMPLATES
        return tuple(
            CourseTemplate(t.display_order, t.name, t.hold_by_default, t.auto_fire, t.default_delay_minutes, id=t.id)
            for t in chosen.values()
        )

    @cached_property
    def active_by_number(self) -> dict[int, Template]:
        by_number: dict[int, Template] = {}
        for t in self.listed(active_only=True):
            by_number.setdefault(t.display_order, t)
        return by_number

    def for_course(self, template_id: str | None, number: int) -> Template | None:
        """A course's template: the one it was made from, else the active one at its number."""
        if template_id is not None and template_id in self.templates:
            return self.templates[template_id]
        return self.active_by_number.get(number)


EMPTY_BOOK = TemplateBook()


def book_to_json(book: TemplateBook) -> dict[str, Any]:
    return {"templates": [msgspec.to_builtins(t) for t in book.templates.values()]}


def book_from_json(data: Mapping[str, Any]) -> TemplateBook:
    templates = [msgspec.convert(t, Template) for t in data.get("templates", ())]
    return TemplateBook({t.id: t for t in templates})


def _template(book: TemplateBook, template_id: str) -> Template:
    found = book.templates.get(template_id)
    if found is None:
        raise TemplateNotFound(f"course template {template_id} not found")
    return found


def apply_templates(state: TemplateBook | None, event: Event) -> TemplateBook:
    book = state or EMPTY_BOOK
    p = event.payload
    at = event.at_ms
    if event.type == TemplateEvents.CREATED:
        fields = dict(p["template"])
        if fields["id"] in book.templates:
            raise Conflict(f"course template {fields['id']} already exists", code="TEMPLATE_EXISTS")
        template = msgspec.convert({**fields, "created_ms": at, "updated_ms": at}, Template)
    elif event.type == TemplateEvents.UPDATED:
        old = _template(book, str(p["template_id"]))
        changes = {k: v for k, v in p["changes"].items() if k in EDITABLE}
        template = msgspec.convert({**msgspec.to_builtins(old), **changes, "updated_ms": at}, Template)
    elif event.type == TemplateEvents.DELETED:
        template = evolve(_template(book, str(p["template_id"])), is_active=False, updated_ms=at)
    elif event.type == TemplateEvents.TIMING_SET:
        timing = msgspec.convert(p["timing"], CourseTiming)
        template = evolve(_template(book, str(p["template_id"])), timing=timing, updated_ms=at)
    else:
        raise InvalidEvent(f"unknown event type {event.type!r}", code="UNKNOWN_EVENT")
    return TemplateBook({**book.templates, template.id: template})


def create(location_id: str, fields: Mapping[str, Any]) -> Change:
    return Change(TemplateEvents.CREATED, TEMPLATES, location_id, {"template": dict(fields)})


def update(book: TemplateBook | None, location_id: str, template_id: str, changes: Mapping[str, Any]) -> Change:
    _template(book or EMPTY_BOOK, template_id)
    return Change(
        TemplateEvents.UPDATED, TEMPLATES, location_id, {"template_id": template_id, "changes": dict(changes)}
    )


def delete(book: TemplateBook | None, location_id: str, template_id: str) -> Change | None:
    """None when it is inactive already: a retried delete is the same 204."""
    if not _template(book or EMPTY_BOOK, template_id).is_active:
        return None
    return Change(TemplateEvents.DELETED, TEMPLATES, location_id, {"template_id": template_id})


def set_timing(book: TemplateBook | None, location_id: str, template_id: str, timing: CourseTiming) -> Change:
    _template(book or EMPTY_BOOK, template_id)
    payload = {"template_id": template_id, "timing": msgspec.to_builtins(timing)}
    return Change(TemplateEvents.TIMING_SET, TEMPLATES, location_id, payload)


def get(book: TemplateBook | None, template_id: str) -> Template:
    return _template(book or EMPTY_BOOK, template_id)
