"""The daemon's REST API as the screen uses it: one aiohttp session, JSON in and out, errors as ApiError.

The screen is a client like any POS or expo tablet: it reads and acts only through the public API
(docs/api.md), never the database, so a screen on another device works the same as one beside its daemon.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=5)


class ApiError(RuntimeError):
    """The daemon answered with an error (its stable code and message), or could not be reached (code NETWORK)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class DaemonClient:
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"Authorization": f"Bearer {self.token}"}, timeout=REQUEST_TIMEOUT
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        query = {k: str(v) for k, v in params.items() if v is not None}
        try:
            async with self.session.request(method, self.url + path, json=body, params=query) as resp:
                data = await resp.json(content_type=None) if resp.content_length != 0 else None
                if resp.status >= 400:
                    error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
                    raise ApiError(resp.status, error.get("code", "HTTP_ERROR"), error.get("message", resp.reason))
                return data
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ApiError(0, "NETWORK", str(exc) or type(exc).__name__) from exc

    # --- reads
    async def stations(self) -> list[dict[str, Any]]:
        data = await self.request("GET", "/api/v1/kds/stations")
        return list(data.get("data", data) if isinstance(data, dict) else data)

    async def tickets(self, station_id: str, status: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        data = await self.request("GET", f"/api/v1/kds/stations/{station_id}/tickets", status=status, limit=limit)
        return list(data)

    async def orders(self) -> list[dict[str, Any]]:
        data = await self.request("GET", "/api/v1/kitchen/orders")
        return list(data["data"])

    async def ready(self) -> dict[str, Any]:
        return dict(await self.request("GET", "/readyz") or {})

    # --- the status bar's sources (docs/api.md, docs/replication.md)
    async def devices(self) -> dict[str, Any]:
        return dict(await self.request("GET", "/api/v1/devices"))

    async def printers(self) -> list[dict[str, Any]]:
        return list(await self.request("GET", "/api/v1/printers"))

    async def upstream(self) -> dict[str, Any]:
        return dict(await self.request("GET", "/api/v1/upstream"))

    # --- bump bars (docs/bumpbars.md): the daemon owns key maps and each station's selection
    async def bumpbars(self) -> list[dict[str, Any]]:
        return list(await self.request("GET", "/api/v1/bumpbars"))

    async def selection(self, station_id: str) -> dict[str, Any]:
        return dict(await self.request("GET", f"/api/v1/kds/stations/{station_id}/selection"))

    async def bumpbar_key(self, bar_id: str, key: str) -> dict[str, Any]:
        return dict(await self.request("POST", f"/api/v1/bumpbars/{bar_id}/keys", {"key": key}))

    # --- actions
    async def ticket_action(self, station_id: str, order_id: str, action: str) -> dict[str, Any]:
        path = f"/api/v1/kds/stations/{station_id}/orders/{order_id}/ticket/{action}"
        return dict(await self.request("POST", path))

    async def set_priority(self, station_id: str, order_id: str, priority: str) -> dict[str, Any]:
        path = f"/api/v1/kds/stations/{station_id}/orders/{order_id}/ticket/priority"
        return dict(await self.request("POST", path, {"priority": priority}))

    async def set_item_status(self, item_id: str, status: str) -> dict[str, Any]:
        return dict(await self.request("PATCH", f"/api/v1/kitchen/items/{item_id}/status", {"status": status}))

    async def mark_seen(self, station_id: str, order_ids: list[str], screen_id: str | None = None) -> Any:
        """Tell the daemon a person's screen displayed these orders' tickets of this station."""
        path = f"/api/v1/kds/stations/{station_id}/tickets/seen"
        body: dict[str, Any] = {"order_ids": order_ids}
        if screen_id:
            body["screen_id"] = screen_id
        return await self.request("POST", path, body)

    # --- tables (shared/seeds/tables-api.txt; issue 17 brings the daemon's side)
    async def tables(self, location_id: str) -> list[dict[str, Any]]:
        data = await self.request("GET", f"/api/v1/tables/{location_id}")
        return list(data.get("data", []) if isinstance(data, dict) else data)

    async def set_table_status(self, table_id: str, status: str) -> dict[str, Any]:
        return dict(await self.request("PATCH", f"/api/v1/tables/{table_id}/status", {"status": status}))

    async def clear_table(self, table_id: str) -> None:
        """The party left: the seating ends, the turn is recorded, the table is dirty (204)."""
        await self.request("POST", f"/api/v1/tables/{table_id}/clear")

    # --- coursing (docs/coursing.md)
    async def alerts(self, location_id: str) -> list[dict[str, Any]]:
        data = await self.request("GET", "/api/v1/coursing/alerts", location_id=location_id)
        return list(data.get("data", []) if isinstance(data, dict) else data)

    async def course_action(self, order_id: str, action: str, course_number: int) -> dict[str, Any]:
        """fire or hold one course of an order."""
        path = f"/api/v1/coursing/orders/{order_id}/courses/{action}"
        return dict(await self.request("POST", path, {"course_number": course_number}) or {})

    async def acknowledge_alert(self, alert_id: str) -> Any:
        return await self.request("POST", f"/api/v1/coursing/alerts/{alert_id}/acknowledge")
