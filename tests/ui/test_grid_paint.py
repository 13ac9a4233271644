"""The grid's painting economy: the 1 Hz tick repaints the clocks only, a whole card only when its timer
changes colour; cards are drawn from their cached pixmaps where the region asks."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QRegion
from PySide6.QtWidgets import QApplication

from tests.ui.test_models import ticket
from ui.models.orders import KitchenOrders
from ui.models.tickets import StationTickets
from ui.views.theme import theme_for
from ui.views.ticket_grid import TicketGrid


def _grid(qtbot: Any) -> TicketGrid:
    model = StationTickets("grill")
    model.replace_all([ticket(n) for n in range(12)])
    grid = TicketGrid(model, KitchenOrders(), theme_for("dark"), {})
    qtbot.addWidget(grid)
    grid.resize(1400, 900)
    with qtbot.waitExposed(grid):
        grid.show()
    grid.repaint()
    assert grid.frames >= 1
    return grid


def test_the_tick_repaints_only_the_clocks(qtbot: Any) -> None:
    grid = _grid(qtbot)
    page = grid.pages[grid.page]
    region = grid.tick_region()
    clocks = QRegion()
    for placed in page:
        area = grid.clocks.area(placed.rect)
        assert placed.rect.contains(area.topLeft()) and area.height() < placed.rect.height() // 2
        clocks += area
    assert region == clocks
    frames = grid.frames
    grid.repaint(region)
    assert grid.frames == frames + 1


def test_a_timer_that_changes_colour_repaints_its_whole_card(qtbot: Any) -> None:
    grid = _grid(qtbot)
    first = grid.pages[grid.page][0]
    grid._states[first.card.ticket["id"]] = "ok" if grid._states[first.card.ticket["id"]] != "ok" else "late"
    region = grid.tick_region()
    whole = QRegion(first.rect)
    assert region.intersected(first.rect) == whole  # the header's colour changes: the whole card is drawn again
    grid.repaint(region)
    # after the paint, the state drawn is the state now: the next tick is back to the clock only
    assert grid.tick_region().intersected(first.rect) == QRegion(grid.clocks.area(first.rect))


def _pages_grid(qtbot: Any) -> TicketGrid:
    model = StationTickets("grill")
    model.replace_all([ticket(n % 60, id=f"t{n}", order_id=f"o{n}") for n in range(60)])
    grid = TicketGrid(model, KitchenOrders(), theme_for("dark"), {})
    qtbot.addWidget(grid)
    grid.resize(1400, 900)
    with qtbot.waitExposed(grid):
        grid.show()
    assert len(grid.pages) >= 3
    return grid


def _drag(grid: TicketGrid, xs: list[float], every_ms: int) -> None:
    """A finger: pressed at xs[0], moved through xs, lifted at the last; events `every_ms` apart."""
    y = 450.0

    def send(kind: QEvent.Type, x: float, ms: int) -> None:
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
        event = QMouseEvent(
            kind, QPointF(x, y), QPointF(x, y), Qt.MouseButton.LeftButton, buttons, Qt.KeyboardModifier.NoModifier
        )
        event.setTimestamp(ms)
        QApplication.sendEvent(grid, event)

    send(QEvent.Type.MouseButtonPress, xs[0], 1000)
    for i, x in enumerate(xs[1:], 1):
        send(QEvent.Type.MouseMove, x, 1000 + i * every_ms)
    send(QEvent.Type.MouseButtonRelease, xs[-1], 1000 + len(xs) * every_ms)


def test_a_flick_carries_the_page_on_and_a_slow_short_drag_springs_back(qtbot: Any) -> None:
    grid = _pages_grid(qtbot)
    taps: list[Any] = []
    grid.bump.connect(taps.append)
    grid.item_done.connect(lambda *a: taps.append(a))

    _drag(grid, [1000.0 - 14 * i for i in range(21)], 50)  # 280 px over a second: slow and short
    assert grid.pager.moving or grid.pager.offset == 0
    qtbot.waitUntil(lambda: not grid.pager.moving, timeout=3000)
    assert grid.page == 0 and grid.pager.offset == 0

    frames = grid.frames
    _drag(grid, [1000.0, 980.0, 950.0, 910.0], 16)  # 90 px in 50 ms: a flick
    qtbot.waitUntil(lambda: not grid.pager.moving, timeout=3000)
    assert grid.page == 1 and grid.frames > frames + 2  # the sheet was drawn moving, not jumped

    _drag(grid, [200.0 + 30 * i for i in range(26)], 60)  # 750 px to the right, slowly: far enough
    qtbot.waitUntil(lambda: not grid.pager.moving, timeout=3000)
    assert grid.page == 0
    assert taps == []  # no drag ever bumped or marked anything


def test_the_first_page_resists_a_drag_past_its_edge(qtbot: Any) -> None:
    grid = _pages_grid(qtbot)
    y = 450.0
    press = QMouseEvent(
        QEvent.Type.MouseButtonPress,
        QPointF(300, y),
        QPointF(300, y),
        Qt.MouseButton.LeftButton,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(grid, press)
    move = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(600, y),
        QPointF(600, y),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(grid, move)
    assert grid.pager.offset == 100  # a third of the finger's way: there is no page before the first
    release = QMouseEvent(
        QEvent.Type.MouseButtonRelease,
        QPointF(600, y),
        QPointF(600, y),
        Qt.MouseButton.LeftButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    release.setTimestamp(500)  # held still for half a second: no momentum
    QApplication.sendEvent(grid, release)
    qtbot.waitUntil(lambda: not grid.pager.moving, timeout=3000)
    assert grid.page == 0 and grid.pager.offset == 0
