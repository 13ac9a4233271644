"""The grid's painting economy: the 1 Hz tick repaints the clocks only, a whole card only when its timer
changes colour; cards are drawn from their cached pixmaps where the region asks."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QRegion

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
