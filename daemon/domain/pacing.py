"""Course timing math (ARCHITECTURE §4 rules 9 and 10): when each course of an order is scheduled to fire,
when it should be ready, how late it is and at what alert level. Pure: time comes in as `now_ms`.

Decisions a reader may question:
- The gap runs from the previous (not skipped) course's *fire*; the first course runs from the order's
  arrival, by its template's default_delay_minutes alone (pace and rush shape the gaps *between* courses).
- Lateness: a course waiting for the clock (auto-fire, or a stagger) is late from its scheduled fire time;
  a fired course is late from its estimated ready time (fired + prep time). A course held for a person
  (hold_by_default, a hold) is never late: nobody promised when it fires.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from daemon.domain.model import Course, CourseStatus, MealPace, Order
from daemon.domain.templates import EMPTY_BOOK, Template, TemplateBook
from daemon.domain.timing_config import DEFAULT_CONFIG, TimingConfig

MINUTE_MS = 60_000
DEFAULT_PREP_MINUTES = 10  # a template without timing: what a kitchen takes for a course, by default
PACE_MINUTES = {"leisurely": 5, "normal": 0, "quick": -3}
WARNING_MINUTES = 5
CRITICAL_MINUTES = 10


class AlertLevel(StrEnum):
    NORMAL = "normal"
    WARNING = "warning"
    CRITICAL = "critical"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class TimingStatus:
    scheduled_fire_ms: int | None
    estimated_ready_ms: int | None
    delay_minutes: int | None
    alert_level: AlertLevel

    @property
    def is_on_time(self) -> bool:
        return not self.delay_minutes


def level_of(delay_minutes: int | None, blocked: bool = False) -> AlertLevel:
    if blocked:
        return AlertLevel.BLOCKED
    if delay_minutes is None or delay_minutes < WARNING_MINUTES:
        return AlertLevel.NORMAL
    if delay_minutes <= CRITICAL_MINUTES:
        return AlertLevel.WARNING
    return AlertLevel.CRITICAL


@dataclass(frozen=True)
class Pacing:
    """What pacing reads, gathered once per pass: the location's templates and timing config."""

    templates: TemplateBook = EMPTY_BOOK
    config: TimingConfig = DEFAULT_CONFIG

    def template(self, course: Course) -> Template | None:
        return self.templates.for_course(course.template_id, course.number)

    def gap_ms(self, course: Course, pace: MealPace | None) -> int:
        """The gap after the previous course: template timing's target, else its default delay, else the
        location default; then the meal's pace; then rush mode."""
        template = self.template(course)
        if template is not None and template.timing is not None and template.timing.target_gap_minutes is not None:
            gap = float(template.timing.target_gap_minutes)
        elif template is not None:
            gap = float(template.default_delay_minutes)
        else:
            gap = float(self.config.default_course_delay)
        if pace is not None:
            if pace.pace == "custom" and pace.custom_gap_minutes is not None:
                gap = float(pace.custom_gap_minutes)
            else:
                gap = max(0.0, gap + PACE_MINUTES.get(pace.pace, 0))
        if self.config.rush_mode_active:
            gap *= self.config.rush_mode_multiplier
        return int(gap * MINUTE_MS)

    def prep_ms(self, course: Course) -> int:
        template = self.template(course)
        if template is not None and template.timing is not None and template.timing.prep_time_minutes is not None:
            return template.timing.prep_time_minutes * MINUTE_MS
        return DEFAULT_PREP_MINUTES * MINUTE_MS

    def may_auto_fire(self, course: Course) -> bool:
        """The location and the template both allow the clock to fire it (a course a person held, never)."""
        if not (course.auto and self.config.auto_fire_enabled):
            return False
        template = self.template(course)
        return template is None or template.auto_fire

    def scheduled_fire_ms(self, order: Order, course: Course) -> int | None:
        """When the course fires (fired) or is to fire (held); None while its previous course waits."""
        if course.fire_at_ms is not None:
            return course.fire_at_ms
        previous = _previous(order, course.number)
        if previous is None:
            template = self.template(course)
            delay = template.default_delay_minutes if template is not None else 0
            return order.created_ms + delay * MINUTE_MS
        if previous.fired_ms is None:
            return None
        return previous.fired_ms + self.gap_ms(course, order.pace)

    def waits_for_clock(self, course: Course) -> bool:
        return course.status is CourseStatus.HELD and (course.fire_at_ms is not None or self.may_auto_fire(course))

    def status(self, order: Order, course: Course, now_ms: int, blocked: bool = False) -> TimingStatus:
        scheduled = self.scheduled_fire_ms(order, course)
        late_ms = 0
        ready: int | None = None
        if course.status is CourseStatus.SKIPPED:
            return TimingStatus(scheduled, None, None, AlertLevel.NORMAL)
        if course.status is CourseStatus.HELD:
            if scheduled is not None:
                ready = max(scheduled, now_ms) + self.prep_ms(course)
                if self.waits_for_clock(course) or blocked:
                    late_ms = now_ms - scheduled
        else:
            ready = (course.fired_ms or order.created_ms) + self.prep_ms(course)
            done_ms = course.ready_ms if course.status is CourseStatus.COMPLETE else None
            late_ms = (done_ms if done_ms is not None else now_ms) - ready
        delay = late_ms // MINUTE_MS if late_ms >= MINUTE_MS else None
        return TimingStatus(scheduled, ready, delay, level_of(delay, blocked))


def _previous(order: Order, number: int) -> Course | None:
    before = [c for n, c in order.courses.items() if n < number and c.status is not CourseStatus.SKIPPED]
    return max(before, key=lambda c: c.number) if before else None
