"""Kinetic paging for the ticket grid: the page follows the finger, and on release carries on with the
finger's momentum to the next page, or springs back, easing out as a flicked sheet would.

The grid is paged, not a long strip (a cook counts pages, and a bump bar moves by them), so a flick moves
one page: far enough (a third of the width) or fast enough (FLICK_PX_S) turns it, anything less springs
back. Past the first or last page the sheet moves a third of the finger's way and springs back (the edge
is felt, not hidden). Velocity is taken from the events' own timestamps over the last 100 ms of the drag.
A press that becomes a drag is never a tap: nothing is bumped by a swipe.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QEasingCurve, QObject, QPointF, QVariantAnimation
from PySide6.QtWidgets import QWidget

SLOP_PX = 12  # a finger moves this much within a tap
FLICK_PX_S = 600.0  # a release this fast turns the page however short the drag
TURN_FRACTION = 1 / 3  # a drag this far across turns the page however slow
EDGE_RESISTANCE = 1 / 3
SETTLE_MS = (120, 380)  # the animation's shortest and longest


class KineticPager(QObject):
    def __init__(self, widget: QWidget, can_turn: Callable[[int], bool], turn: Callable[[int], None]) -> None:
        super().__init__(widget)
        self.widget = widget
        self.can_turn = can_turn  # can_turn(+1): is there a next page
        self.turn = turn  # turn(step): the page changes by step (after the animation)
        self.offset = 0.0  # how far the current page is shifted, px (negative: toward the next page)
        self.dragging = False
        self._start: QPointF | None = None
        self._samples: deque[tuple[int, float]] = deque(maxlen=16)
        self._step = 0
        self._anim = QVariantAnimation(self)
        self._anim.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._anim.valueChanged.connect(self._moved)
        self._anim.finished.connect(self._settled)

    @property
    def moving(self) -> bool:
        return self.dragging or self._anim.state() == QVariantAnimation.State.Running

    def press(self, pos: QPointF, ms: int) -> None:
        if self._anim.state() == QVariantAnimation.State.Running:
            self._anim.stop()
            self._settled()  # a finger on a moving sheet: it lands where it was going
        self._start, self.dragging = pos, False
        self._samples.clear()
        self._samples.append((ms, pos.x()))

    def move(self, pos: QPointF, ms: int) -> bool:
        """True while the press is a drag (the grid then draws the shifted pages and takes no tap)."""
        if self._start is None:
            return False
        dx, dy = pos.x() - self._start.x(), pos.y() - self._start.y()
        if not self.dragging and abs(dx) > SLOP_PX and abs(dx) > 2 * abs(dy):
            self.dragging = True
        if self.dragging:
            self._samples.append((ms, pos.x()))
            step = 1 if dx < 0 else -1
            self.offset = dx if self.can_turn(step) else dx * EDGE_RESISTANCE
            self.widget.update()
        return self.dragging

    def release(self, pos: QPointF, ms: int) -> bool:
        """True when the press was a drag: the sheet settles on a page (animated) and no tap happens."""
        if self._start is not None and not self.dragging:
            self.move(pos, ms)
        was_drag, self._start = self.dragging, None
        if not was_drag:
            return False
        self._samples.append((ms, pos.x()))
        self.dragging = False
        width = max(1, self.widget.width())
        velocity = self._velocity(ms)
        step = 0
        if self.offset < -width * TURN_FRACTION or velocity < -FLICK_PX_S:
            step = 1
        elif self.offset > width * TURN_FRACTION or velocity > FLICK_PX_S:
            step = -1
        if step and not self.can_turn(step):
            step = 0
        target = -step * width
        distance = abs(target - self.offset)
        speed = max(abs(velocity), 1500.0)  # px/s: a slow release still settles briskly
        duration = int(min(SETTLE_MS[1], max(SETTLE_MS[0], 1000 * distance / speed * 2)))
        self._step = step
        self._anim.setStartValue(float(self.offset))
        self._anim.setEndValue(float(target))
        self._anim.setDuration(duration)
        self._anim.start()
        return True

    def _velocity(self, now_ms: int) -> float:
        recent = [(t, x) for t, x in self._samples if now_ms - t <= 100]
        if len(recent) < 2 or recent[-1][0] == recent[0][0]:
            return 0.0
        return (recent[-1][1] - recent[0][1]) * 1000 / (recent[-1][0] - recent[0][0])

    def _moved(self, value: object) -> None:
        self.offset = float(value)  # type: ignore[arg-type]
        self.widget.update()

    def _settled(self) -> None:
        step, self._step, self.offset = self._step, 0, 0.0
        if step:
            self.turn(step)
        self.widget.update()
