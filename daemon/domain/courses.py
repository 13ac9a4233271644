"""Which course an item belongs to, and whether that course starts held (ARCHITECTURE §4 rule 2)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from daemon.domain.kds_order import label_number
from daemon.domain.model import CourseHint, CourseStatus, CourseTemplate

DEFAULT_TEMPLATES: tuple[CourseTemplate, ...] = (
    CourseTemplate(1, "Appetizer"),
    CourseTemplate(2, "Entree"),
    CourseTemplate(3, "Dessert"),
)


def course_number(label: str | None, templates: Sequence[CourseTemplate]) -> int:
    """ "2", "Course 2" → 2; "Entree" → that template's number; nothing or unknown → 1. The number is read
    by the same function intake bounds it with (kds_order.COURSE_MAX), so an accepted label is a sane course."""
    if label is None or not str(label).strip():
        return 1
    text = str(label).strip()
    for template in templates:
        if template.name.lower() == text.lower():
            return template.number
    number = label_number(text)
    return max(1, number) if number is not None else 1


def course_name(number: int, templates: Sequence[CourseTemplate]) -> str:
    for template in templates:
        if template.number == number:
            return template.name
    return f"Course {number}"


def template_of(number: int, templates: Sequence[CourseTemplate]) -> CourseTemplate | None:
    return next((t for t in templates if t.number == number), None)


def initial_status(number: int, hints: Iterable[str | None], templates: Sequence[CourseTemplate]) -> CourseStatus:
    """A fire from the POS wins over a hold (no food waits by mistake); else the template decides."""
    return starting(number, hints, templates)[0]


def starting(
    number: int, hints: Iterable[str | None], templates: Sequence[CourseTemplate]
) -> tuple[CourseStatus, bool]:
    """A course's first status, and whether the kitchen clock may fire it (rule 2).

    A template with auto_fire (and not hold_by_default) starts its course held *for the clock*: the
    course waits for its paced time (rule 9) instead of reaching the line with the one before it.
    A hold from the POS or a hold_by_default template waits for a person."""
    seen = {h for h in hints if h}
    if seen & {CourseHint.FIRE, CourseHint.STRAIGHT_FIRE, CourseHint.PICKUP}:
        return CourseStatus.FIRED, False
    if CourseHint.HOLD in seen:
        return CourseStatus.HELD, False
    template = template_of(number, templates)
    if template is not None and template.hold_by_default:
        return CourseStatus.HELD, False
    if template is not None and template.auto_fire:
        return CourseStatus.HELD, True
    return CourseStatus.FIRED, False
