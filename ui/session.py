"""The screen's session with its daemon: loads state over REST, keeps the models current from the live feed,
and turns a cook's taps and keys into API calls.

Events that carry what changed (`ticket:updated` carries the ticket, `order:item_status` the item) are
applied at once: that is the path the repaint budget is measured on. An order created or edited carries the
kitchen order, not this station's tickets, so the station's ticket list is then re-read over REST —
coalesced: one read in flight, at most one more queued, however many orders arrive meanwhile. So is it when an
item's move completes a ticket (the daemon then made it ready, which the item event does not say).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

from daemon.config import Config
from daemon.security.jwt_tokens import mint_token
from daemon.security.manager_pin import check_pin, pin_is_set
from daemon.tasks import wait_event
from ui.api_client import ApiError, DaemonClient
from ui.bars import BarLink
from ui.live import LiveFeed
from ui.models.alerts import TimingAlerts
from ui.models.orders import KitchenOrders
from ui.models.status import StatusModel
from ui.models.tables import FloorTables
from ui.models.tickets import StationTickets
from ui.status_poll import StatusPoller
from ui.texts import tr

log = logging.getLogger(__name__)

TABLES_POLL_SECONDS = 5.0
TABLES_RETRY_SECONDS = 30.0
SEEN_BATCH = 500  # the most order ids one acknowledgement takes (docs/api.md)
REFETCH_EVENTS = frozenset({"order:new", "order:updated", "course:updated"})
# The kitchen channel's events of the tables API (a table's own status changes are on the branch channel only)
TABLE_EVENTS = frozenset({"order:table_assigned", "order:table_cleared"})


class KitchenSession:
    def __init__(self, url: str, token: str, station_ids: list[str], config: Config | None = None) -> None:
        self.config = config  # the device's configuration when the screen runs beside its daemon (void by PIN)
        self.client = DaemonClient(url, token)
        self.stations: dict[str, StationTickets] = {s: StationTickets(s) for s in station_ids}
        self.station_names: dict[str, str] = {}
        self.station_kinds: dict[str, str] = {}
        self.stopping = False
        self.reloads = 0  # whole-state reads: one at start; a reconnect resumes by cursor instead
        self.orders = KitchenOrders()
        self.tables = FloorTables()
        self.alerts = TimingAlerts()
        self._tables_task: asyncio.Task[None] | None = None
        self._tables_wake = asyncio.Event()
        self.status = StatusModel()
        self.status_poll = StatusPoller(self.client, self.status)
        self.bars = BarLink(self.client)
        self.feed = LiveFeed(url, token, self.apply_event, self._link_changed, self.reload, self.bars.on_message)
        self.loaded = asyncio.Event()
        self.errors: list[str] = []  # the last failed actions, shown to the cook (never swallowed)
        self.on_error: Callable[[str], None] = lambda message: None
        self._refetch: asyncio.Task[None] | None = None
        self._refetch_again = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.seen: dict[str, set[str]] = {s: set() for s in station_ids}  # ticket ids acknowledged per station
        self.screen_id = f"heard-ui@{socket.gethostname()}"
        self.seen_supported = True
        self._seen_task: asyncio.Task[None] | None = None

    # --- life
    def start(self) -> None:
        self.feed.start()
        self.status_poll.start()

    async def stop(self) -> None:
        self.stopping = True
        if self._tables_task is not None:
            self._tables_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._tables_task
        await self.feed.stop()
        await self.status_poll.stop()
        await self.bars.stop()
        for task in list(self._tasks) + ([self._refetch] if self._refetch else []):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.client.close()

    async def reload(self) -> None:
        """Read the whole state (first connect, or a cursor the daemon cannot resume)."""
        self.reloads += 1
        stations = await self.client.stations()
        # Updated in place: the views hold these dicts.
        self.station_names.clear()
        self.station_names.update({s["id"]: s.get("name", s["id"]) for s in stations})
        self.station_kinds.clear()
        self.station_kinds.update({s["id"]: s.get("kind", "prep") for s in stations})
        self.orders.replace_all(await self.client.orders())
        for station_id, model in self.stations.items():
            active = await self.client.tickets(station_id, status=None)
            completed = await self.client.tickets(station_id, status="completed", limit=20)
            model.replace_all(active, completed)
        await self.bars.load(self.stations)
        await self._load_alerts()
        await self._measure_clock()
        self.loaded.set()

    async def _load_alerts(self) -> None:
        location = self.feed.branch_id or (self.config.location.location_id if self.config else None)
        if location is None:
            return
        try:
            self.alerts.replace_all(await self.client.alerts(location))
        except ApiError as exc:
            self.alerts.available = False  # a daemon without the coursing API: the screen says so
            log.info("no timing alerts from this daemon error=%s", exc)

    # --- live events
    def apply_event(self, message: dict[str, Any]) -> None:
        name, data = message.get("event"), message.get("data") or {}
        if name == "ticket:updated" and isinstance(data.get("ticket"), dict):
            model = self.stations.get(data["ticket"].get("station_id"))
            if model is not None and model.apply_ticket(data["ticket"]):
                self.bars.tickets_changed([model.station_id])
        elif name == "order:item_status" and isinstance(data.get("item"), dict):
            completed = [model.apply_item(data["item"]) for model in self.stations.values()]
            if any(completed) and self.feed.connected:
                self.refetch_tickets()
            self.orders.apply_item(data.get("order_id", ""), data.get("order_status", ""), data["item"])
        elif name in ("order:new", "order:updated") and "id" in data:
            self.orders.apply_order(data)
        elif name in ("alert:new", "alert:acknowledged") and isinstance(data, dict):
            self.alerts.apply(data)
        elif name == "course:updated" and isinstance(data.get("course"), dict):
            self.orders.apply_course(data.get("order_id", ""), data.get("order_status", ""), data["course"])
        if name in REFETCH_EVENTS and self.feed.connected:
            self.refetch_tickets()
        if name in TABLE_EVENTS and self._tables_task is not None:
            self._tables_wake.set()  # a party seated or cleared: the floor is read now, not at the next poll

    def refetch_tickets(self) -> None:
        if self._refetch is not None and not self._refetch.done():
            self._refetch_again = True
            return
        self._refetch = asyncio.ensure_future(self._refetch_loop())

    async def _refetch_loop(self) -> None:
        while True:
            self._refetch_again = False
            try:
                for station_id, model in self.stations.items():
                    model.replace_all(await self.client.tickets(station_id), None)
                self.bars.tickets_changed(self.stations)
            except ApiError as exc:
                log.warning("ticket refresh failed error=%s", exc)
            if not self._refetch_again:
                return

    def _link_changed(self, connected: bool, detail: str) -> None:
        for model in self.stations.values():
            model.set_stale(not connected)
        self.orders.set_stale(not connected)
        since = None if connected else (self.status.status.since_ms or int(time.time() * 1000))
        self.status.update(connected=connected, detail=detail or "connected", since_ms=since)
        if connected:
            self.status_poll.now()
        if connected and self.loaded.is_set():
            self.bars.reconnected(self.stations)
            self.refetch_tickets()  # derived ticket states (ready when all items are) may have moved meanwhile

    async def _measure_clock(self) -> None:
        """The daemon's clock against ours, from its Date header (whole seconds: it flags a wrong clock, not ms)."""
        with contextlib.suppress(Exception):
            async with self.client.session.get(self.client.url + "/healthz") as resp:
                server = parsedate_to_datetime(resp.headers["Date"]).timestamp()
                self.status.update(clock_offset_s=round(server - time.time()))

    # --- tables (the tables screen)
    def watch_tables(self) -> None:
        """Read the floor now, every few seconds (a table's status change has no event on the kitchen
        channel), and at once when a party is seated or cleared (`order:table_assigned`, `…_cleared`)."""
        self._tables_task = asyncio.ensure_future(self._tables_loop())

    async def _tables_loop(self) -> None:
        while True:
            if not await self.refresh_tables():
                await asyncio.sleep(0.1)  # the location is not known until the daemon's welcome: soon
                continue
            # a daemon without the API is asked again now and then: an update may bring it
            wait = TABLES_POLL_SECONDS if self.tables.available else TABLES_RETRY_SECONDS
            await wait_event(self._tables_wake, wait)  # not wait_for(): it can drop a stop on 3.11
            self._tables_wake.clear()

    async def refresh_tables(self) -> bool:
        """Read the tables; False when the location is not known yet (nothing asked)."""
        location = self.feed.branch_id or (self.config.location.location_id if self.config else None)
        if location is None:
            return False
        try:
            self.tables.replace_all(await self.client.tables(location))
        except ApiError as exc:
            if exc.status in (404, 405):
                self.tables.unavailable()
            else:
                log.warning("tables read failed error=%s", exc)
        return True

    def set_table_status(self, table_id: str, status: str) -> asyncio.Task[Any]:
        """A seated table is cleared first (the tables API refuses a status over a seated party: clearing
        ends the seating, records the turn and leaves the table dirty), then given the status asked for."""
        seated = any(t.get("id") == table_id and t.get("status") == "occupied" for t in self.tables.tables)

        async def change() -> None:
            try:
                if seated and status != "occupied":
                    await self.client.clear_table(table_id)
                if not (seated and status == "dirty"):
                    await self.client.set_table_status(table_id, status)
            finally:
                await self.refresh_tables()  # the truth either way

        return self.act(change(), "table status")

    # --- "seen": which tickets a person's screen has actually displayed
    def displayed(self, station_id: str, tickets: list[tuple[str, str]]) -> None:
        """Called after each painted frame with the (ticket id, order id) pairs on it; acknowledges the new
        ones, batched. Tracked by ticket, so a later course of the same order, fired after, is seen again."""
        if not self.seen_supported or not self.feed.connected or self.stopping:
            return
        fresh = [(t, o) for t, o in tickets if t not in self.seen[station_id]]
        if fresh and (self._seen_task is None or self._seen_task.done()):
            self._seen_task = asyncio.ensure_future(self._acknowledge(station_id, fresh))

    async def _acknowledge(self, station_id: str, tickets: list[tuple[str, str]]) -> None:
        order_ids = list(dict.fromkeys(o for _, o in tickets))
        try:
            for start in range(0, len(order_ids), SEEN_BATCH):
                await self.client.mark_seen(station_id, order_ids[start : start + SEEN_BATCH], self.screen_id)
        except ApiError as exc:
            if exc.status in (404, 405) and exc.code in ("NOT_FOUND", "HTTP_ERROR"):
                self.seen_supported = False  # a daemon without the route: say so once, do not retry each frame
                log.warning("this daemon has no seen acknowledgement route; tickets are not acknowledged")
            else:
                log.warning("seen acknowledgement failed station=%s error=%s", station_id, exc)
            return
        self.seen[station_id].update(t for t, _ in tickets)

    # --- actions (a tap or a key)
    def act(self, coro: Any, what: str) -> asyncio.Task[Any]:
        """Run an action; a failure is shown to the cook, and the state is re-read so the screen tells the truth."""

        async def run() -> Any:
            try:
                return await coro
            except ApiError as exc:
                message = f"{what}: {exc.message} ({exc.code})"
                log.warning("action failed what=%s error=%s", what, exc)
                self.errors = ([message] + self.errors)[:5]
                self.on_error(message)
                self.refetch_tickets()
                return None

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def bump(self, station_id: str, order_id: str) -> asyncio.Task[Any]:
        return self.act(self.client.ticket_action(station_id, order_id, "bump"), "bump")

    def ticket_action(self, station_id: str, order_id: str, action: str) -> asyncio.Task[Any]:
        return self.act(self.client.ticket_action(station_id, order_id, action), action)

    def recall_last(self, station_id: str) -> asyncio.Task[Any] | None:
        model = self.stations[station_id]
        if not model.bumped:
            return None
        return self.ticket_action(station_id, model.bumped[0]["order_id"], "recall")

    def cycle_priority(self, station_id: str, ticket: dict[str, Any]) -> asyncio.Task[Any]:
        nxt = {"normal": "high", "high": "urgent", "urgent": "normal"}[ticket.get("priority", "normal")]
        return self.act(self.client.set_priority(station_id, ticket["order_id"], nxt), "priority")

    def void_ready(self) -> str | None:
        """None when a void can be asked for here; else the text saying why not."""
        if self.config is None or not self.config.secret_path.exists():
            return "side.void_remote"
        if not pin_is_set(self.config.data_dir):
            return "side.void_no_pin"
        return None

    def void_with_pin(self, station_id: str, order_id: str, pin: str) -> asyncio.Task[Any]:
        """Check the manager PIN on this device; when right, void with a one-minute manager token minted for
        this one request (the screen's own token never carries void)."""

        async def void() -> None:
            config = self.config
            assert config is not None
            loop = asyncio.get_running_loop()
            if not await loop.run_in_executor(None, check_pin, config.data_dir, pin):  # scrypt: off the loop
                raise ApiError(403, "WRONG_PIN", tr("side.void_wrong_pin"))
            token = mint_token(
                config.secret_path.read_bytes(),
                sub="heard-ui:manager-pin",
                roles=["manager"],
                location_id=config.location.location_id,
                ttl_seconds=60,
                name="Manager (PIN at the screen)",
                issuer=config.auth.issuer,
                audience=config.auth.audience,
            )
            manager = DaemonClient(self.client.url, token)
            try:
                await manager.ticket_action(station_id, order_id, "void")
            finally:
                await manager.close()

        return self.act(void(), "void")

    def course_action(self, order: dict[str, Any], action: str) -> asyncio.Task[Any] | None:
        """Expo: fire or hold the order's next held course (the lowest-numbered one)."""
        held = sorted(c["number"] for c in order.get("courses", ()) if c.get("status") == "held")
        if not held:
            self.on_error(tr("expo.nothing_held"))
            return None
        return self.act(self.client.course_action(order["id"], action, held[0]), action)

    def acknowledge(self, alert_id: str) -> asyncio.Task[Any]:
        return self.act(self.client.acknowledge_alert(alert_id), "acknowledge")

    def serve_ready(self, order: dict[str, Any]) -> asyncio.Task[Any]:
        """Expo: every ready item of the order goes out (ready → served, the kitchen-orders seed's last step)."""

        async def serve() -> None:
            ready = [i for i in order.get("items", ()) if i.get("status") == "ready"]
            if not ready:
                raise ApiError(409, "NOTHING_READY", tr("expo.nothing_ready"))
            for item in ready:
                await self.client.set_item_status(item["id"], "served")

        return self.act(serve(), "served")

    def mark_item_done(self, item: dict[str, Any]) -> asyncio.Task[Any]:
        """pending → preparing → ready: the seed allows one step at a time, so a tap walks the steps it needs."""

        async def walk() -> None:
            status = item.get("status", "pending")
            if status == "pending":
                await self.client.set_item_status(item["item_id"], "preparing")
                status = "preparing"
            if status == "preparing":
                await self.client.set_item_status(item["item_id"], "ready")

        return self.act(walk(), "item done")
