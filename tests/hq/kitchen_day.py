"""An hour of a kitchen as a device logs it, made with the domain's own commands: orders bumped at their
stations (one in 15 minutes, late against the default prep time), one recalled, one voided; the kitchen
clock's alerts (one raised twice, as two devices would); two table turns."""

from __future__ import annotations

from daemon.domain import commands
from daemon.domain.events import Change, Event
from daemon.domain.floor import Floor, TableLayout
from daemon.domain.model import TicketAction
from daemon.domain.tables import apply_table, assign, clear
from daemon.domain.timing_alerts import TimingAlert, alert_id, raise_alert
from tests.daemon.domain.builders import Device, Kitchen, seed

ITEMS = [
    {"lineId": "1", "name": "Hamburger", "qty": 1, "mods": [], "course": "1"},
    {"lineId": "2", "name": "Fries", "menuItemId": "fries-1", "qty": 2, "mods": [], "course": "1"},
]
MINUTE = 60_000
# What the day below must give (checked against the API, and the API against the page).
TURNS = {"turns": 2, "avg_turn_time_minutes": 50, "avg_party_size": 3.0}
ALERTS = {"warning": 1, "critical": 1, "blocked": 0}


def kitchen_day(location_id: str, start_ms: int, origin: str = "dev-day") -> list[Event]:
    device = Device(origin, now_ms=start_ms)
    for n in range(12):
        k = Kitchen(device)
        order = k.create(seed(id=f"p{n}", items=ITEMS))
        for ticket in [t for t in order.tickets.values() if t.station_id != "expo"]:  # expo follows the others
            if n == 5:
                order = k.do(commands.ticket_action(order, ticket.station_id, TicketAction.VOID))
                continue
            order = k.do(commands.ticket_action(order, ticket.station_id, TicketAction.START))
            device.now_ms += MINUTE * (15 if n == 9 else n % 4)
            order = k.do(commands.ticket_action(order, ticket.station_id, TicketAction.BUMP))
            if n == 7:
                order = k.do(commands.ticket_action(order, ticket.station_id, TicketAction.RECALL))
                order = k.do(commands.ticket_action(order, ticket.station_id, TicketAction.BUMP))
    for level in ("warning", "critical", "warning"):  # the warning computed again: one alert
        alert = TimingAlert(alert_id("p9", 1, level), "p9", 1, "Course 1", level, f"p9 course 1 is {level}")
        device.stamp(_some(raise_alert(None, location_id, alert)))
    layouts = [TableLayout("t1", "1", "Table 1", 4), TableLayout("t2", "2", "Table 2", 6)]
    floor = Floor(tables={t.id: t for t in layouts})
    for layout, party, minutes, subtotal in ((layouts[0], 2, 40, 42.0), (layouts[1], 4, 60, 100.0)):
        state = apply_table(None, device.stamp(_some(assign(None, layout, f"p{party}", party, None))))
        device.now_ms += minutes * MINUTE - 1000  # stamp() adds a second
        device.stamp(_some(clear(state, floor, layout.id, subtotal)))
    return device.log


def _some(change: Change | None) -> Change:
    assert change is not None
    return change
